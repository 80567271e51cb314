import pytest

from exprlex import LexError, Token, tokenize


def test_string_ending_in_a_backslash():
    assert tokenize(r'path == "C:\\"') == [
        Token("NAME", "path", 0),
        Token("OP", "==", 5),
        Token("STRING", "C:\\", 8),
        Token("EOF", None, 14),
    ]


def test_escaped_backslash_does_not_escape_the_quote():
    assert tokenize(r"'\\' + 'b'") == [
        Token("STRING", "\\", 0),
        Token("OP", "+", 5),
        Token("STRING", "b", 7),
        Token("EOF", None, 10),
    ]


def test_escaped_backslash_followed_by_a_letter():
    assert tokenize(r'"\\n"')[0].value == "\\n"
    assert tokenize(r'"C:\\temp\\new"')[0].value == "C:\\temp\\new"
    assert tokenize(r"'tab:\\t'")[0].value == "tab:\\t"


def test_tokens_after_a_string_ending_in_a_backslash():
    assert [(t.kind, t.value, t.pos) for t in tokenize('f("\\\\", x) # done')] == [
        ("NAME", "f", 0), ("OP", "(", 1), ("STRING", "\\", 2), ("OP", ",", 6), ("NAME", "x", 8),
        ("OP", ")", 9), ("EOF", None, 17),
    ]


def test_unknown_escape_in_the_next_string():
    with pytest.raises(LexError) as info:
        tokenize(r'"a\\" + "\q"')
    assert info.value.pos == 9
    assert "unknown escape" in str(info.value)


def test_runs_of_backslashes():
    assert [t.value for t in tokenize(r'"\\\\" "\\\"" "x\\\\\\"')] == ["\\\\", '\\"', "x\\\\\\", None]


# Behaviour that must not change.

def test_escaped_quotes_still_work():
    assert [(t.kind, t.value, t.pos) for t in tokenize(r'''"say \"hi\"" + 'it\'s' ''')] == [
        ("STRING", 'say "hi"', 0), ("OP", "+", 13), ("STRING", "it's", 15), ("EOF", None, 23),
    ]
    assert tokenize(r'"\\\""')[0].value == '\\"'


def test_other_quote_character_is_plain_text():
    assert tokenize("""'say "hi"'""")[0].value == 'say "hi"'
    assert tokenize('''"it's" + x''')[2] == Token("NAME", "x", 9)


def test_hash_inside_a_string_is_not_a_comment():
    assert [t.value for t in tokenize('"a # b" + c # real comment')] == ["a # b", "+", "c", None]


def test_backslash_at_end_of_input_is_an_unterminated_string():
    for text, pos in [('x == "abc\\', 5), ("'\\", 0), ('"a\\"', 0)]:
        with pytest.raises(LexError) as info:
            tokenize(text)
        assert info.value.pos == pos, text
        assert "unterminated" in str(info.value)


def test_unknown_escapes_report_their_position_in_the_source():
    for text, pos in [(r'"\x41"', 1), (r"'\\\z'", 3), (r'n + "ok\u0041"', 7), (r'"\0"', 1)]:
        with pytest.raises(LexError) as info:
            tokenize(text)
        assert info.value.pos == pos, text


def test_positions_after_escaped_strings():
    assert [t.pos for t in tokenize(r'"a\"b" + x')] == [0, 7, 9, 10]
    assert [t.pos for t in tokenize('"\\t\\n" >= 1')] == [0, 7, 10, 11]


def test_strings_may_span_lines():
    assert tokenize('"a\nb" c')[0].value == "a\nb"
    assert tokenize('"a\nb" c')[1] == Token("NAME", "c", 6)
