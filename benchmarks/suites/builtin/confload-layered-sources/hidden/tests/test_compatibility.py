import pytest

from confload import ConfigError, load_config


def defaults():
    return {
        "debug": False,
        "workers": 4,
        "ratio": 0.5,
        "name": "app",
        "token": None,
        "tags": ["default"],
        "db": {"host": "localhost", "port": 5432, "options": {"ssl": True}},
    }


def test_positional_arguments_still_work():
    env = {"MY-DB-PORT": "1", "MY-Debug": "on", "APP_WORKERS": "9"}
    config = load_config(defaults(), env, "MY-", "-", {"name": "cli"}, False, True)
    assert config["db"]["port"] == 1
    assert config["debug"] is True
    assert config["workers"] == 4
    assert config["name"] == "cli"


def test_lowercase_false_keeps_case():
    env = {"APP_Debug": "true", "APP_debug": "0", "APP_NEW": "x"}
    config = load_config(defaults(), env, lowercase=False)
    assert config["debug"] is False
    assert config["Debug"] == "true"
    assert config["NEW"] == "x"


def test_coercion_of_every_type():
    env = {
        "APP_DEBUG": " OFF ",
        "APP_WORKERS": "+12",
        "APP_RATIO": "1e-3",
        "APP_NAME": "  spaced  ",
        "APP_TOKEN": "s3cret",
        "APP_TAGS": " x , ,y ",
        "APP_DB__OPTIONS__SSL": "no",
    }
    config = load_config(defaults(), env)
    assert config["debug"] is False
    assert config["workers"] == 12
    assert config["ratio"] == 0.001
    assert config["name"] == "  spaced  "
    assert config["token"] == "s3cret"
    assert config["tags"] == ["x", "y"]
    assert config["db"]["options"]["ssl"] is False


def test_error_messages_unchanged():
    cases = [
        ({"APP_DEBUG": "maybe"}, {}, False,
         "invalid value for 'debug' (from APP_DEBUG): expected bool, got 'maybe'"),
        ({"APP_RATIO": "half"}, {}, False,
         "invalid value for 'ratio' (from APP_RATIO): expected float, got 'half'"),
        ({"APP_DB": "x"}, {}, False,
         "cannot set 'db' (from APP_DB): it is a section"),
        ({"APP_WORKERS__MAX": "3"}, {}, False,
         "cannot set 'workers.max' (from APP_WORKERS__MAX): 'workers' is not a section"),
        ({"APP_DB__POOL__SIZE": "3"}, {}, True,
         "unknown setting 'db.pool.size' (from APP_DB__POOL__SIZE)"),
        ({}, {"db": {"hots": "x"}}, True,
         "unknown setting 'db.hots' (from overrides)"),
        ({}, {"extra": {"a": {}, "b": {"c": 1}}}, True,
         "unknown setting 'extra.b.c' (from overrides)"),
        ({}, {"db": 1}, False,
         "cannot set 'db' (from overrides): it is a section"),
        ({}, {"name": {"first": "x"}}, False,
         "cannot set 'name.first' (from overrides): 'name' is not a section"),
    ]
    for env, overrides, strict, message in cases:
        with pytest.raises(ConfigError) as excinfo:
            load_config(defaults(), env, overrides=overrides, strict=strict)
        assert str(excinfo.value) == message


def test_variables_apply_in_sorted_order():
    env = {"APP_db__host": "lower", "APP_DB__HOST": "upper"}
    assert load_config(defaults(), env)["db"]["host"] == "lower"
    env = {"APP_NAME": "one", "APP_Name": "three", "APP_NAMe": "two"}
    assert load_config(defaults(), env)["name"] == "three"


def test_first_error_in_sorted_order_is_raised():
    env = {"APP_WORKERS": "many", "APP_DEBUG": "maybe"}
    with pytest.raises(ConfigError) as excinfo:
        load_config(defaults(), env)
    assert "APP_DEBUG" in str(excinfo.value)


def test_malformed_variable_names_are_ignored():
    env = {"APP_": "x", "APP_DB____PORT": "1", "APP___DEBUG": "1", "APP_DB__": "2"}
    assert load_config(defaults(), env, strict=True) == defaults()


def test_overrides_are_merged_and_not_coerced():
    overrides = {"workers": "8", "db": {"options": {"timeout": 3}}, "tags": ["a"], "empty": {}}
    config = load_config(defaults(), {"APP_WORKERS": "2"}, overrides=overrides)
    assert config["workers"] == "8"
    assert config["db"] == {"host": "localhost", "port": 5432, "options": {"ssl": True, "timeout": 3}}
    assert config["tags"] == ["a"]
    assert "empty" not in config
    config["tags"].append("b")
    assert overrides["tags"] == ["a"]


def test_unknown_settings_are_created_when_not_strict():
    config = load_config(defaults(), {"APP_CACHE__REDIS__URL": "redis://"}, overrides={"feature": {"x": True}})
    assert config["cache"] == {"redis": {"url": "redis://"}}
    assert config["feature"] == {"x": True}


def test_empty_override_sections_are_ignored_even_when_strict():
    config = load_config(defaults(), {}, overrides={"nothing": {}, "name": {}}, strict=True)
    assert config == defaults()


def test_result_shares_nothing_with_defaults():
    base = defaults()
    config = load_config(base, {})
    config["db"]["options"]["ssl"] = False
    config["tags"].append("x")
    assert base == defaults()
