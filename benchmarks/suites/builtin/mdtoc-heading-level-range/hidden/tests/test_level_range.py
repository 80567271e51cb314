import pytest

from mdtoc import build_toc, insert_toc

DOC = """\
# Project

## Install

### From source

#### Build flags

## Usage

### Options
"""


def test_default_includes_all_levels():
    assert build_toc(DOC) == (
        "- [Project](#project)\n"
        "  - [Install](#install)\n"
        "    - [From source](#from-source)\n"
        "      - [Build flags](#build-flags)\n"
        "  - [Usage](#usage)\n"
        "    - [Options](#options)\n"
    )


def test_max_level_omits_deeper_headings():
    assert build_toc(DOC, max_level=2) == (
        "- [Project](#project)\n"
        "  - [Install](#install)\n"
        "  - [Usage](#usage)\n"
    )


def test_min_level_omits_title_and_unindents():
    assert build_toc(DOC, min_level=2, max_level=3) == (
        "- [Install](#install)\n"
        "  - [From source](#from-source)\n"
        "- [Usage](#usage)\n"
        "  - [Options](#options)\n"
    )


def test_single_level():
    assert build_toc(DOC, min_level=3, max_level=3) == (
        "- [From source](#from-source)\n"
        "- [Options](#options)\n"
    )


def test_anchors_unchanged_by_level_filter():
    text = "# Setup\n## Linux\n### Setup\n## Windows\n### Setup\n"
    assert build_toc(text, min_level=3) == "- [Setup](#setup-1)\n- [Setup](#setup-2)\n"
    assert build_toc(text, max_level=2) == (
        "- [Setup](#setup)\n"
        "  - [Linux](#linux)\n"
        "  - [Windows](#windows)\n"
    )


def test_range_without_headings_gives_empty_toc():
    assert build_toc(DOC, min_level=5) == ""
    assert build_toc("## Only level two\n", max_level=1) == ""


def test_invalid_level_range_rejected():
    with pytest.raises(ValueError):
        build_toc(DOC, min_level=0)
    with pytest.raises(ValueError):
        build_toc(DOC, max_level=7)
    with pytest.raises(ValueError):
        build_toc(DOC, min_level=3, max_level=2)


def test_insert_toc_accepts_level_range():
    text = "# Title\n<!-- toc -->\n## Part\n### Detail\n"
    assert insert_toc(text, max_level=2) == "# Title\n- [Title](#title)\n  - [Part](#part)\n## Part\n### Detail\n"
    assert insert_toc(text, min_level=2) == "# Title\n- [Part](#part)\n  - [Detail](#detail)\n## Part\n### Detail\n"
