"""`python -m dgm.job_guard PARENT_PID`: a job's process on a Ray node, between the Ray worker and the
job runner (`python -m dgm.job_runner`, its only child, which inherits its standard streams).

It exists so that a job always gets to remove its containers. A Ray worker that exits (a forced
cancel) kills its direct children outright, and one that crashes (its node lost) leaves them behind.
The guard is that direct child: it dies with the worker either way (SIGKILL on its parent's death),
and the job runner, which asks for SIGTERM on its own parent's death, then removes its containers and
ends as on any stop. SIGTERM to the job's process group reaches both: the guard lets it pass and waits
for the job runner, then ends as it did (same exit code or signal).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def main(parent_pid: int) -> int:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the worker died before the line above
        return 1
    signal.signal(signal.SIGTERM, lambda signum, frame: None)  # the job runner's to handle (reset at its exec)
    code = subprocess.call([sys.executable, "-m", "dgm.job_runner"])
    if code < 0:  # end by the same signal, so the job's exit reads as a local job's would
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
