import pytest

from rlekit import RLEError, decode, encode, stats


def test_compact_encoding_omits_single_counts():
    assert encode("aaabccddd", compact=True) == "3ab2c3d"
    assert encode("abc", compact=True) == "abc"
    assert encode("x" * 12 + "y", compact=True) == "12xy"


def test_compact_is_keyword_only_and_off_by_default():
    assert encode("aaab") == "3a1b"
    assert encode("aaab", compact=False) == "3a1b"
    with pytest.raises(TypeError):
        encode("aaab", True)


def test_decode_accepts_bare_characters():
    assert decode("3ab2c3d") == "aaabccddd"
    assert decode("abc") == "abc"
    assert decode("a1b") == "ab"
    assert decode(" \n2!") == " \n!!"


def test_compact_round_trip():
    for text in ["hello   world", "aaaaaaaaaaaaaaaaaaaab", "é é", "\t\t-", "", "z"]:
        assert decode(encode(text, compact=True)) == text


def test_compact_stats():
    s = stats("abcd", compact=True)
    assert (s.original, s.encoded, s.ratio) == (4, 4, 1.0)
    assert stats("abcd").encoded == 8


def test_compact_still_refuses_digits():
    with pytest.raises(RLEError, match="position 1"):
        encode("a7", compact=True)


def test_invalid_counts_are_still_rejected():
    for bad in ["0a", "03a", "3a2", "ab7", "12"]:
        with pytest.raises(RLEError):
            decode(bad)


def test_error_reports_position_of_bad_count():
    with pytest.raises(RLEError, match="position 4"):
        decode("ab2c0d")
