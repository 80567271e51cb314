import pytest

from jpointer import JsonPointerError, parse_pointer, resolve, to_pointer


def test_tilde_zero_one_decodes_to_tilde_one():
    assert parse_pointer("/~01") == ["~1"]
    assert parse_pointer("/a~01b") == ["a~1b"]


def test_resolve_key_containing_tilde_one():
    doc = {"a~1b": "literal", "a/b": "slash"}
    assert resolve(doc, "/a~01b") == "literal"
    assert resolve(doc, "/a~1b") == "slash"


def test_round_trip_of_awkward_keys():
    keys = ["~1", "~0", "/~", "~/", "a~01b", "~~", "//", "~"]
    for key in keys:
        pointer = to_pointer([key])
        assert parse_pointer(pointer) == [key]
        assert resolve({key: key}, pointer) == key


def test_invalid_escape_sequences_are_rejected():
    for bad in ["/~2", "/a~", "/~a", "/x/~/y"]:
        with pytest.raises(JsonPointerError):
            parse_pointer(bad)


def test_invalid_escape_raises_even_with_default():
    with pytest.raises(JsonPointerError):
        resolve({"~2": 1}, "/~2", default=None)


def test_plain_escapes_still_work():
    assert parse_pointer("/~0/~1/~0~1") == ["~", "/", "~/"]
    assert to_pointer(["~/"]) == "/~0~1"
