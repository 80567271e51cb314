import pytest

from semverlite import InvalidVersion, Version, max_version, parse, sort_versions


def test_parse_full_version():
    v = parse("1.4.0-rc.1+build.7")
    assert (v.major, v.minor, v.patch) == (1, 4, 0)
    assert v.prerelease == ("rc", "1")
    assert v.build == ("build", "7")
    assert str(v) == "1.4.0-rc.1+build.7"


def test_leading_v_is_accepted():
    assert parse("v2.0.1") == Version(2, 0, 1)


def test_invalid_versions():
    for bad in ["1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "a.b.c"]:
        with pytest.raises(InvalidVersion):
            parse(bad)


def test_numeric_parts_compare_numerically():
    assert parse("1.10.0") > parse("1.9.0")
    assert parse("2.0.0") > parse("1.99.99")


def test_release_is_greater_than_prerelease():
    assert parse("1.0.0-rc.1") < parse("1.0.0")
    assert parse("1.0.0") > parse("1.0.0-alpha")


def test_shorter_prerelease_sorts_first():
    assert parse("1.0.0-alpha") < parse("1.0.0-alpha.1")


def test_numeric_identifier_lower_than_alphanumeric():
    assert parse("1.0.0-alpha.1") < parse("1.0.0-alpha.beta")
    assert parse("1.0.0-1") < parse("1.0.0-alpha")


def test_build_metadata_ignored_for_precedence():
    assert parse("1.0.0+a") == parse("1.0.0+b")
    assert len({parse("1.0.0+a"), parse("1.0.0+b")}) == 1


def test_bumps():
    v = parse("1.2.3")
    assert str(v.bump_major()) == "2.0.0"
    assert str(v.bump_minor()) == "1.3.0"
    assert str(v.bump_patch()) == "1.2.4"
    assert str(parse("1.2.3-rc.2").bump_patch()) == "1.2.3"


def test_sort_and_max():
    assert sort_versions(["1.10.0", "1.2.0", "1.9.0"]) == ["1.2.0", "1.9.0", "1.10.0"]
    assert max_version(["1.0.0", "2.0.0-rc.1"]) == parse("1.0.0")
    assert max_version(["1.0.0", "2.0.0-rc.1"], include_prereleases=True) == parse("2.0.0-rc.1")
    assert max_version([]) is None
