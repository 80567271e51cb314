import random
from collections import Counter

import pytest

from dgm.selection import Candidate, select_parents

POOL = [Candidate(1, 0.2, 0, 1), Candidate(2, 0.8, 0, 2), Candidate(3, 0.8, 5, 3)]


def test_score_child_prop_prefers_high_scores_with_few_children():
    picks = Counter(select_parents(POOL, 3000, "score_child_prop", random.Random(0)))
    assert picks[2] > picks[3] > picks[1]
    # weights: sigmoid(10*(s-0.5)) / (1 + n_children)
    assert picks[2] / picks[3] == pytest.approx(6.0, rel=0.2)


def test_selection_is_reproducible_with_a_seed():
    a = select_parents(POOL, 20, "score_child_prop", random.Random(7))
    b = select_parents(POOL, 20, "score_child_prop", random.Random(7))
    assert a == b


def test_best_latest_random_and_score_prop():
    assert select_parents(POOL, 2, "best", random.Random(0)) == [2, 2]
    assert select_parents(POOL, 2, "latest", random.Random(0)) == [3, 3]
    assert set(select_parents(POOL, 200, "random", random.Random(0))) == {1, 2, 3}
    picks = Counter(select_parents(POOL, 3000, "score_prop", random.Random(0)))
    assert picks[2] / picks[1] == pytest.approx(4.0, rel=0.2)


def test_all_zero_scores_fall_back_to_uniform_and_empty_archive_fails():
    zeros = [Candidate(1, 0.0, 0, 1), Candidate(2, 0.0, 0, 2)]
    assert set(select_parents(zeros, 100, "score_prop", random.Random(0))) == {1, 2}
    with pytest.raises(ValueError):
        select_parents([], 1, "random", random.Random(0))
