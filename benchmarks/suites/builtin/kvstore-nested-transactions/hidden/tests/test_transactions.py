import pytest

from kvstore import Store
from kvstore.commands import run_script


def no_transaction_error():
    from kvstore import NoTransaction

    return NoTransaction


def test_rollback_restores_values():
    store = Store()
    store.set("a", 1)
    store.begin()
    store.set("a", 2)
    store.set("b", 3)
    assert (store.get("a"), store.get("b"), len(store)) == (2, 3, 2)
    store.rollback()
    assert (store.get("a"), store.get("b"), len(store)) == (1, None, 1)
    assert store.depth == 0


def test_rollback_restores_deleted_keys():
    store = Store()
    store.set("a", 1)
    store.begin()
    store.delete("a")
    assert "a" not in store
    assert store.count(1) == 0
    store.rollback()
    assert store.get("a") == 1
    assert store.count(1) == 1


def test_commit_keeps_changes():
    store = Store()
    store.begin()
    store.set("a", 1)
    store.commit()
    assert store.get("a") == 1
    assert store.depth == 0
    store.begin()
    store.set("a", 2)
    store.rollback()
    assert store.get("a") == 1


def test_commit_or_rollback_without_transaction():
    error = no_transaction_error()
    assert issubclass(error, RuntimeError)
    store = Store()
    store.set("a", 1)
    with pytest.raises(error):
        store.commit()
    with pytest.raises(error):
        store.rollback()
    store.begin()
    store.commit()
    with pytest.raises(error):
        store.commit()
    assert store.get("a") == 1


def test_inner_rollback_keeps_outer_changes():
    store = Store()
    store.begin()
    store.set("a", 1)
    store.begin()
    assert store.depth == 2
    store.set("a", 2)
    store.set("b", 2)
    store.rollback()
    assert (store.get("a"), "b" in store, store.depth) == (1, False, 1)
    store.commit()
    assert store.get("a") == 1


def test_outer_rollback_undoes_committed_inner_changes():
    store = Store()
    store.set("a", 0)
    store.begin()
    store.begin()
    store.set("a", 2)
    store.set("b", 5)
    store.commit()
    assert (store.get("a"), store.get("b"), store.depth) == (2, 5, 1)
    store.rollback()
    assert (store.get("a"), "b" in store, store.depth) == (0, False, 0)


def test_counts_are_restored_by_rollback():
    store = Store()
    store.set("a", "x")
    store.set("b", "x")
    store.begin()
    store.set("a", "y")
    store.delete("b")
    store.set("c", "x")
    assert (store.count("x"), store.count("y")) == (1, 1)
    store.rollback()
    assert (store.count("x"), store.count("y")) == (2, 0)
    assert store.items() == [("a", "x"), ("b", "x")]


def test_many_changes_to_one_key():
    store = Store()
    store.set("a", 1)
    store.begin()
    store.set("a", 2)
    store.set("a", 3)
    store.delete("a")
    store.set("a", 4)
    store.incr("a")
    assert store.get("a") == 5
    store.rollback()
    assert store.get("a") == 1
    assert [store.count(v) for v in (1, 2, 3, 4, 5)] == [1, 0, 0, 0, 0]


def test_key_created_and_deleted_inside_a_transaction():
    store = Store()
    store.begin()
    store.set("n", 1)
    store.delete("n")
    store.commit()
    assert "n" not in store and len(store) == 0
    store.begin()
    store.set("n", 1)
    store.set("n", 2)
    store.rollback()
    assert "n" not in store and store.count(2) == 0


def test_failed_operations_inside_a_transaction():
    store = Store()
    store.set("s", "text")
    store.begin()
    with pytest.raises(KeyError):
        store.delete("zz")
    with pytest.raises(TypeError):
        store.incr("s")
    with pytest.raises(TypeError):
        store.set("bad", [1])
    store.set("a", 1)
    store.rollback()
    assert store.items() == [("s", "text")]


def test_reads_see_uncommitted_changes():
    store = Store()
    store.set("b", 1)
    store.begin()
    store.set("a", 1)
    assert store.keys() == ["a", "b"]
    assert store.count(1) == 2
    store.rollback()
    assert store.keys() == ["b"]


def test_transaction_context_manager():
    store = Store()
    with store.transaction() as same:
        assert same is store
        assert store.depth == 1
        store.set("a", 1)
    assert (store.get("a"), store.depth) == (1, 0)
    with pytest.raises(ZeroDivisionError):
        with store.transaction():
            store.set("a", 2)
            store.set("b", 2)
            1 / 0
    assert store.items() == [("a", 1)]
    assert store.depth == 0


def test_nested_context_managers():
    store = Store()
    with store.transaction():
        store.set("a", 1)
        with pytest.raises(KeyError):
            with store.transaction():
                store.set("a", 2)
                store.delete("missing")
        assert store.get("a") == 1
        with store.transaction():
            store.set("b", 3)
    assert store.items() == [("a", 1), ("b", 3)]


def test_commands():
    script = "\n".join([
        "SET a 10", "BEGIN", "SET a 20", "GET a", "BEGIN", "SET a 30", "COUNT 30", "GET a",
        "ROLLBACK", "GET a", "ROLLBACK", "GET a", "ROLLBACK",
    ])
    assert run_script(script) == ["20", "1", "30", "20", "10", "NO TRANSACTION"]


def test_commands_commit():
    script = "\n".join([
        "begin", "SET a 1", "BEGIN", "DELETE a", "COMMIT", "GET a", "commit", "GET a", "COMMIT", "KEYS",
    ])
    assert run_script(script) == ["NULL", "NULL", "NO TRANSACTION", "(empty)"]


def test_command_usage_for_transactions():
    assert run_script("BEGIN now\nCOMMIT 1\nROLLBACK x") == [
        "ERROR usage: BEGIN",
        "ERROR usage: COMMIT",
        "ERROR usage: ROLLBACK",
    ]


# Behaviour that must not change.

def test_store_without_transactions_is_unchanged():
    store = Store()
    store.set("a", 1)
    store.set("a", 2)
    store.delete("a")
    store.set("b", 2)
    assert (store.items(), store.count(2), len(store)) == ([("b", 2)], 1, 1)


def test_other_commands_are_unchanged():
    assert run_script("FROB\nSET a\nDELETE a\nSET a 1\nKEYS\nCOUNT 1") == [
        "ERROR unknown command FROB",
        "ERROR usage: SET key value",
        "NOT FOUND",
        "a",
        "1",
    ]
