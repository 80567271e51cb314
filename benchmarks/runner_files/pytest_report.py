"""The grader's pytest report plugin (inside the grading container; see pytest_main.py).

It reads a per-grade secret from a file that only it reads (and then deletes), before any code under
test runs, and prints one line per collected test and one per outcome:

    @@dgm:<secret> COLLECTED tests/test_x.py::test_y
    @@dgm:<secret> PASSED tests/test_x.py::test_y

on a duplicate of the original stdout taken before pytest captures output. The grader reads only
these lines: a test, a module or a patch that prints "PASSED ..." itself reports nothing. A test that
was collected but never reported (the process died, or something cut the run short) stays MISSING.
"""

import os


class Reporter:
    def __init__(self, secret_path: str) -> None:
        with open(secret_path) as handle:
            self.tag = "@@dgm:" + handle.read().strip()
        os.unlink(secret_path)
        self.out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
        self.outcomes: dict = {}

    def _emit(self, word: str, nodeid: str) -> None:
        self.out.write(f"{self.tag} {word} {nodeid}\n")
        self.out.flush()

    def pytest_collection_finish(self, session) -> None:
        for item in session.items:
            self._emit("COLLECTED", item.nodeid)

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self._emit("ERROR", f"{report.nodeid or '<session>'} (collection)")

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call":
            if hasattr(report, "wasxfail"):
                outcome = "XFAIL" if report.skipped else "XPASS"
            else:
                outcome = {"passed": "PASSED", "failed": "FAILED", "skipped": "SKIPPED"}[report.outcome]
        elif report.failed:
            outcome = "ERROR"  # a fixture's setup or teardown failed
        elif report.when == "setup" and report.skipped:
            outcome = "SKIPPED"
        else:
            return
        if self.outcomes.get(report.nodeid) != "ERROR":
            self.outcomes[report.nodeid] = outcome

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        self._emit(self.outcomes.get(nodeid, "ERROR"), nodeid)

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self._emit("FINISHED", str(int(exitstatus)))
