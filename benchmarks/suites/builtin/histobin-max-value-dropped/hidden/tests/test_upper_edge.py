from histobin import Histogram, histogram


def test_maximum_value_is_counted():
    h = histogram([1, 2, 3, 4, 5], bins=4)
    assert h.edges == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert h.counts == [1, 1, 1, 2]
    assert h.overflow == 0
    assert sum(h.counts) == 5


def test_value_on_last_edge_goes_to_last_bin():
    h = Histogram([0, 10, 20])
    h.add(20)
    h.add(20.0, count=2)
    assert h.counts == [0, 3]
    assert (h.underflow, h.overflow) == (0, 0)


def test_bucket_index_of_last_edge():
    h = Histogram([0, 10, 20])
    assert h.bucket_index(20) == 1
    assert h.bucket_index(20.0) == 1


def test_single_bin_is_closed_on_both_sides():
    h = Histogram([0, 1])
    h.extend([0, 0.5, 1])
    assert h.counts == [3]
    assert h.bins() == [(0, 1, 3)]


def test_latencies_summary():
    latencies = [12, 15, 15, 18, 20, 25, 31, 40]
    h = histogram(latencies, bins=4)
    assert h.counts == [4, 2, 1, 1]
    assert h.cumulative()[-1] == len(latencies)
    assert h.total == len(latencies)


def test_interior_edges_still_belong_to_upper_bin():
    h = Histogram([0, 10, 20, 30])
    h.extend([10, 20, 29.999])
    assert h.counts == [0, 1, 2]
    assert h.bucket_index(10) == 1
    assert h.bucket_index(20) == 2


def test_first_edge_still_in_first_bin():
    h = Histogram([-5, 0, 5])
    h.add(-5)
    assert h.counts == [1, 0]
    assert h.underflow == 0
    assert h.bucket_index(-5) == 0


def test_values_above_last_edge_still_overflow():
    h = Histogram([0, 10, 20])
    h.extend([20.001, 1000])
    assert h.counts == [0, 0]
    assert h.overflow == 2
    assert h.bucket_index(20.001) is None


def test_degenerate_range_still_uses_upper_bin():
    h = histogram([3, 3, 3], bins=2)
    assert h.edges == [2.5, 3.0, 3.5]
    assert h.counts == [0, 3]
