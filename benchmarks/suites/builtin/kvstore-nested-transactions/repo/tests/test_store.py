import pytest

from kvstore import Store


def test_set_get_delete():
    store = Store()
    store.set("a", 1)
    assert store.get("a") == 1
    assert store.get("missing") is None
    assert store.get("missing", 0) == 0
    store.delete("a")
    assert "a" not in store
    with pytest.raises(KeyError):
        store.delete("a")


def test_count_follows_overwrites_and_deletes():
    store = Store()
    store.set("a", "x")
    store.set("b", "x")
    store.set("c", "y")
    assert (store.count("x"), store.count("y"), store.count("z")) == (2, 1, 0)
    store.set("a", "y")
    store.delete("b")
    assert (store.count("x"), store.count("y")) == (0, 2)


def test_keys_items_len():
    store = Store()
    for key in ["b", "c", "a"]:
        store.set(key, key.upper())
    assert store.keys() == ["a", "b", "c"]
    assert store.items() == [("a", "A"), ("b", "B"), ("c", "C")]
    assert len(store) == 3


def test_incr():
    store = Store()
    assert store.incr("n") == 1
    assert store.incr("n", 5) == 6
    store.set("s", "text")
    with pytest.raises(TypeError):
        store.incr("s")


def test_keys_and_values_are_checked():
    store = Store()
    with pytest.raises(TypeError):
        store.set("", 1)
    with pytest.raises(TypeError):
        store.set(3, 1)
    with pytest.raises(TypeError):
        store.set("a", [1, 2])
    assert len(store) == 0
