import pytest

from romanum import MAX_VALUE, from_roman, to_roman


def test_subtractive_pairs():
    assert from_roman("IV") == 4
    assert from_roman("IX") == 9
    assert from_roman("XL") == 40
    assert from_roman("XC") == 90
    assert from_roman("CD") == 400
    assert from_roman("CM") == 900


def test_mixed_numerals():
    assert from_roman("XIV") == 14
    assert from_roman("MCMXCIV") == 1994
    assert from_roman("mmxxiv") == 2024


def test_round_trip_every_value():
    for number in range(1, MAX_VALUE + 1):
        assert from_roman(to_roman(number)) == number
        assert from_roman(to_roman(number, lowercase=True)) == number


def test_rejects_non_canonical_numerals():
    for bad in ["IIII", "VV", "IC", "IL", "XM", "VX", "IIV", "MMMM", "CCCC", "XIIII", "IXI", "DD"]:
        with pytest.raises(ValueError):
            from_roman(bad)


def test_additive_numerals_still_work():
    assert from_roman("LXXXVIII") == 88
    assert from_roman("MMMDCCCLXXXVIII") == 3888
