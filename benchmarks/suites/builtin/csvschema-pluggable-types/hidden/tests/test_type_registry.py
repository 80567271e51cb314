import datetime
from decimal import Decimal, InvalidOperation

import pytest

from csvschema import Field, Schema, SchemaError, convert_value, validate_csv


def _parse_money(text):
    if not text.startswith("$"):
        raise ValueError("expected an amount like $1.50")
    try:
        return Decimal(text[1:])
    except InvalidOperation:
        raise ValueError("expected an amount like $1.50") from None


def test_register_custom_type_and_use_by_name():
    from csvschema.types import register_type

    returned = register_type("money_usd", _parse_money)
    assert returned is _parse_money
    schema = Schema([Field("item"), Field("price", "money_usd")])
    result = validate_csv("item,price\ntea, $2.50 \n", schema)
    assert result.ok
    assert result.records == [{"item": "tea", "price": Decimal("2.50")}]


def test_custom_type_error_message():
    from csvschema.types import register_type

    register_type("money_eur", lambda text: _parse_money(text.replace("EUR ", "$")))
    schema = Schema.from_dict({"item": "str", "price": "money_eur"})
    result = validate_csv("item,price\ntea,2.50\n", schema)
    assert result.records == []
    assert [str(e) for e in result.errors] == [
        "row 2, column 'price': expected an amount like $1.50, got '2.50'"
    ]


def test_field_accepts_converter_callable():
    def percent(text):
        if not text.endswith("%"):
            raise ValueError("expected a percentage")
        return float(text[:-1]) / 100

    schema = Schema([Field("name"), Field("share", percent, required=False, default=0.0)])
    result = validate_csv("name,share\nA,25%\nB,\nC,0.5\n", schema)
    assert result.records == [{"name": "A", "share": 0.25}, {"name": "B", "share": 0.0}]
    assert [str(e) for e in result.errors] == ["row 4, column 'share': expected a percentage, got '0.5'"]


def test_converter_only_sees_stripped_non_empty_cells():
    seen = []

    def record(text):
        seen.append(text)
        return text.upper()

    schema = Schema([Field("code", record), Field("note", record, required=False, default="-"), Field("qty", "int")])
    result = validate_csv("code,note,qty\n  ab ,,1\n, ,2\n", schema)
    assert seen == ["ab"]
    assert result.records == [{"code": "AB", "note": "-", "qty": 1}]
    assert [str(e) for e in result.errors] == ["row 3, column 'code': missing value"]


def test_get_type_returns_builtin_converters():
    from csvschema.types import get_type

    assert get_type("int")("42") == 42
    assert get_type("str")("x") == "x"
    assert get_type("bool")("TRUE") is True
    assert get_type("date")("2021-12-01") == datetime.date(2021, 12, 1)
    with pytest.raises(ValueError) as excinfo:
        get_type("float")("abc")
    assert str(excinfo.value) == "expected a number"
    with pytest.raises(SchemaError):
        get_type("no_such_type")


def test_registering_existing_name_is_rejected():
    from csvschema.types import get_type, register_type

    with pytest.raises(ValueError):
        register_type("int", str)
    assert get_type("int")("7") == 7
    register_type("upper_code", str.upper)
    with pytest.raises(ValueError):
        register_type("upper_code", str.lower)
    assert convert_value("ab", "upper_code") == "AB"


def test_register_rejects_non_callable():
    from csvschema.types import register_type

    with pytest.raises(TypeError):
        register_type("not_callable", "nope")


def test_convert_value_uses_registry():
    from csvschema.types import register_type

    register_type("hex", lambda text: int(text, 16))
    assert convert_value("ff", "hex") == 255
    assert convert_value("10", lambda text: text * 2) == "1010"


def test_from_dict_with_registered_type_and_optional_marker():
    from csvschema.types import register_type

    register_type("yn", lambda text: {"y": True, "n": False}[text])
    schema = Schema.from_dict({"name": "str", "ok": "yn?"})
    assert [(f.name, f.required) for f in schema.fields] == [("name", True), ("ok", False)]
    assert validate_csv("name,ok\nA,y\nB,\n", schema).records == [
        {"name": "A", "ok": True},
        {"name": "B", "ok": None},
    ]


def test_builtin_error_messages_unchanged():
    schema = Schema.from_dict({"i": "int?", "f": "float?", "b": "bool?", "d": "date?"})
    text = "i,f,b,d\n1.5,x,maybe,2021-13-01\n,inf,,\n,,,21-01-01\n"
    assert [str(e) for e in validate_csv(text, schema).errors] == [
        "row 2, column 'i': expected an integer, got '1.5'",
        "row 2, column 'f': expected a number, got 'x'",
        "row 2, column 'b': expected true/false, got 'maybe'",
        "row 2, column 'd': expected a date (YYYY-MM-DD), got '2021-13-01'",
        "row 3, column 'f': expected a finite number, got 'inf'",
        "row 4, column 'd': expected a date (YYYY-MM-DD), got '21-01-01'",
    ]


def test_unknown_type_name_still_rejected():
    with pytest.raises(SchemaError):
        Field("x", "no_such_type")
    with pytest.raises(SchemaError):
        Schema.from_dict({"x": "no_such_type?"})
    with pytest.raises(SchemaError):
        convert_value("1", "no_such_type")


def test_builtin_conversions_unchanged():
    assert convert_value("+7", "int") == 7
    assert convert_value("007", "int") == 7
    assert convert_value("1", "bool") is True
    assert convert_value("off", "str") == "off"
    with pytest.raises(ValueError):
        convert_value("off", "bool")
    with pytest.raises(ValueError):
        convert_value("1_000", "int")
    with pytest.raises(ValueError):
        convert_value("20240229", "date")
