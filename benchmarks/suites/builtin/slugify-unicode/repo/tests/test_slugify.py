import pytest

from slugkit import slugify


def test_basic():
    assert slugify("Hello, World!") == "hello-world"


def test_collapses_runs_of_punctuation():
    assert slugify("  --Rock  &  Roll!!  ") == "rock-roll"


def test_numbers_are_kept():
    assert slugify("Top 10 tips for 2024") == "top-10-tips-for-2024"


def test_custom_separator():
    assert slugify("snake case please", separator="_") == "snake_case_please"


def test_max_length_cuts_at_word_boundary():
    assert slugify("A very long blog post title", max_length=12) == "a-very-long"


def test_max_length_cuts_single_long_word():
    assert slugify("Supercalifragilistic", max_length=5) == "super"


def test_empty_string():
    assert slugify("") == ""
    assert slugify("!!!") == ""


def test_rejects_non_string():
    with pytest.raises(TypeError):
        slugify(42)


def test_rejects_empty_separator():
    with pytest.raises(ValueError):
        slugify("abc", separator="")
