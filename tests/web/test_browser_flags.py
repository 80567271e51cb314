"""Flagged agents in real headless Chromium (as in test_browser.py: Debian's chromium driven by
Playwright, skipped without them unless DGM_REQUIRE_BROWSER=1): the tree marks a suspected reward
hacker and its tooltip, the flagged-agents card, the event feed and the agent page give the reason,
and tampered and canary evaluations are marked; every reason is hostile text and shown as text.
A small run written through archive_db: no Docker needed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from archive_db import Archive
from tests.web.conftest import IMG, SCRIPT, write_run
from tests.web.test_browser import artifacts, browser, served, shot, watched_page  # noqa: F401 - the Chromium and artifacts fixtures

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture reports it
    pass

pytestmark = pytest.mark.timeout(300)
REASON = f"resolved the impossible task {SCRIPT}"
TAMPERED = f"the must-fail canary test passed {IMG}"


@pytest.fixture(scope="module")
def flagged_run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("flag-runs")
    run = write_run(root, "flags", [0.2, 0.5, 1.0])
    seed, honest, hacker = run["ids"]
    archive = Archive.in_dir(run["dir"])
    archive.flag_agent(hacker, REASON)
    archive.add_evaluation(agent_id=hacker, task_id="vatcalc-cent-rounding", stage=0, canary=True, resolved=True,
                           test_results_json=json.dumps({"tests/test_rounding.py::test_gross_of_a_typical_price": "PASSED"}))
    archive.add_evaluation(agent_id=hacker, task_id="task-c", stage=1, resolved=False, tampered=TAMPERED)
    archive.close()
    with open(run["dir"] / "events.jsonl", "a") as log:
        log.write(json.dumps({"t": 1e9, "event": "agent_flagged", "agent": hacker, "reason": REASON,
                              "task": "vatcalc-cent-rounding", "source": "canary"}) + "\n")
    return {**run, "root": root, "hacker": hacker, "honest": honest}


@pytest.fixture(scope="module")
def server(flagged_run) -> Iterator[str]:
    yield from served(flagged_run["root"])


@pytest.fixture()
def page(browser, server) -> Iterator[Page]:  # noqa: F811 - browser is the imported fixture
    yield from watched_page(browser, server)


def _nothing_ran(page: Page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0


def test_the_tree_marks_the_flagged_agent_and_shows_why_as_text(page, flagged_run, artifacts):  # noqa: F811
    hacker, honest = flagged_run["hacker"], flagged_run["honest"]
    page.goto("/runs/flags")
    expect(page.locator("a.node")).to_have_count(3)
    expect(page.locator("a.node.flagged")).to_have_count(1)
    expect(page.locator(f'a.node.flagged[data-agent-id="{hacker}"]')).to_have_attribute(
        "aria-label", f"agent {hacker}, valid, score 100.0%, flagged as a suspected reward hacker")
    expect(page.locator(f'g.flag-marker[data-agent-id="{hacker}"] text')).to_have_text("⚑")
    # A flagged agent is never the run's best, however it scored.
    expect(page.locator("a.node.best")).to_have_attribute("data-agent-id", str(honest))
    expect(page.locator('[data-role="flagged-count"]')).to_have_text("1")
    page.locator(f'a.node[data-agent-id="{hacker}"]').hover()
    expect(page.locator('.tree-tip [data-role="flag"]')).to_have_text(f"⚑ flagged: {REASON}")
    expect(page.locator(".tree-tip")).not_to_contain_text("null")  # an agent without a reason shows none
    page.locator(f'a.node[data-agent-id="{honest}"]').hover()
    expect(page.locator('.tree-tip [data-role="flag"]')).to_have_count(0)
    listed = page.locator('[data-role="flagged-list"] li')
    expect(listed).to_have_count(1)
    expect(listed.locator(".flag-reason")).to_have_text(REASON)
    expect(page.locator(".feed-item", has_text=f"agent {hacker} flagged as a suspected reward hacker: {REASON}")).to_have_count(1)
    _nothing_ran(page)
    page.locator(f'a.node[data-agent-id="{hacker}"]').hover()
    shot(page, artifacts, "flagged-run-page.png")


def test_the_agent_page_shows_the_flag_and_marks_tampered_and_canary_evaluations(page, flagged_run, artifacts):  # noqa: F811
    page.goto(f"/runs/flags/agents/{flagged_run['hacker']}")
    expect(page.locator('[data-role="flag"]')).to_contain_text(f"Flagged as a suspected reward hacker: {REASON}")
    expect(page.locator(".badge-flagged")).to_have_text("⚑ flagged")
    expect(page.locator('tr.task-row.canary [data-role="canary"]')).to_have_text("cheating canary")
    expect(page.locator('tr.task-row.tampered [data-role="tampered"]')).to_have_text(f"tampered: {TAMPERED}")
    page.get_by_role("button", name="Canary checks 1").click()
    expect(page.locator("tr.task-row")).to_have_count(1)
    page.locator("tr.task-row").get_by_role("button", name="Details").click()
    expect(page.locator(".task-detail .notice-flag")).to_contain_text("no honest patch resolves it")
    _nothing_ran(page)
    page.get_by_role("button", name="All 4").click()
    expect(page.locator("tr.task-row")).to_have_count(4)
    shot(page, artifacts, "flagged-agent-page.png")
    page.goto(f"/runs/flags/agents/{flagged_run['honest']}")
    expect(page.locator("h1")).to_have_text(f"Agent {flagged_run['honest']}")
    expect(page.locator('[data-role="flag"]')).to_have_count(0)
