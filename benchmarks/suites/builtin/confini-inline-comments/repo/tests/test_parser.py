import pytest

import confini
from confini import ConfigError


SAMPLE = """
# global comment
[server]
host = 0.0.0.0
Port = 8080
debug: yes

; another comment
[paths]
static = "/srv/www/static"
padded = '  spaced  '
"""


def test_sections_and_keys():
    cfg = confini.parse(SAMPLE)
    assert cfg.sections() == ["server", "paths"]
    assert cfg.get("server", "host") == "0.0.0.0"


def test_colon_separator():
    cfg = confini.parse(SAMPLE)
    assert cfg.get("server", "debug") == "yes"


def test_keys_are_case_insensitive():
    cfg = confini.parse(SAMPLE)
    assert cfg.get("server", "PORT") == "8080"
    assert cfg.items("server") == {"host": "0.0.0.0", "port": "8080", "debug": "yes"}


def test_quoted_values_are_unquoted():
    cfg = confini.parse(SAMPLE)
    assert cfg.get("paths", "static") == "/srv/www/static"
    assert cfg.get("paths", "padded") == "  spaced  "


def test_typed_getters():
    cfg = confini.parse(SAMPLE)
    assert cfg.getint("server", "port") == 8080
    assert cfg.getbool("server", "debug") is True
    assert cfg.getfloat("server", "port") == 8080.0


def test_missing_key_default():
    cfg = confini.parse(SAMPLE)
    assert cfg.get("server", "timeout", None) is None
    assert cfg.getint("server", "timeout", 30) == 30
    with pytest.raises(ConfigError):
        cfg.get("server", "timeout")


def test_bad_integer_raises_config_error():
    cfg = confini.parse("[a]\nn = twelve\n")
    with pytest.raises(ConfigError):
        cfg.getint("a", "n")


def test_error_has_line_number():
    with pytest.raises(ConfigError) as info:
        confini.parse("[a]\nx = 1\nthis line is wrong\n")
    assert info.value.lineno == 3


def test_key_before_section_is_an_error():
    with pytest.raises(ConfigError):
        confini.parse("orphan = 1\n[a]\n")


def test_url_with_fragment_is_kept():
    cfg = confini.parse("[docs]\nhomepage = https://example.com/guide#install\n")
    assert cfg.get("docs", "homepage") == "https://example.com/guide#install"


def test_value_starting_with_hash_is_kept():
    cfg = confini.parse("[theme]\naccent = #ff8800\n")
    assert cfg.get("theme", "accent") == "#ff8800"


def test_comment_characters_inside_quotes_are_kept():
    cfg = confini.parse('[msg]\ngreeting = "hello ; world # again"\n')
    assert cfg.get("msg", "greeting") == "hello ; world # again"


def test_load_reads_file(tmp_path):
    path = tmp_path / "app.ini"
    path.write_text("[app]\nname = demo\n", encoding="utf-8")
    assert confini.load(path).get("app", "name") == "demo"
