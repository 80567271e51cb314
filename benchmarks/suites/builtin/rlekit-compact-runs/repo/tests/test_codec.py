import pytest

from rlekit import RLEError, decode, encode, runs, stats


def test_runs():
    assert list(runs("aaabccddd")) == [("a", 3), ("b", 1), ("c", 2), ("d", 3)]
    assert list(runs("")) == []


def test_encode():
    assert encode("aaabccddd") == "3a1b2c3d"
    assert encode("") == ""
    assert encode("x" * 12) == "12x"


def test_whitespace_and_symbols():
    assert encode("  \n\n!") == "2 2\n1!"
    assert decode("2 2\n1!") == "  \n\n!"


def test_decode():
    assert decode("3a1b2c3d") == "aaabccddd"
    assert decode("10z") == "z" * 10
    assert decode("") == ""


def test_digits_cannot_be_encoded():
    with pytest.raises(RLEError, match="position 2"):
        encode("ab1")


def test_malformed_data():
    for bad in ["3", "a3", "03a", "0a", "3a2"]:
        with pytest.raises(RLEError):
            decode(bad)


def test_round_trip():
    for text in ["hello   world", "aaaaaaaaaaaaaaaaaaaab", "é é", "\t\t-"]:
        assert decode(encode(text)) == text


def test_stats():
    s = stats("aaaa")
    assert (s.original, s.encoded, s.ratio) == (4, 2, 0.5)
    assert stats("").ratio == 1.0
