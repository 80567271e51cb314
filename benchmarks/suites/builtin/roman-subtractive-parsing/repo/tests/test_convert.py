import pytest

from romanum import MAX_VALUE, from_roman, to_roman


def test_to_roman_simple():
    assert to_roman(1) == "I"
    assert to_roman(8) == "VIII"
    assert to_roman(2023) == "MMXXIII"


def test_to_roman_subtractive():
    assert to_roman(4) == "IV"
    assert to_roman(1994) == "MCMXCIV"
    assert to_roman(MAX_VALUE) == "MMMCMXCIX"


def test_to_roman_lowercase():
    assert to_roman(2024, lowercase=True) == "mmxxiv"


def test_to_roman_range_and_type():
    for bad in (0, -1, 4000):
        with pytest.raises(ValueError):
            to_roman(bad)
    with pytest.raises(TypeError):
        to_roman(3.0)
    with pytest.raises(TypeError):
        to_roman(True)


def test_from_roman_additive():
    assert from_roman("III") == 3
    assert from_roman("XVIII") == 18
    assert from_roman("MDCLXVI") == 1666


def test_from_roman_is_case_insensitive():
    assert from_roman("xvi") == 16
    assert from_roman("  MMX ") == 2010


def test_from_roman_rejects_garbage():
    for bad in ["", "   ", "ABC", "X1", "V I"]:
        with pytest.raises(ValueError):
            from_roman(bad)
    with pytest.raises(TypeError):
        from_roman(12)
