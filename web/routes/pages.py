"""The HTML pages. Each is the same small shell naming one script of ours; the script fetches the
JSON API and builds the page with DOM calls. No data is ever put into HTML on the server, so
there is nothing in the markup that an agent or a model could have written."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from kernel import __version__
from web.run_context import RunContext, run_context

router = APIRouter(include_in_schema=False)
LAYOUT = Path(__file__).resolve().parent.parent / "templates" / "layout.html"
NOT_FOUND = '<section class="empty"><h1>Not found</h1><p>No such run or agent here. <a href="/">See all runs</a>.</p></section>'


@cache
def _layout() -> str:
    return LAYOUT.read_text()


def page(script: str, title: str, body: str = "", status: int = 200) -> HTMLResponse:
    # Only our own constants are substituted: page titles, script names, our version.
    tag = f'<script type="module" src="/static/js/{script}?v={__version__}"></script>' if script else ""
    html = (_layout().replace("{{title}}", title).replace("{{script}}", tag)
            .replace("{{version}}", __version__).replace("{{body}}", body))
    return HTMLResponse(html, status_code=status)


@router.get("/")
def runs_page() -> HTMLResponse:
    return page("runs.js", "Runs")


@router.get("/compare")
def compare_page() -> HTMLResponse:
    return page("compare.js", "Compare runs")


@router.get("/api-docs")
def api_page() -> HTMLResponse:
    return page("apidocs.js", "API")


@router.get("/runs/{name}")
def run_page(ctx: RunContext = Depends(run_context)) -> HTMLResponse:
    return page("run.js", "Run")


@router.get("/runs/{name}/agents/{agent_id}")
def agent_page(agent_id: int, ctx: RunContext = Depends(run_context)) -> HTMLResponse:
    ctx.node(agent_id)
    return page("agent.js", "Agent")


def not_found_page() -> HTMLResponse:
    return page("", "Not found", NOT_FOUND, status=404)
