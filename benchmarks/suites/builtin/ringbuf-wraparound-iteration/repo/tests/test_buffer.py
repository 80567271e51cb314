import pytest

from ringbuf import RingBuffer


def test_append_until_full():
    buf = RingBuffer(3)
    assert buf.append("a") is None
    assert buf.append("b") is None
    assert not buf.is_full()
    assert buf.append("c") is None
    assert buf.is_full()
    assert len(buf) == 3
    assert list(buf) == ["a", "b", "c"]


def test_append_to_full_buffer_returns_evicted_item():
    buf = RingBuffer(2, ["a", "b"])
    assert buf.append("c") == "a"
    assert buf.append("d") == "b"
    assert len(buf) == 2


def test_invalid_capacity():
    for bad in [0, -1, 2.5, "3", True]:
        with pytest.raises(ValueError):
            RingBuffer(bad)


def test_popleft():
    buf = RingBuffer(3, [1, 2])
    assert buf.popleft() == 1
    assert buf.popleft() == 2
    assert len(buf) == 0
    with pytest.raises(IndexError):
        buf.popleft()


def test_clear():
    buf = RingBuffer(2, [1, 2, 3])
    buf.clear()
    assert len(buf) == 0
    assert list(buf) == []
    buf.append(9)
    assert list(buf) == [9]


def test_latest_before_full():
    buf = RingBuffer(5, [1, 2, 3])
    assert buf.latest(2) == [2, 3]
    assert buf.latest(10) == [1, 2, 3]
    assert buf.latest(0) == []


def test_repr_before_full():
    assert repr(RingBuffer(4, "ab")) == "RingBuffer(4, ['a', 'b'])"
