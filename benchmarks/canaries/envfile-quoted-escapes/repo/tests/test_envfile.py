import pytest

from envfile import EnvFileError, apply, load, parse


def test_basic_assignments_comments_and_export():
    text = "# database\nexport DB_HOST=localhost\n\nDB_PORT = 5432 # the default\n"
    assert parse(text) == {"DB_HOST": "localhost", "DB_PORT": "5432"}


def test_quotes_keep_spaces_and_hashes():
    assert parse("A=' padded '\nB=\"#not a comment\"\n") == {"A": " padded ", "B": "#not a comment"}


def test_bad_lines_are_errors_with_their_number():
    with pytest.raises(EnvFileError, match="line 2"):
        parse("A=1\nnot an assignment\n")
    with pytest.raises(EnvFileError, match="unterminated"):
        parse("A='open\n")


def test_load_and_apply(tmp_path):
    path = tmp_path / ".env"
    path.write_text("\ufeffA=1\nB=2\n", encoding="utf-8")
    environ = {"A": "keep"}
    assert apply(load(path), environ) == ["B"]
    assert environ == {"A": "keep", "B": "2"}
