import pytest

from ringbuf import SlidingWindow


def test_mean_of_partial_window():
    window = SlidingWindow(4)
    window.push(2)
    window.push(4)
    assert window.mean() == 3
    assert window.values() == [2, 4]


def test_empty_window_mean_raises():
    with pytest.raises(ValueError):
        SlidingWindow(3).mean()


def test_push_reports_dropped_sample():
    window = SlidingWindow(2)
    assert window.push(1) is None
    assert window.push(2) is None
    assert window.push(3) == 1
    assert len(window) == 2
    assert window.size == 2
