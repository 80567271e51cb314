import pytest

from confload import ConfigError, load_config


def defaults():
    return {"debug": False, "db": {"host": "localhost", "port": 5432}, "tags": [], "name": None}


def test_defaults_only():
    assert load_config(defaults(), {}) == defaults()


def test_environment_overrides_and_coercion():
    env = {"APP_DEBUG": "Yes", "APP_DB__PORT": " 6543 ", "APP_TAGS": "a, b,,c", "APP_NAME": " web ", "HOME": "/root"}
    assert load_config(defaults(), env) == {
        "debug": True,
        "db": {"host": "localhost", "port": 6543},
        "tags": ["a", "b", "c"],
        "name": " web ",
    }


def test_overrides_win_and_merge_sections():
    env = {"APP_DB__HOST": "env-host", "APP_DB__PORT": "1"}
    config = load_config(defaults(), env, overrides={"db": {"host": "cli-host"}})
    assert config["db"] == {"host": "cli-host", "port": 1}


def test_invalid_value():
    with pytest.raises(ConfigError) as excinfo:
        load_config(defaults(), {"APP_DB__PORT": "abc"})
    assert str(excinfo.value) == "invalid value for 'db.port' (from APP_DB__PORT): expected int, got 'abc'"


def test_unknown_settings():
    env = {"APP_CACHE__TTL": "30"}
    assert load_config(defaults(), env)["cache"] == {"ttl": "30"}
    with pytest.raises(ConfigError) as excinfo:
        load_config(defaults(), env, strict=True)
    assert str(excinfo.value) == "unknown setting 'cache.ttl' (from APP_CACHE__TTL)"


def test_custom_prefix_and_separator():
    config = load_config(defaults(), {"MY.DB.HOST": "h", "APP_DEBUG": "1"}, prefix="MY.", separator=".")
    assert config["db"]["host"] == "h"
    assert config["debug"] is False


def test_defaults_are_not_modified():
    base = defaults()
    load_config(base, {"APP_DB__PORT": "1", "APP_TAGS": "x"}, overrides={"debug": True})
    assert base == defaults()
