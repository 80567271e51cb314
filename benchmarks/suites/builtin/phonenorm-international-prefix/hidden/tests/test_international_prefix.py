import pytest

from phonenorm import InvalidNumber, PhoneNumber, normalize, parse, same_number


def test_double_zero_prefix_in_europe():
    assert normalize("0044 20 7946 0958", default_country="GB") == "+442079460958"
    assert normalize("00 49 30 123456", default_country="DE") == "+4930123456"
    assert normalize("0033 1 23 45 67 89", default_country="NL") == "+33123456789"


def test_north_american_prefix():
    assert normalize("011 44 20 7946 0958") == "+442079460958"
    assert normalize("011-39-06-1234-5678", default_country="US") == "+390612345678"


def test_prefix_selects_the_dialled_country():
    assert parse("0031 20 123 4567", default_country="DE") == PhoneNumber("NL", "31", "201234567")
    assert same_number("00 44 20 7946 0958", "+44 20 7946 0958", default_country="FR")


def test_prefix_with_unknown_calling_code():
    with pytest.raises(InvalidNumber):
        normalize("0099 1234 5678", default_country="GB")


def test_calling_own_country_through_prefix():
    assert normalize("0044 20 7946 0958", default_country="GB") == normalize("020 7946 0958", default_country="GB")
    assert normalize("0039 06 1234 5678", default_country="IT") == "+390612345678"


def test_single_trunk_zero_still_national():
    assert normalize("030 123456", default_country="DE") == "+4930123456"
    assert normalize("020 7946 0058", default_country="GB") == "+442079460058"
    assert normalize("0100 7946 00", default_country="GB") == "+44100794600"


def test_other_countries_prefix_is_not_international():
    # "00" is not how you dial abroad from the US.
    with pytest.raises(InvalidNumber):
        normalize("0044 20 7946 0958", default_country="US")


def test_italian_numbers_starting_with_zero_zero_are_not_confused():
    assert normalize("+39 0039 1234", default_country="IT") == "+3900391234"
