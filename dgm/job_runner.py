"""A job's own process: `python -m dgm.job_runner` reads one job (JSON) on standard input, runs it
(dgm/job_work.py) and writes its messages, one JSON object per line, on standard output.

It runs in a session of its own. To stop it the executor sends the whole process group SIGTERM, on
which the job removes its containers (one whose creation is still on its way to the engine included,
see DockerSandbox.close) and ends; SIGKILL follows if it has not ended within the executor's grace.
It gets the same SIGTERM when the process that started it dies, so a coordinator killed with -9
leaves no job working behind it (a container left anyway carries this process's pid, and the next
run's clean-up removes it). It never sees the API key: its model calls go through the coordinator's
gateway sockets.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import traceback
from typing import Any

PR_SET_PDEATHSIG = 1
STOP_JOIN_S = 30.0  # the executor's SIGKILL comes sooner, after its grace


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the executor's own kill still ends it
        pass
    if os.getppid() == 1:  # the parent died before the line above
        os._exit(1)


def main() -> int:
    _die_with_parent()
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="surrogateescape")
    os.dup2(2, 1)  # anything else printing to stdout (a library) must not corrupt the message stream
    lock = threading.Lock()

    def report(message: dict[str, Any]) -> None:
        line = json.dumps(message)
        with lock:
            out.write(line + "\n")
            out.flush()

    try:
        from dgm.config import RunConfig
        from dgm.job_work import evaluate, expand
        from dgm.jobs import EvaluateJob, load_job
        from sandbox.container import DockerSandbox
        from sandbox.engine import docker_client

        job, context = load_job(sys.stdin.read())
        config = RunConfig.model_validate_json(context.config_json)
        sandbox = DockerSandbox(docker_client(), config.sandbox, labels={**context.labels, "dgm.job": job.job_id})
        # Stopped: remove our containers from another thread (this one may be inside an engine call)
        # and let the work fail on its next step; nothing it reports now is recorded.
        closing: list[threading.Thread] = []

        def stop(signum: int, frame: object) -> None:
            closing.append(threading.Thread(target=sandbox.close, name="dgm-job-stop", daemon=True))
            closing[-1].start()

        signal.signal(signal.SIGTERM, stop)
        try:
            work = evaluate if isinstance(job, EvaluateJob) else expand
            report(work(job, context, sandbox, config, report))
        finally:
            sandbox.close()
            for thread in closing:  # an engine call cut off by our exit may be undone by the engine
                thread.join(STOP_JOIN_S)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a message; the exit code says the rest
        report({"type": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000], "traceback": traceback.format_exc()[-20000:]})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
