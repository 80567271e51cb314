"""Model endpoints dgm can talk to besides a real provider: the scripted OpenAI-compatible server."""
