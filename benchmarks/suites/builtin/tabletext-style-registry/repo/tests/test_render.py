import pytest

from tabletext import render, render_records

ROWS = [["apple", 3, 0.5], ["kiwi", 12, None], ["fig", 100, 2.25]]
HEADERS = ["fruit", "qty", "price"]


def test_plain():
    assert render(ROWS, headers=HEADERS) == "\n".join([
        "fruit  qty  price",
        "-----  ---  -----",
        "apple    3    0.5",
        "kiwi    12",
        "fig    100   2.25",
    ])


def test_plain_without_headers():
    assert render([["a", 1], ["bb", 22]]) == "a    1\nbb  22"


def test_grid():
    assert render(ROWS[:2], headers=HEADERS, style="grid") == "\n".join([
        "+-------+-----+-------+",
        "| fruit | qty | price |",
        "+=======+=====+=======+",
        "| apple |   3 |   0.5 |",
        "+-------+-----+-------+",
        "| kiwi  |  12 |       |",
        "+-------+-----+-------+",
    ])


def test_markdown():
    assert render([["x", 1]], headers=["k", "value"], style="markdown") == "\n".join([
        "| k   | value |",
        "| :-- | ----: |",
        "| x   |     1 |",
    ])


def test_markdown_needs_headers():
    with pytest.raises(ValueError):
        render([["x"]], style="markdown")


def test_explicit_alignment():
    assert render([["a", "b"], ["ccc", "d"]], align=["right", "center"]) == "  a  b\nccc  d"
    assert render([["ab"], ["abcd"]], align="center", headers=["h"], style="markdown") == "\n".join([
        "|  h   |",
        "| :--: |",
        "|  ab  |",
        "| abcd |",
    ])


def test_bad_alignment():
    with pytest.raises(ValueError):
        render([["a"]], align="middle")
    with pytest.raises(ValueError):
        render([["a", "b"]], align=["left"])


def test_unknown_style():
    with pytest.raises(ValueError, match="unknown style 'fancy'"):
        render(ROWS, style="fancy")


def test_ragged_rows_are_padded():
    assert render([["a"], ["b", 2]], headers=["x", "y", "z"]) == "x  y  z\n-  -  -\na\nb  2"


def test_render_records():
    records = [{"name": "ann", "age": 31}, {"name": "bob", "city": "Oslo"}]
    assert render_records(records) == "\n".join([
        "name  age  city",
        "----  ---  ----",
        "ann    31",
        "bob        Oslo",
    ])
