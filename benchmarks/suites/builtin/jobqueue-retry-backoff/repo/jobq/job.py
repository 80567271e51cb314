"""The Job record."""

from dataclasses import dataclass, field

PENDING = "pending"
DONE = "done"
FAILED = "failed"


@dataclass(eq=False)
class Job:
    id: int
    name: str
    fn: object
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    status: str = PENDING
    attempts: int = 0
    result: object = None
    error: object = None  # the exception raised by the last attempt, if any
    started_at: object = None  # clock time of the last attempt

    @property
    def finished(self):
        return self.status in (DONE, FAILED)
