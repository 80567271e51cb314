"""jobq: a rate-limited job queue with an explicit clock."""

from .clock import ManualClock
from .job import DONE, FAILED, PENDING, Job
from .queue import JobQueue

__all__ = ["DONE", "FAILED", "PENDING", "Job", "JobQueue", "ManualClock"]
