from rangeset import Interval, RangeSet


def test_touching_ranges_are_coalesced_on_add():
    rs = RangeSet([(1, 3)])
    rs.add(3, 5)
    assert list(rs) == [Interval(1, 5)]
    rs.add(0, 1)
    assert list(rs) == [Interval(0, 5)]
    assert len(rs) == 1


def test_range_filling_a_gap_joins_both_neighbours():
    rs = RangeSet([(1, 3), (5, 7)])
    rs.add(3, 5)
    assert list(rs) == [Interval(1, 7)]


def test_equality_does_not_depend_on_how_ranges_were_added():
    assert RangeSet([(1, 3), (3, 5)]) == RangeSet([(1, 5)])
    assert RangeSet([(3, 5), (1, 3), (5, 6)]) == RangeSet([(1, 6)])


def test_union_coalesces_touching_ranges():
    left = RangeSet([(0, 2), (6, 8)])
    right = RangeSet([(2, 4), (4, 6)])
    assert list(left | right) == [Interval(0, 8)]


def test_difference_and_readd_restores_single_range():
    rs = RangeSet([(0, 10)])
    rs.remove(4, 6)
    rs.add(4, 6)
    assert list(rs) == [Interval(0, 10)]


def test_intersection_of_touching_sets_is_empty():
    result = RangeSet([(1, 3)]) & RangeSet([(3, 5)])
    assert list(result) == []
    assert not result
    assert result == RangeSet()


def test_overlaps_query_still_excludes_touching_ranges():
    rs = RangeSet([(1, 3), (7, 9)])
    assert not rs.overlaps(3, 7)
    assert rs.overlaps(2, 7)
    assert not rs.overlaps(9, 12)


def test_separated_ranges_stay_separate():
    rs = RangeSet([(1, 3), (4, 6)])
    assert list(rs) == [Interval(1, 3), Interval(4, 6)]
    rs.add(3.5, 3.75)
    assert len(rs) == 3


def test_empty_range_next_to_existing_is_ignored():
    rs = RangeSet([(1, 3)])
    rs.add(3, 3)
    rs.add(8, 8)
    assert list(rs) == [Interval(1, 3)]
