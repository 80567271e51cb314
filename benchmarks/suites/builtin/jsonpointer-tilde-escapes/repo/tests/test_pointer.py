import pytest

from jpointer import JsonPointerError, parse_pointer, resolve, to_pointer

DOC = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
    "nested": {"list": [{"id": 1}, {"id": 2}]},
}


def test_whole_document():
    assert resolve(DOC, "") is DOC


def test_rfc_examples():
    assert resolve(DOC, "/foo") == ["bar", "baz"]
    assert resolve(DOC, "/foo/0") == "bar"
    assert resolve(DOC, "/") == 0
    assert resolve(DOC, "/a~1b") == 1
    assert resolve(DOC, "/c%d") == 2
    assert resolve(DOC, "/ ") == 7
    assert resolve(DOC, "/m~0n") == 8


def test_nested():
    assert resolve(DOC, "/nested/list/1/id") == 2


def test_missing_raises_or_returns_default():
    with pytest.raises(JsonPointerError):
        resolve(DOC, "/nope")
    with pytest.raises(JsonPointerError):
        resolve(DOC, "/foo/2")
    assert resolve(DOC, "/nested/list/9/id", default="x") == "x"


def test_array_index_rules():
    for bad in ["/foo/01", "/foo/-", "/foo/-1", "/foo/1.0", "/foo/ 1"]:
        with pytest.raises(JsonPointerError):
            resolve(DOC, bad)


def test_cannot_step_into_scalar():
    with pytest.raises(JsonPointerError):
        resolve(DOC, "/foo/0/x")


def test_malformed_pointer():
    with pytest.raises(JsonPointerError):
        resolve(DOC, "foo")
    with pytest.raises(JsonPointerError):
        resolve(DOC, "foo", default=None)
    with pytest.raises(TypeError):
        parse_pointer(None)


def test_parse_and_build():
    assert parse_pointer("/a~1b/m~0n/0") == ["a/b", "m~n", "0"]
    assert to_pointer(["a/b", "m~n", 0]) == "/a~1b/m~0n/0"
    assert to_pointer([]) == ""
