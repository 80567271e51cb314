import pytest

from wraptext import fill, fill_paragraphs, wrap

FOX = "the quick brown fox jumps over the lazy dog"


def test_basic_wrap():
    assert wrap(FOX, 16) == ["the quick brown", "fox jumps over", "the lazy dog"]


def test_short_text_is_one_line():
    assert wrap("hello world") == ["hello world"]


def test_whitespace_is_collapsed():
    assert wrap("  lots   of\n\tspace  ", 40) == ["lots of space"]


def test_empty_text():
    assert wrap("") == []
    assert wrap("   \n ") == []


def test_long_word_gets_its_own_line():
    assert wrap("a supercalifragilistic word", 8) == ["a", "supercalifragilistic", "word"]


def test_indents():
    text = fill("a b c d e f", 6, initial_indent="* ", subsequent_indent="  ")
    assert text == "* a b\n  c d\n  e f"


def test_max_lines_adds_placeholder():
    assert wrap("one two three four five six seven", 11, max_lines=2) == ["one two", "three [...]"]


def test_max_lines_not_needed():
    assert wrap("short", 10, max_lines=1) == ["short"]


def test_fill_paragraphs():
    text = "first para here\n\n\nsecond   one"
    assert fill_paragraphs(text, 11) == "first para\nhere\n\nsecond one"


def test_invalid_arguments():
    with pytest.raises(ValueError):
        wrap("x", 0)
    with pytest.raises(ValueError):
        wrap("x", 10, max_lines=0)
