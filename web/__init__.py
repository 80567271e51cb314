"""web shows: the FastAPI lineage browser (`dgm serve`). Read-only over run directories."""
