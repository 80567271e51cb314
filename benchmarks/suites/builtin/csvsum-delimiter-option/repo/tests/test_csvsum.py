import io

import pytest

import csvsum
from csvsum import TableError, read_table
from csvsum.cli import main

SALES = """region,units,price
north,3,0.99
south,40,
north,12,12.5
east,15,2
"""


@pytest.fixture
def sales(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(SALES, encoding="utf-8")
    return path


def test_read_table(sales):
    header, rows = read_table(sales)
    assert header == ["region", "units", "price"]
    assert rows[1] == ["south", "40", ""]


def test_read_table_from_file_object():
    header, rows = read_table(io.StringIO("a,b\n1,2\n"))
    assert header == ["a", "b"]
    assert rows == [["1", "2"]]


def test_short_rows_are_padded_and_blank_lines_skipped():
    header, rows = read_table(io.StringIO("a,b,c\n1\n\n4,5,6\n"))
    assert rows == [["1", "", ""], ["4", "5", "6"]]


def test_long_row_is_an_error():
    with pytest.raises(TableError):
        read_table(io.StringIO("a,b\n1,2,3\n"))


def test_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffname,age\nann,5\n".encode("utf-8"))
    assert read_table(path)[0] == ["name", "age"]


def test_summarise(sales):
    region, units, price = csvsum.summarise(sales)
    assert (region.kind, region.count, region.unique) == ("text", 4, 3)
    assert (units.kind, units.minimum, units.maximum, units.mean) == ("number", 3, 40, 17.5)
    assert (price.count, price.missing) == (3, 1)


def test_summarise_selected_columns(sales):
    assert [c.name for c in csvsum.summarise(sales, columns=["price", "region"])] == ["price", "region"]
    with pytest.raises(KeyError):
        csvsum.summarise(sales, columns=["nope"])


def test_cli_output(sales, capsys):
    assert main([str(sales)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "region: text count=4 missing=0 unique=3",
        "units: number count=4 missing=0 min=3 max=40 mean=17.5",
        "price: number count=3 missing=1 min=0.99 max=12.5 mean=5.16333",
    ]


def test_cli_columns_option(sales, capsys):
    assert main([str(sales), "--columns", "units"]) == 0
    assert capsys.readouterr().out.startswith("units: number")


def test_cli_missing_file(tmp_path, capsys):
    assert main([str(tmp_path / "nope.csv")]) == 1
    assert "csvsum: error" in capsys.readouterr().err
