"""The JobQueue class."""

from collections import deque

from .job import DONE, FAILED, PENDING, Job


class JobQueue:
    def __init__(self, rate, per, clock):
        if not isinstance(rate, int) or rate < 1:
            raise ValueError("rate must be a positive integer")
        if per <= 0:
            raise ValueError("per must be positive")
        self.rate = rate
        self.per = per
        self.clock = clock
        self._jobs = []
        self._starts = deque()  # clock times of the starts still inside the window

    def submit(self, fn, *args, name=None, **kwargs):
        """Queue ``fn(*args, **kwargs)`` and return its Job."""
        job_id = len(self._jobs) + 1
        job = Job(job_id, name or f"job-{job_id}", fn, args, kwargs)
        self._jobs.append(job)
        return job

    def jobs(self):
        return list(self._jobs)

    def pending(self):
        return [job for job in self._jobs if job.status == PENDING]

    def _free_slots(self, now):
        while self._starts and self._starts[0] + self.per <= now:
            self._starts.popleft()
        return self.rate - len(self._starts)

    def run_ready(self):
        """Run the pending jobs the rate limit allows now; return those that finished."""
        now = self.clock.now()
        finished = []
        for job in self.pending():
            if self._free_slots(now) <= 0:
                break
            self._attempt(job, now)
            if job.finished:
                finished.append(job)
        return finished

    def _attempt(self, job, now):
        self._starts.append(now)
        job.attempts += 1
        job.started_at = now
        try:
            job.result = job.fn(*job.args, **job.kwargs)
        except Exception as exc:  # the job's failure is recorded, not raised
            job.error = exc
            job.status = FAILED
        else:
            job.status = DONE

    def next_ready_time(self):
        """The earliest clock time at which run_ready() would start a job.

        None when nothing is pending.
        """
        if not self.pending():
            return None
        now = self.clock.now()
        if self._free_slots(now) > 0:
            return now
        return self._starts[0] + self.per
