import pytest

from exprlex import LexError, Token, tokenize


def kinds_values(text):
    return [(t.kind, t.value) for t in tokenize(text)]


def test_readme_example():
    assert [(t.kind, t.value, t.pos) for t in tokenize('max(a, 2.5) == "x"')] == [
        ("NAME", "max", 0), ("OP", "(", 3), ("NAME", "a", 4), ("OP", ",", 5), ("NUMBER", 2.5, 7),
        ("OP", ")", 10), ("OP", "==", 12), ("STRING", "x", 15), ("EOF", None, 18),
    ]


def test_numbers():
    assert kinds_values("12 2.5 .5 1e3 2.5E-3 7.") == [
        ("NUMBER", 12), ("NUMBER", 2.5), ("NUMBER", 0.5), ("NUMBER", 1000.0), ("NUMBER", 0.0025),
        ("NUMBER", 7.0), ("EOF", None),
    ]


def test_malformed_numbers():
    for bad in ["12abc", "1.2.3", "3_000"]:
        with pytest.raises(LexError):
            tokenize(bad)


def test_names_and_keywords():
    assert kinds_values("true && _x1 || null") == [
        ("KEYWORD", "true"), ("OP", "&&"), ("NAME", "_x1"), ("OP", "||"), ("KEYWORD", "null"), ("EOF", None),
    ]


def test_operators_longest_match():
    assert [t.value for t in tokenize("a<=b!=!c")][:-1] == ["a", "<=", "b", "!=", "!", "c"]


def test_strings():
    assert kinds_values("'it' \"works\"") == [("STRING", "it"), ("STRING", "works"), ("EOF", None)]
    assert tokenize('""')[0] == Token("STRING", "", 0)


def test_escaped_quotes():
    assert tokenize(r'"say \"hi\""')[0].value == 'say "hi"'
    assert tokenize(r"'it\'s'")[0].value == "it's"


def test_escapes():
    assert tokenize(r'"a\tb\nc"')[0].value == "a\tb\nc"


def test_unknown_escape():
    with pytest.raises(LexError) as info:
        tokenize(r'x == "a\qb"')
    assert info.value.pos == 7


def test_unterminated_string():
    with pytest.raises(LexError) as info:
        tokenize('x == "abc')
    assert info.value.pos == 5
    assert "unterminated" in str(info.value)


def test_comments():
    assert kinds_values("a # comment ) (\n+ b # end") == [("NAME", "a"), ("OP", "+"), ("NAME", "b"), ("EOF", None)]


def test_unexpected_character():
    with pytest.raises(LexError) as info:
        tokenize("a $ b")
    assert info.value.pos == 2
