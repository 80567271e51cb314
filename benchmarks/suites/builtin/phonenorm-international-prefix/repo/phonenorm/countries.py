"""The countries phonenorm knows about."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    calling_code: str  # country calling code, without the "+"
    trunk_prefix: str  # dialled before national numbers inside the country ("" if none)
    international_prefix: str  # dialled before a calling code to call abroad
    lengths: tuple  # allowed lengths of the national (significant) number


COUNTRIES = {
    country.code: country
    for country in [
        Country("US", "1", "1", "011", (10,)),
        Country("GB", "44", "0", "00", (9, 10)),
        Country("DE", "49", "0", "00", (6, 7, 8, 9, 10, 11)),
        Country("FR", "33", "0", "00", (9,)),
        Country("NL", "31", "0", "00", (9,)),
        # Italy keeps the leading 0 of landline numbers: it is not a trunk prefix.
        Country("IT", "39", "", "00", (6, 7, 8, 9, 10, 11)),
    ]
}

BY_CALLING_CODE = {country.calling_code: country for country in COUNTRIES.values()}


def country_for(code):
    """Return the Country for an ISO code such as ``"GB"`` (case-insensitive)."""
    try:
        return COUNTRIES[code.upper()]
    except KeyError:
        raise KeyError(f"unknown country: {code!r}") from None
