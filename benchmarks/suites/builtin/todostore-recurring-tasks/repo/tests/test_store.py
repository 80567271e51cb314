from datetime import date, datetime

import pytest

from todostore import Task, TodoStore


def make_store():
    store = TodoStore()
    store.add("Pay bills", due=date(2024, 3, 1), priority=1, tags=["home"])
    store.add("Read book")
    store.add("Dentist", due=date(2024, 3, 7), priority=2)
    store.add("Call mum", due=date(2024, 3, 7), priority=1, tags=["family"])
    return store


def test_add_and_get():
    store = TodoStore()
    task = store.add("  Pay bills ", due=date(2024, 3, 1), tags=["home"])
    assert task == Task(1, "Pay bills", date(2024, 3, 1), 2, ("home",))
    assert store.get(1) is task
    with pytest.raises(KeyError):
        store.get(99)


def test_validation():
    store = TodoStore()
    with pytest.raises(ValueError):
        store.add("   ")
    with pytest.raises(ValueError):
        store.add("x", priority=5)
    with pytest.raises(TypeError):
        store.add("x", due=datetime(2024, 3, 1, 9, 0))
    with pytest.raises(TypeError):
        store.add("x", due="2024-03-01")


def test_open_tasks_order():
    store = make_store()
    assert [t.title for t in store.open_tasks()] == ["Pay bills", "Call mum", "Dentist", "Read book"]


def test_complete_and_reopen():
    store = make_store()
    assert store.complete(1, on=date(2024, 3, 2)) is None
    assert store.get(1).done and store.get(1).completed_on == date(2024, 3, 2)
    assert [t.id for t in store.open_tasks()] == [4, 3, 2]
    with pytest.raises(ValueError):
        store.complete(1, on=date(2024, 3, 3))
    store.reopen(1)
    assert not store.get(1).done and store.get(1).completed_on is None


def test_overdue_upcoming_due_on():
    store = make_store()
    today = date(2024, 3, 5)
    assert [t.title for t in store.overdue(today)] == ["Pay bills"]
    assert [t.title for t in store.upcoming(today, days=3)] == ["Call mum", "Dentist"]
    assert store.upcoming(today, days=2) == []
    assert [t.id for t in store.due_on(date(2024, 3, 7))] == [4, 3]


def test_with_tag_and_remove():
    store = make_store()
    assert [t.id for t in store.with_tag("family")] == [4]
    store.remove(4)
    assert store.with_tag("family") == [] and len(store) == 3


def test_records_round_trip():
    store = make_store()
    store.complete(3, on=date(2024, 3, 7))
    records = store.to_records()
    assert records[0]["due"] == "2024-03-01" and records[0]["tags"] == ["home"]
    assert records[2]["completed_on"] == "2024-03-07"
    loaded = TodoStore.from_records(records)
    assert loaded.all_tasks() == store.all_tasks()
    assert loaded.add("New").id == 5
