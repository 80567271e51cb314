"""The dashboard application. For now a JSON API over one run root; the lineage browser builds on it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException

from archive_db import Archive


def create_app(run_root: Path) -> FastAPI:
    app = FastAPI(title="dgm", description="Read-only API over the runs under one run root.")

    def _runs() -> list[Path]:
        return sorted(p for p in run_root.iterdir() if (p / "archive.sqlite").is_file()) if run_root.is_dir() else []

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/runs")
    def runs() -> list[dict[str, object]]:
        out = []
        for path in _runs():
            archive = Archive.in_dir(path)
            try:
                for run in archive.runs():
                    agents = archive.agents(run.id)
                    scores = [a.score for a in agents if a.score is not None and a.status in ("seed", "valid")]
                    out.append({"dir": path.name, "id": run.id, "name": run.name, "status": run.status,
                                "agents": len(agents), "best_score": max(scores, default=None),
                                "cost_usd": archive.cost(run_id=run.id)})
            finally:
                archive.close()
        return out

    @app.get("/api/runs/{name}/agents")
    def agents(name: str) -> list[dict[str, object]]:
        # Only names of folders we listed ourselves: no path from the request touches the disk.
        match = next((p for p in _runs() if p.name == name), None)
        if match is None:
            raise HTTPException(404, "no such run")
        archive = Archive.in_dir(match)
        try:
            run = archive.latest_run()
            return [{"id": a.id, "parent_id": a.parent_id, "generation": a.generation, "status": a.status,
                     "score": a.score, "reason": a.reason} for a in archive.agents(run.id)] if run else []
        finally:
            archive.close()

    return app
