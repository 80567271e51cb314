from semverlite import max_version, parse, sort_versions


def test_numeric_identifiers_compare_numerically():
    assert parse("1.0.0-alpha.2") < parse("1.0.0-alpha.10")
    assert parse("1.0.0-rc.9") < parse("1.0.0-rc.11")


def test_specification_example_order():
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    assert sort_versions(list(reversed(ordered))) == ordered
    for lower, higher in zip(ordered, ordered[1:]):
        assert parse(lower) < parse(higher)
        assert parse(higher) > parse(lower)


def test_numeric_always_lower_than_alphanumeric():
    # "9" < "10a" because numeric identifiers have lower precedence,
    # even though 9 > 10 would hold if "10a" were read as a number.
    assert parse("1.0.0-9") < parse("1.0.0-10a")
    assert parse("1.0.0-rc.100") < parse("1.0.0-rc.2a")


def test_max_version_with_prereleases():
    versions = ["2.0.0-rc.2", "2.0.0-rc.10", "2.0.0-rc.9"]
    assert str(max_version(versions, include_prereleases=True)) == "2.0.0-rc.10"


def test_alphanumeric_identifiers_compare_in_ascii_order():
    assert parse("1.0.0-Beta") < parse("1.0.0-alpha")
    assert parse("1.0.0-alpha-2") < parse("1.0.0-alpha-b")


def test_equal_prereleases_are_equal():
    assert parse("1.0.0-rc.1+x") == parse("1.0.0-rc.1+y")
    assert hash(parse("1.0.0-rc.1")) == hash(parse("1.0.0-rc.1+z"))
    assert not (parse("1.0.0-rc.1") < parse("1.0.0-rc.1"))


def test_mixed_identifiers_at_same_position():
    assert parse("1.0.0-alpha.1") < parse("1.0.0-alpha.a")
    assert parse("1.0.0-x.7.z") < parse("1.0.0-x.y.z")
    assert sorted([parse("1.0.0-a.b"), parse("1.0.0-a.3")]) == [parse("1.0.0-a.3"), parse("1.0.0-a.b")]
