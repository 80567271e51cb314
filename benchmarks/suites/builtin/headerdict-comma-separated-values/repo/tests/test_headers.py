import pytest

from headerdict import HeaderParseError, Headers, parse_headers


def test_lookup_is_case_insensitive():
    h = Headers([("Content-Type", "text/html")])
    assert h["content-type"] == "text/html"
    assert h.get("CONTENT-TYPE") == "text/html"
    assert "content-TYPE" in h
    assert h.get("Accept") is None
    with pytest.raises(KeyError):
        h["Accept"]


def test_repeated_fields_keep_order():
    h = Headers()
    h.add("Set-Cookie", "a=1")
    h.add("X-Other", "x")
    h.add("set-cookie", "b=2")
    assert h.get_all("SET-COOKIE") == ["a=1", "b=2"]
    assert h["Set-Cookie"] == "a=1"
    assert h.keys() == ["Set-Cookie", "X-Other"]
    assert len(h) == 3


def test_get_all_keeps_values_verbatim():
    h = Headers([("Accept", "text/html, application/json;q=0.9"), ("accept", "text/plain")])
    assert h.get_all("Accept") == ["text/html, application/json;q=0.9", "text/plain"]
    assert h.get_all("Missing") == []


def test_setitem_replaces_all_fields():
    h = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    h["A"] = "9"
    assert h.items() == [("A", "9"), ("B", "2")]
    h["C"] = 3
    assert h.items() == [("A", "9"), ("B", "2"), ("C", "3")]


def test_delitem():
    h = Headers({"A": "1", "B": "2"})
    del h["a"]
    assert h.items() == [("B", "2")]
    with pytest.raises(KeyError):
        del h["a"]


def test_equality_ignores_name_case():
    assert Headers([("X-A", "1")]) == Headers([("x-a", "1")])
    assert Headers([("X-A", "1")]) != Headers([("X-A", "2")])


def test_parse_headers():
    h = parse_headers("Host: example.com\r\nAccept: */*\r\nX-Long: one\r\n  two\r\n\r\nbody: no\r\n")
    assert h.items() == [("Host", "example.com"), ("Accept", "*/*"), ("X-Long", "one two")]


def test_parse_errors():
    with pytest.raises(HeaderParseError) as info:
        parse_headers("Host: a\nbroken line\n")
    assert info.value.line == 2
    with pytest.raises(HeaderParseError):
        parse_headers("Bad Name: x\n")
    with pytest.raises(HeaderParseError):
        parse_headers(" folded: first\n")


def test_serialize():
    h = Headers([("A", "1"), ("b", "2")])
    assert h.serialize() == "A: 1\nb: 2\n"
