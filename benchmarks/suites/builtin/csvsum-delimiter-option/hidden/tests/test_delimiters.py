import io

import pytest

import csvsum
from csvsum import read_table
from csvsum.cli import main

EUROPEAN = 'product;price;qty\n"Widget; large";1.5;2\nGadget;2.5;\n'
TABBED = "name\tscore\nann\t7\nbob\t9\n"


@pytest.fixture
def semicolon_file(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(EUROPEAN, encoding="utf-8")
    return path


@pytest.fixture
def tab_file(tmp_path):
    path = tmp_path / "scores.tsv"
    path.write_text(TABBED, encoding="utf-8")
    return path


def test_read_table_with_semicolons(semicolon_file):
    header, rows = read_table(semicolon_file, delimiter=";")
    assert header == ["product", "price", "qty"]
    assert rows == [["Widget; large", "1.5", "2"], ["Gadget", "2.5", ""]]


def test_read_table_file_object_with_tabs():
    header, rows = read_table(io.StringIO(TABBED), delimiter="\t")
    assert header == ["name", "score"]
    assert rows[1] == ["bob", "9"]


def test_summarise_with_delimiter(semicolon_file):
    product, price, qty = csvsum.summarise(semicolon_file, delimiter=";")
    assert (product.kind, product.unique) == ("text", 2)
    assert (price.kind, price.mean) == ("number", 2.0)
    assert (qty.count, qty.missing) == (1, 1)


def test_summarise_with_delimiter_and_columns(semicolon_file):
    (price,) = csvsum.summarise(semicolon_file, columns=["price"], delimiter=";")
    assert price.maximum == 2.5


def test_cli_long_option(semicolon_file, capsys):
    assert main([str(semicolon_file), "--delimiter", ";"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "product: text count=2 missing=0 unique=2",
        "price: number count=2 missing=0 min=1.5 max=2.5 mean=2",
        "qty: number count=1 missing=1 min=2 max=2 mean=2",
    ]


def test_cli_short_option_with_columns(semicolon_file, capsys):
    assert main([str(semicolon_file), "-d", ";", "-c", "qty"]) == 0
    assert capsys.readouterr().out.splitlines() == ["qty: number count=1 missing=1 min=2 max=2 mean=2"]


def test_cli_tab_spelled_as_escape(tab_file, capsys):
    assert main([str(tab_file), "-d", "\\t"]) == 0
    assert "score: number count=2 missing=0 min=7 max=9 mean=8" in capsys.readouterr().out


def test_cli_tab_spelled_as_word(tab_file, capsys):
    assert main([str(tab_file), "--delimiter", "tab"]) == 0
    assert "name: text count=2 missing=0 unique=2" in capsys.readouterr().out


def test_cli_literal_tab(tab_file, capsys):
    assert main([str(tab_file), "--delimiter", "\t"]) == 0
    assert capsys.readouterr().out.startswith("name: text")


def test_invalid_delimiter_in_api(semicolon_file):
    for bad in ["", ";;", "\n", '"']:
        with pytest.raises(ValueError):
            csvsum.summarise(semicolon_file, delimiter=bad)


def test_invalid_delimiter_in_cli(semicolon_file, capsys):
    with pytest.raises(SystemExit) as info:
        main([str(semicolon_file), "--delimiter", "||"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "delimiter" in err
    assert "single character" in err


def test_comma_is_still_the_default(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,x\n3,y\n", encoding="utf-8")
    a, b = csvsum.summarise(path)
    assert (a.kind, a.mean, b.kind) == ("number", 2.0, "text")
    assert main([str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "a: number count=2 missing=0 min=1 max=3 mean=2"


def test_semicolon_text_without_option_is_one_column():
    header, _ = read_table(io.StringIO("x;y\n1;2\n"))
    assert header == ["x;y"]
