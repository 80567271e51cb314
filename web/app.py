"""The dashboard application: the lineage browser over every run under one run root.

Read-only by construction: GET routes only, SQLite opened by archive_db.reader (which writes no file of
a run directory, SQLite's own included), git asked for diffs and archives only. ``Guard``
(security.py) sits in front of everything, static files included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from kernel import __version__
from web.responses import SafeJSON
from web.routes import agents, pages, runs
from web.run_root import DatabaseRuns, RunRoot, RunSource
from web.security import Guard

STATIC = Path(__file__).resolve().parent / "static"
DESCRIPTION = ("Read-only JSON API over the dgm runs under one run root: runs, the lineage tree, chart series, "
               "live changes, and each agent's diagnosis, diffs, task results, transcripts and model calls.")


def create_app(run_root: Path, token: str | None = None, db_url: str | None = None) -> FastAPI:
    """The app for ``run_root`` (or, with ``db_url``, every run of that database). With a ``token``,
    every request must carry it (see security.py)."""
    root: RunSource = DatabaseRuns(db_url) if db_url else RunRoot(run_root)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        root.close()

    # FastAPI's /docs and /redoc load scripts from a CDN: off. /api-docs renders the schema offline.
    app = FastAPI(title="dgm lineage browser", version=__version__, description=DESCRIPTION, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json", default_response_class=SafeJSON, lifespan=lifespan)
    app.state.run_root = root
    app.include_router(runs.router)
    app.include_router(agents.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(Guard, token=token)
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, (HTTPException, FastAPIHTTPException))
    if exc.status_code == 404 and not request.url.path.startswith(("/api/", "/static/")):
        return pages.not_found_page()
    return SafeJSON({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
