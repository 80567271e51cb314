"""The search policy on the pages, in real headless Chromium (as test_browser.py: Debian's chromium
driven by Playwright, skipped without them unless DGM_REQUIRE_BROWSER=1): the agent page's Search panel
gives the policy, the evaluations spent, the own and clade estimates, how often the agent was chosen and
its latest decisions; a duplicate links to its original; the tree marks duplicates and the recommended
best. Rules and reasons carry hostile text and are shown as text. A small run written through
archive_db (tests/archive_db/search_run.py): no Docker needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archive_db import Archive
from tests.archive_db.search_run import HOSTILE_REASON, HOSTILE_RULE, fill_search_run
from tests.web.test_browser import artifacts, browser, served, shot, watched_page  # noqa: F401 - the Chromium and artifacts fixtures

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture reports it
    pass

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def search_run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("search-runs")
    archive = Archive.in_dir(root / "search")
    try:
        ids = fill_search_run(archive)
    finally:
        archive.close()
    return {**ids, "root": root}


@pytest.fixture(scope="module")
def server(search_run) -> Iterator[str]:
    yield from served(search_run["root"])


@pytest.fixture()
def page(browser, server) -> Iterator[Page]:  # noqa: F811 - browser is the imported fixture
    yield from watched_page(browser, server)


def _nothing_ran(page: Page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0


def _role(page: Page, role: str):
    return page.locator(f'[data-role="{role}"]')


def test_the_search_panel_gives_the_policys_numbers_and_latest_decisions(page, search_run, artifacts):  # noqa: F811
    a, b = search_run["a"], search_run["b"]
    page.goto(f"/runs/search/agents/{a}")
    expect(page.locator(".card-title", has_text="Search")).to_have_count(1)
    for role, text in (("search-policy", "hgm"), ("search-evaluations", "2"), ("search-own", "2/2 · 100.0%"),
                       ("search-clade", "2/3 · 66.7%"), ("chosen-expand", "1"), ("chosen-evaluate", "2"),
                       ("chosen-canary", "1"), ("chosen-settle", "0")):
        expect(_role(page, role)).to_have_text(text)
    expect(_role(page, "chosen-resume")).to_have_count(0)  # shown only when the policy resumed it
    decisions = _role(page, "decision")
    expect(decisions).to_have_count(4)
    expect(decisions.first.locator(".mark-decision")).to_have_text("evaluate")
    expect(decisions.first.locator(".decision-rule")).to_have_text("thompson sampling over nodes")
    expect(decisions.first.locator('[data-role="decision-chosen"]')).to_have_text(
        f"own 2/2 · clade 2/3 · draw 0.810 (runner-up agent {b} · draw 0.200)")
    expect(page.locator(".badge-best")).to_have_text("best in run")  # the recommended agent, not the top score alone
    shot(page, artifacts, "search-agent-page.png")
    page.goto(f"/runs/search/agents/{search_run['seed']}")
    expect(_role(page, "search-clade")).to_have_text("3/6 · 50.0%")  # the seed's own canary check never counts
    expect(_role(page, "search-evaluations")).to_have_text("2")
    expect(_role(page, "chosen-expand")).to_have_text("3")
    expect(page.locator(".decision-rule", has_text=HOSTILE_RULE)).to_have_count(1)  # the markup shown as text
    _nothing_ran(page)


def test_a_duplicate_links_to_its_original_and_its_reason_is_text(page, search_run):
    a, dup = search_run["a"], search_run["dup"]
    page.goto(f"/runs/search/agents/{dup}")
    expect(page.locator(".badge-duplicate")).to_have_text("duplicate")
    expect(_role(page, "duplicate-of")).to_have_text(f"duplicate of #{a}")
    expect(_role(page, "reason")).to_have_text(f"duplicate: {HOSTILE_REASON.replace('A', str(a))}")
    expect(_role(page, "search-own")).to_have_text("none yet")
    expect(page.locator("[data-role=decisions]")).to_have_count(0)
    _nothing_ran(page)
    _role(page, "duplicate-of").get_by_role("link", name=f"#{a}").click()
    expect(page).to_have_url(f"{page.url.split('/runs/')[0]}/runs/search/agents/{a}")
    expect(page.locator("h1")).to_have_text(f"Agent {a}")


def test_the_tree_marks_the_duplicate_and_the_recommended_best(page, search_run, artifacts):  # noqa: F811
    a, dup = search_run["a"], search_run["dup"]
    page.goto("/runs/search")
    expect(page.locator("a.node")).to_have_count(5)
    expect(page.locator("a.node.node-duplicate")).to_have_attribute("data-agent-id", str(dup))
    expect(page.locator("a.node.node-duplicate")).to_have_attribute("aria-label", f"agent {dup}, duplicate of agent {a}, score —")
    expect(page.locator("a.node.best")).to_have_attribute("data-agent-id", str(a))
    expect(page.locator('[data-role="best-link"]')).to_have_text("100.0%")
    page.locator(f'a.node[data-agent-id="{dup}"]').hover()
    expect(page.locator('.tree-tip [data-role="duplicate-of"]')).to_have_text(f"duplicate of agent {a}")
    expect(page.locator(".tree-tip .tip-reason")).to_contain_text("<script>")
    shot(page, artifacts, "search-run-page.png")
    page.locator("#show-rejected").uncheck()  # rejected, failed and duplicate attempts hide together
    expect(page.locator("a.node")).to_have_count(3)
    _nothing_ran(page)
