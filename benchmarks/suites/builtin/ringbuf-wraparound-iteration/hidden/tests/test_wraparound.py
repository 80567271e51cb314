from ringbuf import RingBuffer, SlidingWindow


def test_iteration_after_wraparound_is_oldest_first():
    buf = RingBuffer(3)
    for n in range(5):
        buf.append(n)
    assert len(buf) == 3
    assert list(buf) == [2, 3, 4]
    buf.append(5)
    assert list(buf) == [3, 4, 5]


def test_latest_and_repr_after_wraparound():
    buf = RingBuffer(4, range(10))
    assert buf.latest(2) == [8, 9]
    assert buf.latest(4) == [6, 7, 8, 9]
    assert buf.latest(7) == [6, 7, 8, 9]
    assert repr(buf) == "RingBuffer(4, [6, 7, 8, 9])"


def test_window_statistics_after_wraparound():
    window = SlidingWindow(3)
    for value in [10, 20, 30, 40, 50]:
        window.push(value)
    assert window.values() == [30, 40, 50]
    assert window.total() == 120
    assert window.mean() == 40
    assert window.minimum() == 30
    assert window.maximum() == 50


def test_popleft_then_append_wraps_around():
    buf = RingBuffer(3, [1, 2, 3])
    assert buf.popleft() == 1
    buf.append(4)
    assert list(buf) == [2, 3, 4]
    assert buf.popleft() == 2
    assert list(buf) == [3, 4]


def test_iteration_after_popleft_without_wraparound():
    buf = RingBuffer(4, [1, 2, 3])
    buf.popleft()
    assert list(buf) == [2, 3]
    assert buf.latest(5) == [2, 3]


def test_iteration_of_empty_buffer_after_popleft():
    buf = RingBuffer(2, ["x"])
    buf.popleft()
    assert list(buf) == []
    assert repr(buf) == "RingBuffer(2, [])"
