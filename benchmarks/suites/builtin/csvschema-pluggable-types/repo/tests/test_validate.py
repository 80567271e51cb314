import datetime

import pytest

from csvschema import Field, Schema, SchemaError, convert_value, validate_csv

PEOPLE = Schema([
    Field("name"),
    Field("age", "int"),
    Field("height", "float", required=False),
    Field("member", "bool", required=False, default=False),
    Field("joined", "date", required=False),
])


def test_valid_rows_become_records():
    text = "name,age,height,member,joined\nAda, 36 ,1.65,YES,2020-01-31\nBob,41,,,\n"
    result = validate_csv(text, PEOPLE)
    assert result.ok
    assert result.records == [
        {"name": "Ada", "age": 36, "height": 1.65, "member": True, "joined": datetime.date(2020, 1, 31)},
        {"name": "Bob", "age": 41, "height": None, "member": False, "joined": None},
    ]


def test_errors_name_row_and_column():
    text = "name,age\nAda,thirty\n,5\n"
    result = validate_csv(text, PEOPLE)
    assert result.records == []
    assert [str(e) for e in result.errors] == [
        "row 2, column 'age': expected an integer, got 'thirty'",
        "row 3, column 'name': missing value",
    ]


def test_missing_required_column():
    result = validate_csv("name\nAda\n", PEOPLE)
    assert [str(e) for e in result.errors] == ["row 1, column 'age': missing column"]


def test_blank_rows_are_skipped():
    result = validate_csv("name,age\n\nAda,1\n , \n", PEOPLE)
    assert result.records == [{"name": "Ada", "age": 1, "height": None, "member": False, "joined": None}]


def test_convert_value_builtin_types():
    assert convert_value("-12", "int") == -12
    assert convert_value("1e3", "float") == 1000.0
    assert convert_value("No", "bool") is False
    assert convert_value("2024-02-29", "date") == datetime.date(2024, 2, 29)
    with pytest.raises(ValueError):
        convert_value("2023-02-29", "date")


def test_unknown_type_rejected():
    with pytest.raises(SchemaError):
        Field("price", "money")


def test_from_dict_and_duplicates():
    schema = Schema.from_dict({"name": "str", "age": "int?"})
    assert [(f.name, f.type, f.required) for f in schema.fields] == [("name", "str", True), ("age", "int", False)]
    with pytest.raises(SchemaError):
        Schema([Field("a"), Field("a", "int")])


def test_semicolon_delimiter():
    result = validate_csv("name;age\nAda;3\n", PEOPLE, delimiter=";")
    assert result.records[0]["age"] == 3
