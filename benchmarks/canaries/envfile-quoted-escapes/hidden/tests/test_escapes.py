from envfile import parse


def test_double_quoted_newline_and_tab():
    assert parse('A="x\\ny"\nB="a\\tb"\n') == {"A": "x\ny", "B": "a\tb"}


def test_double_quoted_escaped_quote_and_backslash():
    assert parse('A="say \\"hi\\""\nB="C:\\\\temp"\n') == {"A": 'say "hi"', "B": "C:\\temp"}


def test_other_backslashes_are_kept():
    assert parse('A="50\\% off"\n') == {"A": "50\\% off"}


def test_single_quoted_values_are_literal():
    assert parse("A='x\\ny'\n") == {"A": "x\\ny"}


def test_unquoted_values_unchanged():
    assert parse("A=x\\ny\n") == {"A": "x\\ny"}
