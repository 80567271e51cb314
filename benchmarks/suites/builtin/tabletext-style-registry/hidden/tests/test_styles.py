import dataclasses

import pytest

import tabletext
from tabletext import render, render_records

ROWS = [["apple", 3, 0.5], ["kiwi", 12, None]]
HEADERS = ["fruit", "qty", "price"]


def test_builtin_styles_are_registered():
    from tabletext import Style, get_style, style_names

    assert style_names() == ["grid", "markdown", "plain"]
    for name in style_names():
        assert isinstance(get_style(name), Style)


def test_style_objects_render_like_their_names():
    from tabletext import get_style

    for name in ["plain", "grid", "markdown"]:
        assert render(ROWS, headers=HEADERS, style=get_style(name)) == render(ROWS, headers=HEADERS, style=name)
    assert render([["a", 1]], style=get_style("grid")) == render([["a", 1]], style="grid")


def test_register_and_use_a_custom_style():
    from tabletext import Rule, Style, register_style, style_names, unregister_style

    pipes = Style(row=("|", "|", "|"), header_rule=Rule("|", "-", "|", "|"))
    assert register_style("pipes", pipes) is pipes
    try:
        assert style_names() == ["grid", "markdown", "pipes", "plain"]
        assert render(ROWS, headers=HEADERS, style="pipes") == "\n".join([
            "|fruit|qty|price|",
            "|-----|---|-----|",
            "|apple|  3|  0.5|",
            "|kiwi | 12|     |",
        ])
        assert render_records([{"a": 1}], style="pipes") == "|a|\n|-|\n|1|"
    finally:
        unregister_style("pipes")
    assert style_names() == ["grid", "markdown", "plain"]


def test_registering_a_taken_name_needs_replace():
    from tabletext import Rule, Style, get_style, register_style

    original = get_style("grid")
    ascii_grid = Style(row=("! ", " ! ", " !"), top=Rule("*", "*", "*", "*"))
    with pytest.raises(ValueError):
        register_style("grid", ascii_grid)
    assert get_style("grid") is original
    register_style("grid", ascii_grid, replace=True)
    try:
        assert render([["a", 1]], style="grid") == "*****\n! a ! 1 !"
    finally:
        register_style("grid", original, replace=True)
    assert render([["a", 1]], style="grid") == "+---+---+\n| a | 1 |\n+---+---+"


def test_unregister():
    from tabletext import Style, register_style, unregister_style

    with pytest.raises(KeyError):
        unregister_style("no-such-style")
    register_style("temp", Style(row=("", " ", "")))
    unregister_style("temp")
    with pytest.raises(ValueError, match="unknown style 'temp'"):
        render([["a"]], style="temp")


def test_unknown_style_message_lists_registered_styles():
    from tabletext import Style, get_style, register_style, unregister_style

    register_style("compact", Style(row=("", " ", "")))
    try:
        with pytest.raises(ValueError) as info:
            render(ROWS, style="fancy")
        assert str(info.value) == "unknown style 'fancy'; expected one of: compact, grid, markdown, plain"
        with pytest.raises(ValueError, match="unknown style 'fancy'"):
            get_style("fancy")
    finally:
        unregister_style("compact")


def test_derived_style():
    from tabletext import get_style

    grid = get_style("grid")
    loose = dataclasses.replace(grid, row_rule=None)
    assert render(ROWS, headers=HEADERS, style=loose) == "\n".join([
        "+-------+-----+-------+",
        "| fruit | qty | price |",
        "+=======+=====+=======+",
        "| apple |   3 |   0.5 |",
        "| kiwi  |  12 |       |",
    ])
    assert grid.row_rule is not None  # the registered style is untouched


def test_custom_style_with_alignment_markers_and_min_width():
    from tabletext import Rule, Style

    style = Style(row=("", " ", ""), header_rule=Rule("", "=", " ", ""), align_markers=True, min_width=4)
    assert render([["ab", 1, "c"]], headers=["k", "v", "m"], align=["left", "right", "center"], style=style) == "\n".join([
        "k       v  m",
        ":=== ===: :==:",
        "ab      1  c",
    ])


def test_custom_style_needing_headers():
    from tabletext import Style

    style = Style(row=("[", "][", "]"), needs_headers=True)
    with pytest.raises(ValueError):
        render([["a"]], style=style)
    assert render([["a", "bc"]], headers=["x", "y"], style=style) == "[x][y ]\n[a][bc]"


def test_register_validates_its_arguments():
    from tabletext import Style, register_style

    with pytest.raises(TypeError):
        register_style("oops", "grid")
    with pytest.raises(ValueError):
        register_style("", Style(row=("", " ", "")))


# Behaviour that must not change.

def test_old_outputs_are_unchanged():
    assert render(ROWS, headers=HEADERS) == "fruit  qty  price\n-----  ---  -----\napple    3    0.5\nkiwi    12"
    assert render(ROWS, headers=HEADERS, style="markdown") == "\n".join([
        "| fruit | qty | price |",
        "| :---- | --: | ----: |",
        "| apple |   3 |   0.5 |",
        "| kiwi  |  12 |       |",
    ])


def test_grid_edge_cases_are_unchanged():
    assert render([], headers=["a", "bb"], style="grid") == "+---+----+\n| a | bb |\n+===+====+"
    assert render([], style="grid") == "+--+"
    assert render([["x"]], headers=["h"], style="grid", align="center") == "+---+\n| h |\n+===+\n| x |\n+---+"


def test_plain_edge_cases_are_unchanged():
    assert render([]) == ""
    assert render([], headers=["a", "b"]) == "a  b\n-  -"
    assert render([[None, True], [1.0, "x"]]) == "   True\n1  x"
    assert render([["a", "b"]], align="center", headers=["long", "l"]) == "long  l\n----  -\n a    b"


def test_unknown_style_message_is_unchanged():
    with pytest.raises(ValueError) as info:
        render(ROWS, style="fancy")
    assert str(info.value) == "unknown style 'fancy'; expected one of: grid, markdown, plain"


def test_markdown_still_needs_headers():
    with pytest.raises(ValueError):
        render([["x"]], style="markdown")
    with pytest.raises(ValueError):
        render_records([], style="markdown")


def test_old_module_paths_still_work():
    from tabletext.render import ALIGNMENTS, render as render_again, render_records as records_again

    assert ALIGNMENTS == ("left", "right", "center") == tabletext.ALIGNMENTS
    assert render_again([["a", 1]], style="grid") == render([["a", 1]], style="grid")
    assert records_again([{"k": 1}], columns=["k"], style="markdown") == "|   k |\n| --: |\n|   1 |"
