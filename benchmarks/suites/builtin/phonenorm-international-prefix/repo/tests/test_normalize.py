import pytest

from phonenorm import InvalidNumber, PhoneNumber, normalize, parse, same_number


def test_us_national_formats():
    assert normalize("(415) 555-0100") == "+14155550100"
    assert normalize("415.555.0100") == "+14155550100"
    assert normalize("1 415 555 0100") == "+14155550100"


def test_international_form():
    assert normalize("+44 20 7946 0958") == "+442079460958"
    assert normalize("+49 30 123456") == "+4930123456"
    assert normalize("+1-415-555-0100", default_country="FR") == "+14155550100"


def test_trunk_prefix_is_dropped():
    assert normalize("020 7946 0958", default_country="GB") == "+442079460958"
    assert normalize("01 23 45 67 89", default_country="fr") == "+33123456789"


def test_written_out_trunk_prefix_after_country_code():
    assert normalize("+44 (0)20 7946 0958") == "+442079460958"


def test_italian_leading_zero_is_kept():
    assert parse("06 1234 5678", default_country="IT") == PhoneNumber("IT", "39", "0612345678")
    assert normalize("+39 06 1234 5678") == "+390612345678"


def test_invalid_numbers():
    for bad in ["", "   ", "call me", "415-555-010", "+99 1234 5678", "12+34", "+44 20 7946 09581"]:
        with pytest.raises(InvalidNumber):
            normalize(bad)


def test_unknown_default_country():
    with pytest.raises(KeyError):
        normalize("020 7946 0958", default_country="XX")


def test_same_number():
    assert same_number("+44 20 7946 0958", "020 7946 0958", default_country="GB")
    assert not same_number("+44 20 7946 0958", "+44 20 7946 0959")
