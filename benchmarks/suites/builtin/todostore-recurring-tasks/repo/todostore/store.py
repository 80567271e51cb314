"""The TodoStore."""

from datetime import timedelta

from .models import PRIORITIES, Task, check_date, format_date, parse_date


class TodoStore:
    def __init__(self):
        self._tasks = {}
        self._next_id = 1

    def add(self, title, due=None, priority=2, tags=()):
        """Add an open task and return it."""
        if not isinstance(title, str) or not title.strip():
            raise ValueError("a task needs a title")
        if due is not None:
            check_date(due, "due")
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}")
        task = Task(self._next_id, title.strip(), due, priority, tuple(tags))
        self._tasks[task.id] = task
        self._next_id += 1
        return task

    def get(self, task_id):
        try:
            return self._tasks[task_id]
        except KeyError:
            raise KeyError(f"no task with id {task_id}") from None

    def remove(self, task_id):
        self.get(task_id)
        del self._tasks[task_id]

    def complete(self, task_id, on):
        """Mark a task as done on the date *on*."""
        check_date(on, "on")
        task = self.get(task_id)
        if task.done:
            raise ValueError(f"task {task_id} is already done")
        task.done = True
        task.completed_on = on

    def reopen(self, task_id):
        task = self.get(task_id)
        task.done = False
        task.completed_on = None

    def __len__(self):
        return len(self._tasks)

    def all_tasks(self):
        return sorted(self._tasks.values(), key=lambda t: t.id)

    def open_tasks(self):
        tasks = [t for t in self._tasks.values() if not t.done]
        return sorted(tasks, key=lambda t: (t.due is None, t.due or 0, t.priority, t.id))

    def overdue(self, today):
        check_date(today, "today")
        return [t for t in self.open_tasks() if t.is_overdue(today)]

    def due_on(self, day):
        check_date(day, "day")
        return [t for t in self.open_tasks() if t.due == day]

    def upcoming(self, today, days=7):
        """Open tasks due from *today* (included) to *today + days* (excluded)."""
        check_date(today, "today")
        end = today + timedelta(days=days)
        return [t for t in self.open_tasks() if t.due is not None and today <= t.due < end]

    def with_tag(self, tag):
        return [t for t in self.open_tasks() if tag in t.tags]

    def to_records(self):
        return [
            {
                "id": t.id,
                "title": t.title,
                "due": format_date(t.due),
                "priority": t.priority,
                "tags": list(t.tags),
                "done": t.done,
                "completed_on": format_date(t.completed_on),
            }
            for t in self.all_tasks()
        ]

    @classmethod
    def from_records(cls, records):
        store = cls()
        for record in records:
            task = Task(
                id=record["id"],
                title=record["title"],
                due=parse_date(record.get("due")),
                priority=record.get("priority", 2),
                tags=tuple(record.get("tags", ())),
                done=record.get("done", False),
                completed_on=parse_date(record.get("completed_on")),
            )
            store._tasks[task.id] = task
        store._next_id = max(store._tasks, default=0) + 1
        return store
