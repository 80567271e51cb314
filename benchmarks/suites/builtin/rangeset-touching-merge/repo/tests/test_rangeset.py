import pytest

from rangeset import Interval, RangeSet


def test_overlapping_ranges_are_merged():
    rs = RangeSet([(1, 5), (3, 8), (10, 12)])
    assert list(rs) == [Interval(1, 8), Interval(10, 12)]
    assert len(rs) == 2


def test_range_covering_several_is_merged():
    rs = RangeSet([(1, 2), (4, 5), (7, 8)])
    rs.add(0, 10)
    assert list(rs) == [Interval(0, 10)]


def test_ranges_are_kept_sorted():
    rs = RangeSet([(20, 30), (1, 2), (5, 6)])
    assert [tuple(r) for r in rs] == [(1, 2), (5, 6), (20, 30)]


def test_empty_and_reversed_ranges():
    rs = RangeSet()
    rs.add(3, 3)
    assert not rs
    with pytest.raises(ValueError):
        rs.add(5, 4)


def test_remove_splits_range():
    rs = RangeSet([(0, 10)])
    rs.remove(3, 5)
    assert list(rs) == [Interval(0, 3), Interval(5, 10)]
    rs.remove(-5, 1)
    assert list(rs) == [Interval(1, 3), Interval(5, 10)]
    assert rs.total_length() == 7


def test_membership_is_half_open():
    rs = RangeSet([(1, 3)])
    assert 1 in rs
    assert 2.5 in rs
    assert 3 not in rs
    assert 0 not in rs


def test_touching_ranges_do_not_overlap():
    rs = RangeSet([(1, 3)])
    assert not rs.overlaps(3, 5)
    assert not rs.overlaps(-1, 1)
    assert rs.overlaps(2, 5)


def test_set_operations():
    a = RangeSet([(0, 10)])
    b = RangeSet([(5, 15), (20, 25)])
    assert list(a & b) == [Interval(5, 10)]
    assert list(a - b) == [Interval(0, 5)]
    assert list(a | b) == [Interval(0, 15), Interval(20, 25)]
