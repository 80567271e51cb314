import pytest

from histobin import Histogram, equal_width_edges, histogram, validate_edges


def test_equal_width_edges():
    assert equal_width_edges(0, 100, 4) == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert equal_width_edges(0, 1, 3)[-1] == 1.0
    assert equal_width_edges(5, 5, 2) == [4.5, 5.0, 5.5]


def test_invalid_edges():
    for bad in ([1], [0, 0], [2, 1], [0, float("nan")], [0, "1"]):
        with pytest.raises(ValueError):
            validate_edges(bad)
    with pytest.raises(ValueError):
        equal_width_edges(0, 1, 0)


def test_counts_and_outliers():
    h = Histogram([0, 10, 50, 100])
    h.extend([3, 10, 42, 99, -1, 250])
    assert h.counts == [1, 2, 1]
    assert (h.underflow, h.overflow, h.total) == (1, 1, 6)


def test_interior_edge_goes_to_upper_bin():
    h = Histogram([0, 10, 20, 30])
    h.add(10)
    h.add(20)
    assert h.counts == [0, 1, 1]
    assert h.bucket_index(10) == 1


def test_first_edge_is_in_first_bin():
    h = Histogram([0, 10, 20])
    h.add(0)
    assert h.counts == [1, 0]
    assert h.bucket_index(0) == 0
    assert h.bucket_index(-0.001) is None


def test_add_with_count():
    h = Histogram([0, 1, 2])
    h.add(1.5, count=3)
    assert h.counts == [0, 3]


def test_bins_and_cumulative():
    h = Histogram([0, 10, 50, 100])
    h.extend([1, 2, 11, 60])
    assert h.bins() == [(0, 10, 2), (10, 50, 1), (50, 100, 1)]
    assert h.cumulative() == [2, 3, 4]


def test_histogram_with_explicit_range():
    h = histogram([1, 2, 3, 4], bins=2, lo=0, hi=10)
    assert h.edges == [0.0, 5.0, 10.0]
    assert h.counts == [4, 0]


def test_render():
    h = Histogram([0, 10, 50, 100])
    h.extend([3, 10, 42, 99])
    assert h.render(width=10).splitlines() == [
        "[0, 10)    #####      1",
        "[10, 50)   ########## 2",
        "[50, 100]  #####      1",
    ]
