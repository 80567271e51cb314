from datetime import date

import pytest

from todostore import TodoStore


def test_repeating_task_remembers_its_rule():
    store = TodoStore()
    task = store.add("Water plants", due=date(2024, 3, 1), repeat="daily")
    assert task.repeat == "daily"
    assert store.add("Read book").repeat is None


def test_completing_a_daily_task_adds_the_next_occurrence():
    store = TodoStore()
    store.add("Other")
    task = store.add("Water plants", due=date(2024, 3, 1), priority=1, tags=["home"], repeat="daily")
    follow_up = store.complete(task.id, on=date(2024, 3, 1))
    assert follow_up is not None
    assert follow_up.id == 3
    assert store.get(3) is follow_up
    assert (follow_up.title, follow_up.due, follow_up.priority) == ("Water plants", date(2024, 3, 2), 1)
    assert follow_up.tags == ("home",)
    assert follow_up.repeat == "daily"
    assert not follow_up.done and follow_up.completed_on is None
    assert store.get(task.id).done and store.get(task.id).completed_on == date(2024, 3, 1)
    assert [t.id for t in store.open_tasks()] == [3, 1]


def test_weekly_task():
    store = TodoStore()
    task = store.add("Team meeting notes", due=date(2024, 2, 26), repeat="weekly")
    follow_up = store.complete(task.id, on=date(2024, 2, 26))
    assert follow_up.due == date(2024, 3, 4)


def test_weekdays_task_skips_the_weekend():
    store = TodoStore()
    friday = store.add("Stand-up", due=date(2024, 3, 8), repeat="weekdays")
    monday = store.complete(friday.id, on=date(2024, 3, 8))
    assert monday.due == date(2024, 3, 11)
    tuesday = store.complete(monday.id, on=date(2024, 3, 11))
    assert tuesday.due == date(2024, 3, 12)
    saturday = store.add("Weekend chore moved", due=date(2024, 3, 9), repeat="weekdays")
    assert store.complete(saturday.id, on=date(2024, 3, 9)).due == date(2024, 3, 11)


def test_late_completion_skips_missed_occurrences():
    store = TodoStore()
    daily = store.add("Water plants", due=date(2024, 3, 1), repeat="daily")
    assert store.complete(daily.id, on=date(2024, 3, 5)).due == date(2024, 3, 6)
    weekly = store.add("Bins out", due=date(2024, 3, 4), repeat="weekly")
    assert store.complete(weekly.id, on=date(2024, 3, 13)).due == date(2024, 3, 18)
    weekdays = store.add("Stand-up", due=date(2024, 3, 6), repeat="weekdays")
    assert store.complete(weekdays.id, on=date(2024, 3, 8)).due == date(2024, 3, 11)


def test_early_completion_keeps_the_schedule():
    store = TodoStore()
    daily = store.add("Water plants", due=date(2024, 3, 10), repeat="daily")
    assert store.complete(daily.id, on=date(2024, 3, 8)).due == date(2024, 3, 11)
    weekly = store.add("Bins out", due=date(2024, 3, 18), repeat="weekly")
    assert store.complete(weekly.id, on=date(2024, 3, 13)).due == date(2024, 3, 25)


def test_invalid_repeat_rules():
    store = TodoStore()
    with pytest.raises(ValueError):
        store.add("x", due=date(2024, 3, 1), repeat="monthly")
    with pytest.raises(ValueError):
        store.add("x", repeat="daily")
    assert len(store) == 0


def test_completing_twice_does_not_add_another_occurrence():
    store = TodoStore()
    task = store.add("Water plants", due=date(2024, 3, 1), repeat="daily")
    store.complete(task.id, on=date(2024, 3, 1))
    with pytest.raises(ValueError):
        store.complete(task.id, on=date(2024, 3, 2))
    assert len(store) == 2


def test_records_keep_the_repeat_rule():
    store = TodoStore()
    store.add("Water plants", due=date(2024, 3, 1), repeat="weekdays")
    store.add("Read book")
    records = store.to_records()
    assert records[0]["repeat"] == "weekdays"
    assert records[1]["repeat"] is None
    loaded = TodoStore.from_records(records)
    assert loaded.get(1).repeat == "weekdays"
    follow_up = loaded.complete(1, on=date(2024, 3, 1))
    assert follow_up.id == 3 and follow_up.due == date(2024, 3, 4)


def test_records_without_repeat_key_still_load():
    old = [{"id": 4, "title": "Old task", "due": "2024-01-02", "priority": 3, "tags": [], "done": False,
            "completed_on": None}]
    loaded = TodoStore.from_records(old)
    assert loaded.get(4).repeat is None
    assert loaded.complete(4, on=date(2024, 1, 2)) is None


def test_plain_tasks_complete_as_before():
    store = TodoStore()
    task = store.add("Pay bills", due=date(2024, 3, 1))
    assert store.complete(task.id, on=date(2024, 3, 1)) is None
    assert len(store) == 1
    assert store.open_tasks() == []
    with pytest.raises(ValueError):
        store.complete(task.id, on=date(2024, 3, 2))


def test_old_records_load_as_before():
    old = [{"id": 7, "title": "Old task", "due": None, "done": True, "completed_on": "2024-01-02"}]
    loaded = TodoStore.from_records(old)
    task = loaded.get(7)
    assert (task.title, task.due, task.priority, task.tags, task.done) == ("Old task", None, 2, (), True)
    assert loaded.add("Next").id == 8
