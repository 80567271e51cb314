from envfile import parse


def test_multiline_values_from_compose_files():
    # docker compose files are read with the same rules.
    assert parse("CERT='line1\\nline2'\n") == {"CERT": "line1\nline2"}


def test_comment_after_quoted_value():
    assert parse('A="x" # trailing\n') == {"A": "x"}
