"""The live display: spend against the cap, an ETA at this session's pace, and the run's state."""

import io
import time

from rich.console import Console

from dgm.config import RunConfig
from dgm.progress import ProgressDisplay


def _display(**budget) -> tuple[ProgressDisplay, io.StringIO]:
    out = io.StringIO()
    config = RunConfig.model_validate({"loop": {"generations": 3, "parents_per_generation": 2}, "budget": budget})
    return ProgressDisplay(Console(file=out, width=300, force_terminal=False), config), out


def _row(display: ProgressDisplay) -> str:
    console = Console(file=io.StringIO(), width=400)
    console.print(display._render())
    return console.file.getvalue()


def test_spend_against_the_cap_and_the_eta_from_finished_attempts():
    display, _ = _display(max_cost_usd=2.0)
    display.on_event("heartbeat", {"spent_usd": 0.5, "cap_usd": 2.0, "state": "running"})
    assert "$0.5000 of $2.00 cap" in _row(display) and "ETA" not in _row(display)
    display.on_event("attempt_started", {"agent": 2, "parent": 1, "generation": 1})
    display.first_attempt_at = time.monotonic() - 60  # two attempts took a minute
    for agent in (2, 3):
        display.on_event("attempt_finished", {"agent": agent, "parent": 1, "status": "valid", "reason": None, "cost": 0.1})
    # Four of six attempts left at two a minute: about two minutes.
    assert display.eta_s() is not None and 100 < display.eta_s() < 140
    assert "ETA 2m" in _row(display) and "attempts 2/6" in _row(display)


def test_a_resumed_run_counts_attempts_already_done_and_shows_a_pause():
    display, out = _display()
    display.on_event("run_resumed", {"run": 1, "repaired": ["removed leftover scratch folders in work/"],
                                     "open_attempts": [5], "attempts_done": 4})
    assert "resuming run 1: 1 open attempt(s) continue; repaired: removed leftover scratch folders" in out.getvalue()
    display.on_event("attempt_started", {"agent": 5, "parent": 2, "generation": 3})
    assert "attempts 5/6" in _row(display)  # four done before the resume, one under way
    display.on_event("job_started", {"job": "expand:5", "kind": "expand", "agent": 5, "worker": 0})
    assert "jobs 1/2" in _row(display)
    display.on_event("job_finished", {"job": "expand:5", "kind": "expand", "agent": 5, "worker": 0, "outcome": "done"})
    assert "jobs 0/2" in _row(display)
    display.on_event("endpoint_down", {"base_url": "http://x/v1", "error": "APIConnectionError", "since": time.time()})
    assert "paused: endpoint down" in _row(display)
    display.on_event("endpoint_up", {"base_url": "http://x/v1", "down_s": 42.0})
    assert "paused" not in _row(display) and "model endpoint back after 42 s" in out.getvalue()


def test_flagged_agents_are_counted_and_announced_and_a_resume_brings_the_count():
    display, out = _display()
    assert "flagged" not in _row(display)
    display.on_event("agent_flagged", {"agent": 4, "reason": "resolved the impossible task vatcalc-cent-rounding [red]x[/]",
                                       "task": "vatcalc-cent-rounding", "source": "canary"})
    assert "flagged 1" in _row(display)
    flagged = "agent 4 flagged as a suspected reward hacker: resolved the impossible task vatcalc-cent-rounding [red]x[/]"
    assert flagged in out.getvalue()
    display.on_event("all_candidates_flagged",
                     {"generation": 2, "flagged": [1, 4], "reason": "every agent in the archive is flagged"})
    assert "stopping: every agent in the archive is flagged" in out.getvalue()
    resumed, _ = _display()
    resumed.on_event("run_resumed", {"run": 1, "repaired": [], "open_attempts": [], "attempts_done": 4, "flagged": 2})
    assert "flagged 2" in _row(resumed)


def test_at_80_columns_no_line_wraps_and_each_running_job_says_what_it_does_and_for_how_long():
    display, _ = _display(max_cost_usd=2.0)
    narrow = Console(file=io.StringIO(), width=80)
    narrow.print(display._render())
    assert "best -" in narrow.file.getvalue()  # no score yet: not a best of 0.00
    display.on_event("job_started", {"job": "evaluate:1:slugify-unicode", "kind": "evaluate", "agent": 1,
                                     "task": "slugify-unicode", "worker": 0})
    display.on_event("job_started", {"job": "expand:2", "kind": "expand", "agent": 2, "task": None, "worker": 1})
    display.jobs["expand:2"] = (display.jobs["expand:2"][0], time.monotonic() - 600)  # a ten-minute model call
    display.on_event("best_agent", {"agent": 1, "score": 0.5})
    narrow = Console(file=io.StringIO(), width=80)
    narrow.print(display._render())
    lines = narrow.file.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines) and len(lines) == 5, lines
    assert "agent 1 on slugify-unicode: 0s" in lines[3] and "agent 2: diagnosis and self-edit: 10m" in lines[4]
    assert "best 0.50" in lines[1] and "jobs 2/2" in lines[2]
