from mdtoc import build_toc, insert_toc, iter_headings, slugify

DOC = """\
# Guide

Intro text.

## Install

### From source

## Usage
"""


def test_build_toc_nests_by_level():
    assert build_toc(DOC) == (
        "- [Guide](#guide)\n"
        "  - [Install](#install)\n"
        "    - [From source](#from-source)\n"
        "  - [Usage](#usage)\n"
    )


def test_indentation_relative_to_shallowest_heading():
    text = "## One\n### One.a\n## Two\n"
    assert build_toc(text) == "- [One](#one)\n  - [One.a](#onea)\n- [Two](#two)\n"


def test_no_headings_gives_empty_toc():
    assert build_toc("just text\n") == ""


def test_headings_in_code_fences_are_ignored():
    text = "# Real\n```python\n# comment\n```\n~~~\n## also code\n~~~\n## Real too\n"
    assert [h.text for h in iter_headings(text)] == ["Real", "Real too"]


def test_closing_hashes_and_non_headings():
    text = "## Title ##\n#hashtag\n####### seven\n   # indented\n"
    assert [(h.level, h.text) for h in iter_headings(text)] == [(2, "Title"), (1, "indented")]


def test_slugify_rules():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  The `toc` option ") == "the-toc-option"
    assert slugify("snake_case-name") == "snake_case-name"


def test_duplicate_headings_get_numbered_anchors():
    text = "# Notes\n## Notes\n## Notes\n"
    assert build_toc(text) == (
        "- [Notes](#notes)\n"
        "  - [Notes](#notes-1)\n"
        "  - [Notes](#notes-2)\n"
    )


def test_insert_toc_replaces_marker():
    text = "# Title\n<!-- toc -->\n## Part\n"
    assert insert_toc(text) == "# Title\n- [Title](#title)\n  - [Part](#part)\n## Part\n"
