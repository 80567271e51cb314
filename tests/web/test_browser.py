"""The lineage browser in real headless Chromium (Debian's chromium, driven by Playwright's Python
package; never a downloaded browser) on a run made by the scripted-model demo (`dgm run --demo`).

A copy of that run gets one hostile agent whose diagnosis, code, task patch, test output,
transcripts and events carry <script> and onerror= payloads: the pages must show them as text and
run nothing. Screenshots go to $DGM_TEST_ARTIFACTS (default: test-artifacts/web/ in the checkout);
with DGM_DOCS_SCREENSHOTS=1 the run and agent pages are also written to docs/screenshots/.

Without chromium or playwright these tests skip, unless DGM_REQUIRE_BROWSER=1 (CI), where that is a
failure. DGM_WEB_DEMO_RUN=DIR reuses a finished demo run instead of making one (a development
shortcut; CI always makes a fresh one).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from archive_db import Archive
from archive_db.agents_repo import AgentRepo
from dgm.cli_serve import start_background_server
from dgm.demo import REVIEW, VERIFY
from tests.web.conftest import HOSTILE, IMG, SCRIPT

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # reported by the `browser` fixture: a skip, or a failure under DGM_REQUIRE_BROWSER=1
    sync_playwright = None

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("DGM_CHROMIUM", "/usr/bin/chromium"))
EVIL_RUN = 'evil<img src=x onerror="window.__pwned=1">'  # folder names are run names: attacker text too


def _unavailable(why: str) -> None:
    if os.environ.get("DGM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DGM_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _unavailable("the playwright package is missing (pip install playwright; never `playwright install`)")
    if not CHROMIUM.is_file():
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("DGM_TEST_ARTIFACTS", REPO / "test-artifacts")) / "web"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def run_root(tmp_path_factory, browser, docker_client) -> Path:
    """A run root holding a fresh demo run and a hostile copy of it."""
    root = tmp_path_factory.mktemp("web-runs")
    demo = root / "demo"
    if os.environ.get("DGM_WEB_DEMO_RUN"):
        shutil.copytree(os.environ["DGM_WEB_DEMO_RUN"], demo, ignore=shutil.ignore_patterns("work"))
    else:
        proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(demo), "--generations", "2",
                               "--parents", "2", "--workers", "2"], capture_output=True, text=True, timeout=1500)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    shutil.copytree(demo, root / EVIL_RUN)
    inject_hostile_agent(root / EVIL_RUN)
    shutil.copytree(demo, root / "live")  # the live-update test writes to this one
    return root


def inject_hostile_agent(run_dir: Path) -> int:
    """A child of the seed whose every text field an attacker wrote, with real code carrying it too."""
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        seed = archive.agents(run.id, statuses=["seed"])[0]
        repo = AgentRepo(run_dir / "agents.git")
        with tempfile.TemporaryDirectory() as tmp:
            code = repo.export(seed.commit, Path(tmp) / "code")
            (code / "evil.py").write_text(f"# {SCRIPT}\nPAYLOAD = '{IMG}'\n")
            commit = repo.commit_tree(code, seed.commit, "hostile")
        diagnosis = {k: f"{k}: {HOSTILE}" for k in ("log_summarization", "improvement_proposal", "implementation_suggestion",
                                                      "problem_description")}
        diagnosis["potential_improvements"] = [HOSTILE, "fine"]
        transcript = [{"role": "assistant", "content": f"I will write {HOSTILE}",
                       "tool_calls": [{"id": "1", "function": {"name": "bash",
                                                               "arguments": json.dumps({"command": f"echo '{IMG}'"})}}]}]
        agent = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid", score=0.5, commit=commit,
                                  target_task=f"task {IMG}", diagnosis_json=json.dumps(diagnosis),
                                  transcript_json=json.dumps(transcript),
                                  n_tasks=1, n_resolved=1, files_changed=1, lines_added=2)
        repo.pin(agent.id, commit)
        archive.add_evaluation(agent_id=agent.id, task_id=f"evil-task-{SCRIPT}", stage=1, resolved=True,
                               patch=f"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+{SCRIPT}{IMG}\n",
                               test_output=f"output {HOSTILE}", test_results_json=json.dumps({f"test {IMG}": "PASSED"}),
                               transcript_json=json.dumps([{"role": "assistant", "content": f"solving {HOSTILE}"}]))
    finally:
        archive.close()
    with open(run_dir / "events.jsonl", "a") as log:
        log.write(json.dumps({"t": 1e9, "event": "diagnosed", "agent": agent.id, "target": IMG, "proposal": SCRIPT}) + "\n")
    return agent.id


@pytest.fixture(scope="module")
def server(run_root) -> Iterator[str]:
    yield from served(run_root)


def served(run_root: Path) -> Iterator[str]:
    """The dashboard over ``run_root`` on a free port, for a fixture to yield from."""
    url, stop = start_background_server(run_root, "127.0.0.1", 0, None)
    yield url.rstrip("/")
    stop()


@pytest.fixture()
def page(browser, server) -> Iterator[Page]:
    yield from watched_page(browser, server)


def watched_page(browser: Browser, server: str) -> Iterator[Page]:
    """A tab on ``server`` whose script errors, CSP refusals and dialogs fail the test at its end."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, base_url=server)
    tab = context.new_page()
    problems: list[str] = []
    # Any script error or CSP refusal is a bug: collect them and fail the test at the end.
    tab.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    tab.on("dialog", lambda dialog: problems.append(f"dialog opened: {dialog.message}"))
    yield tab
    context.close()
    assert problems == []


def api(server: str, path: str) -> Any:
    return httpx.get(server + path, timeout=30).json()


def _q(name: str) -> str:
    return quote(name, safe="")


def agents_of(server: str, run: str) -> list[dict[str, Any]]:
    return api(server, f"/api/runs/{_q(run)}/agents")


def shot(page: Page, artifacts: Path, name: str, docs: bool = False) -> None:
    """A full-page screenshot as a test artifact; for the README (DGM_DOCS_SCREENSHOTS=1) the top of
    the page at a fixed size."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / name), full_page=True)
    if docs and os.environ.get("DGM_DOCS_SCREENSHOTS") == "1":
        (REPO / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(REPO / "docs" / "screenshots" / name), clip={"x": 0, "y": 0, "width": 1440, "height": 1400},
                        full_page=True)


def test_runs_page_lists_every_run_and_opens_one(page, server, artifacts):
    page.goto("/")
    rows = page.locator(".runs-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(".run-link", has_text=EVIL_RUN)).to_have_count(1)  # the hostile name, as text
    expect(page.locator("#compare")).to_be_disabled()
    page.get_by_label("select demo", exact=True).check()
    page.get_by_label(f"select {EVIL_RUN}", exact=True).check()
    expect(page.locator("#compare")).to_be_enabled()
    shot(page, artifacts, "runs-page.png")
    page.locator(".run-link", has_text=re.compile("^demo$")).click()
    expect(page).to_have_url(re.compile(r"/runs/demo$"))
    expect(page.locator("h1")).to_have_text("demo")


def test_run_page_draws_every_attempt_and_hides_rejected_ones_on_request(page, server, artifacts):
    agents = agents_of(server, "demo")
    summary = api(server, "/api/runs/demo")
    page.goto("/runs/demo")
    nodes = page.locator("a.node")
    expect(nodes).to_have_count(len(agents))
    for status in ("seed", "valid", "rejected"):
        expect(page.locator(f"a.node.node-{status}")).to_have_count(sum(a["status"] == status for a in agents))
    expect(page.locator("a.node.best")).to_have_attribute("data-agent-id", str(summary["best_id"]))
    expect(page.locator("a.node.on-path")).to_have_count(len(summary["best_path"]))
    expect(page.locator(".chart-svg")).to_have_count(2)
    expect(page.locator("#chart-score path.series")).to_have_count(2)  # best and archive mean
    expect(page.locator(".feed-item").first).to_be_visible()
    shot(page, artifacts, "run-page.png", docs=True)
    page.locator("#show-rejected").uncheck()
    expect(nodes).to_have_count(sum(a["status"] not in ("rejected", "failed", "duplicate") for a in agents))
    page.locator("#show-rejected").check()
    expect(nodes).to_have_count(len(agents))


def test_the_tree_pans_and_zooms(page):
    page.goto("/runs/demo")
    viewport = page.locator("g.viewport")
    expect(viewport).to_have_attribute("transform", re.compile("scale"))
    before = viewport.get_attribute("transform")
    page.get_by_role("button", name="+").click()
    expect(viewport).not_to_have_attribute("transform", before)
    zoomed = viewport.get_attribute("transform")
    box = page.locator(".tree-svg").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80, steps=5)
    page.mouse.up()
    expect(viewport).not_to_have_attribute("transform", zoomed)
    expect(page).to_have_url(re.compile(r"/runs/demo$"))  # a drag is not a click on a node


def test_clicking_a_node_opens_the_agent_with_its_diff_and_task_flips(page, server, artifacts):
    child = next(a for a in agents_of(server, "demo") if a["status"] == "valid")
    tasks = api(server, f"/api/runs/demo/agents/{child['id']}/tasks")
    page.goto("/runs/demo")
    page.locator(f'a.node[data-agent-id="{child["id"]}"]').click()
    expect(page).to_have_url(re.compile(rf"/runs/demo/agents/{child['id']}$"))
    expect(page.locator("h1")).to_have_text(f"Agent {child['id']}")
    # Its own change, against its parent: the system-prompt line the demo's self-edit adds.
    added = page.locator("#diff-out .dl-add .code")
    expect(added.filter(has_text=re.compile(re.escape(VERIFY) + "|" + re.escape(REVIEW))).first).to_be_visible()
    totals = tasks["totals"]
    assert totals["newly_solved"] > 0
    summary = page.locator('[data-role="flip-summary"]')
    expect(summary).to_contain_text(f"{totals['newly_solved']} newly solved")
    expect(summary).to_contain_text(f"{totals['newly_broken']} newly broken")
    page.get_by_role("button", name=re.compile("^Flipped")).click()
    flipped = page.locator("tr.task-row")
    expect(flipped).to_have_count(totals["newly_solved"] + totals["newly_broken"])
    shot(page, artifacts, "agent-page.png", docs=True)
    first = next(t for t in tasks["tasks"] if t["flip"])
    row = page.locator(f'tr.task-row[data-task="{first["task_id"]}"]')
    expect(row.locator(".flip")).to_have_text("newly solved" if first["flip"] == "newly_solved" else "newly broken")
    row.get_by_role("button", name="Details").click()
    detail = page.locator(".task-detail")
    expect(detail.locator(".diff-table").first).to_be_visible()
    expect(detail.locator(".tests li.ok").first).to_be_visible()
    # The cumulative diff against the seed, and the reproduction command.
    page.get_by_role("tab", name=re.compile("Against seed")).click()
    expect(page.locator(".diff-stats")).to_contain_text("against agent 1")
    expect(page.locator('[data-role="replay"]')).to_have_text(re.compile(rf"^dgm replay {child['id']} --run-dir .+demo --repo"))
    expect(page.locator('[data-role="download"]')).to_have_attribute("href", f"/api/runs/demo/agents/{child['id']}/code.tar.gz")
    page.get_by_role("tab", name=re.compile("Against parent")).click()
    expect(page.locator("#diff-out .dl-add").first).to_be_visible()
    shot(page, artifacts, "agent-page-details.png")


def test_transcripts_open_collapsed_and_page_in(page, server):
    child = next(a for a in agents_of(server, "demo") if a["status"] == "valid")
    total = api(server, f"/api/runs/demo/agents/{child['id']}/transcript")["total"]
    page.goto(f"/runs/demo/agents/{child['id']}")
    section = page.locator("details.card-collapsible")
    expect(section).not_to_have_attribute("open", "")
    section.locator("summary").click()
    expect(section.locator(".msg")).to_have_count(min(total, 25))
    expect(section.locator(".role").first).to_have_text("system")


def test_hostile_text_is_shown_as_text_and_runs_nothing(page, server, artifacts):
    evil = next(a for a in agents_of(server, EVIL_RUN) if (a["target_task"] or "").startswith("task <img"))
    page.goto(f"/runs/{_q(EVIL_RUN)}/agents/{evil['id']}")
    diagnosis = page.locator('[data-role="diagnosis"]')
    expect(diagnosis).to_contain_text(f"improvement_proposal: {HOSTILE}")
    expect(diagnosis).to_contain_text(f"task {IMG}")
    expect(page.locator("#diff-out .dl-add .code", has_text=SCRIPT)).to_have_count(1)
    expect(page.locator("#diff-out .dl-add .code", has_text=IMG)).to_have_count(1)
    page.locator("tr.task-row").first.get_by_role("button", name="Details").click()
    detail = page.locator(".task-detail")
    expect(detail.locator(".dl-add .code")).to_have_text(SCRIPT + IMG)
    expect(detail.locator(".test-name")).to_have_text(f"test {IMG}")
    expect(page.locator("tr.task-row .task-id")).to_have_text(f"evil-task-{SCRIPT}")
    page.locator("details.card-collapsible summary").click()
    expect(page.locator("details.card-collapsible .msg-text").first).to_have_text(f"I will write {HOSTILE}")
    detail.locator("details.sub", has_text="Transcript of this attempt").locator("summary").click()
    expect(detail.locator(".msg-text").first).to_have_text(f"solving {HOSTILE}")
    _assert_nothing_ran(page)
    shot(page, artifacts, "hostile-agent-page.png")

    page.goto(f"/runs/{_q(EVIL_RUN)}")
    expect(page.locator("h1")).to_have_text(EVIL_RUN)
    expect(page.locator(".feed-item", has_text=SCRIPT)).to_have_count(1)
    page.locator(f'a.node[data-agent-id="{evil["id"]}"]').hover()
    expect(page.locator(".tree-tip")).to_contain_text(f"target: task {IMG}")
    _assert_nothing_ran(page)
    shot(page, artifacts, "hostile-run-page.png")


def _assert_nothing_ran(page: Page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0, "no agent text became an element"
    assert page.evaluate("[...document.scripts].map(s => new URL(s.src).pathname)") in (
        ["/static/js/agent.js"], ["/static/js/run.js"])


def test_the_run_page_updates_live_without_a_reload(page, server, run_root):
    live = run_root / "live"
    count = len(agents_of(server, "live"))
    page.goto("/runs/live")
    expect(page.locator("a.node")).to_have_count(count)
    page.evaluate("window.__sameDocument = true")
    archive = Archive.in_dir(live)
    run = archive.latest_run()
    seed = archive.agents(run.id, statuses=["seed"])[0]
    new = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=9, status="running")
    archive.close()
    with open(live / "events.jsonl", "a") as log:
        log.write(json.dumps({"t": 2e9, "event": "attempt_started", "agent": new.id, "parent": seed.id, "generation": 9}) + "\n")
    expect(page.locator("a.node")).to_have_count(count + 1, timeout=20000)
    expect(page.locator(f'a.node.node-running[data-agent-id="{new.id}"]')).to_have_count(1)
    expect(page.locator(".feed-item", has_text=f"agent {new.id} started")).to_have_count(1)
    assert page.evaluate("window.__sameDocument") is True


def test_compare_and_api_pages(page):
    page.goto(f"/compare?run=demo&run={_q(EVIL_RUN)}")
    expect(page.locator(".chart-svg")).to_have_count(2)
    expect(page.locator("#chart-gen path.series")).to_have_count(2)
    expect(page.locator("#chart-cost path.series")).to_have_count(2)
    page.goto("/api-docs")
    expect(page.locator(".op")).to_have_count(15)
    expect(page.locator(".op code", has_text="/api/runs/{name}/agents/{agent_id}/diff")).to_have_count(1)


def test_with_a_token_the_address_carries_it_once_and_the_page_keeps_working(browser, run_root):
    url, stop = start_background_server(run_root, "127.0.0.1", 0, "browser-token")
    context = browser.new_context()
    try:
        tab = context.new_page()
        base = url.split("?")[0]
        refused = tab.goto(base + "runs/demo")
        assert refused is not None and refused.status == 401
        tab.goto(url)
        expect(tab.locator(".runs-table tbody tr")).to_have_count(3)
        expect(tab).to_have_url(base)  # the token left the address bar; a cookie carries on
        tab.locator(".run-link", has_text=re.compile("^demo$")).click()
        expect(tab.locator("a.node").first).to_be_visible()
    finally:
        context.close()
        stop()
