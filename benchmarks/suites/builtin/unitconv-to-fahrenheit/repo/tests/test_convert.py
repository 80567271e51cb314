import pytest

from unitconv import IncompatibleUnits, UnknownUnit, convert, convert_text, lookup, parse_quantity


def test_lengths():
    assert convert(5, "km", "m") == pytest.approx(5000)
    assert convert(5, "km", "mi") == pytest.approx(3.10685596)
    assert convert(12, "in", "ft") == pytest.approx(1)
    assert convert(1, "mi", "yd") == pytest.approx(1760)


def test_celsius_and_kelvin():
    assert convert(25, "degC", "K") == pytest.approx(298.15)
    assert convert(0, "K", "degC") == pytest.approx(-273.15)
    assert convert(300, "kelvin", "celsius") == pytest.approx(26.85)


def test_from_fahrenheit():
    assert convert(212, "degF", "degC") == pytest.approx(100)
    assert convert(32, "°F", "°C") == pytest.approx(0)
    assert convert(32, "F", "K") == pytest.approx(273.15)


def test_same_unit_is_identity():
    assert convert(7, "ft", "feet") == 7.0
    assert convert(-3.5, "degF", "degF") == -3.5


def test_incompatible_units():
    with pytest.raises(IncompatibleUnits):
        convert(1, "m", "K")


def test_unknown_unit():
    with pytest.raises(UnknownUnit):
        convert(1, "m", "parsec")
    with pytest.raises(UnknownUnit):
        lookup("furlong")


def test_parse_quantity():
    assert parse_quantity("12.5 km") == (12.5, "km")
    assert parse_quantity("-40 °F") == (-40.0, "degF")
    assert parse_quantity("1e3m") == (1000.0, "m")
    with pytest.raises(ValueError):
        parse_quantity("km 12")


def test_convert_text():
    assert convert_text("6 ft", "m") == pytest.approx(1.8288)
