import pytest

from unitconv import convert, convert_text, lookup


def test_celsius_to_fahrenheit():
    assert convert(100, "degC", "degF") == pytest.approx(212)
    assert convert(0, "°C", "°F") == pytest.approx(32)
    assert convert(37, "celsius", "fahrenheit") == pytest.approx(98.6)


def test_minus_forty_is_the_same_on_both_scales():
    assert convert(-40, "degC", "degF") == pytest.approx(-40)


def test_kelvin_to_fahrenheit():
    assert convert(0, "K", "degF") == pytest.approx(-459.67)
    assert convert(273.15, "K", "F") == pytest.approx(32)


def test_rankine_to_fahrenheit():
    assert convert(491.67, "degR", "degF") == pytest.approx(32)


def test_fahrenheit_round_trip():
    for value in (-459.67, -40.0, 0.0, 32.0, 98.6, 451.0):
        celsius = convert(value, "degF", "degC")
        assert convert(celsius, "degC", "degF") == pytest.approx(value)


def test_convert_text_to_fahrenheit():
    assert convert_text("20 °C", "°F") == pytest.approx(68)


def test_unit_from_base_inverts_to_base():
    for name in ("m", "km", "ft", "K", "degC", "degR", "degF"):
        unit = lookup(name)
        assert unit.from_base(unit.to_base(12.5)) == pytest.approx(12.5)


def test_other_temperature_conversions_unchanged():
    assert convert(100, "degC", "K") == pytest.approx(373.15)
    assert convert(98.6, "degF", "degC") == pytest.approx(37)
    assert convert(0, "degF", "K") == pytest.approx(255.372222)
    assert convert(0, "K", "degR") == pytest.approx(0)
    assert convert(100, "degC", "degR") == pytest.approx(671.67)


def test_lengths_unchanged():
    assert convert(1, "ft", "cm") == pytest.approx(30.48)
    assert convert(1000, "mm", "m") == pytest.approx(1)
