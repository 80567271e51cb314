import pytest

from confload import ConfigError, load_config


def defaults():
    return {"debug": False, "db": {"host": "localhost", "port": 5432}, "tags": [], "name": "app"}


class StaticSource:
    """A hand-written source, as a plugin would provide."""

    def __init__(self, entries, coerce):
        self._entries = entries
        self.coerce = coerce

    def entries(self):
        return list(self._entries)


def test_loader_with_env_and_dict_sources_matches_load_config():
    from confload import DictSource, EnvSource, Loader

    env = {"APP_DEBUG": "yes", "APP_DB__PORT": "6543", "APP_TAGS": "a,b", "OTHER": "1"}
    overrides = {"db": {"host": "db.internal"}}
    loader = Loader(defaults(), sources=[EnvSource(env), DictSource(overrides)])
    expected = load_config(defaults(), env, overrides=overrides)
    assert loader.load() == expected
    assert expected == {"debug": True, "db": {"host": "db.internal", "port": 6543}, "tags": ["a", "b"], "name": "app"}


def test_add_source_is_chainable_and_later_sources_win():
    from confload import DictSource, EnvSource, Loader

    loader = Loader(defaults())
    assert loader.add_source(DictSource({"name": "first", "db": {"port": 1}})) is loader
    loader.add_source(EnvSource({"APP_NAME": "second"})).add_source(DictSource({"db": {"port": 3}}))
    config = loader.load()
    assert config["name"] == "second"
    assert config["db"]["port"] == 3


def test_coercion_follows_the_value_being_replaced():
    from confload import DictSource, EnvSource, Loader

    loader = Loader(defaults(), sources=[DictSource({"db": {"port": "5432"}}), EnvSource({"APP_DB__PORT": "7"})])
    assert loader.load()["db"]["port"] == "7"


def test_env_source_entries():
    from confload import EnvSource

    env = {"APP_DB__HOST": "h", "APP_DEBUG": "1", "OTHER": "x", "APP_": "y", "APP_A____B": "z"}
    source = EnvSource(env)
    assert source.coerce is True
    assert list(source.entries()) == [
        (("db", "host"), "h", "APP_DB__HOST"),
        (("debug",), "1", "APP_DEBUG"),
    ]
    custom = EnvSource({"MY.Db.Host": "h", "APP_DEBUG": "1"}, prefix="MY.", separator=".", lowercase=False)
    assert list(custom.entries()) == [(("Db", "Host"), "h", "MY.Db.Host")]


def test_dict_source_entries():
    from confload import DictSource

    source = DictSource({"a": {"b": 1, "c": {}}, "d": [1, 2], "e": {"f": {"g": None}}}, origin="cli")
    assert source.coerce is False
    assert list(source.entries()) == [
        (("a", "b"), 1, "cli"),
        (("d",), [1, 2], "cli"),
        (("e", "f", "g"), None, "cli"),
    ]
    assert list(DictSource({"x": 1}).entries()) == [(("x",), 1, "overrides")]


def test_custom_source_with_coercion_and_origin_in_errors():
    from confload import Loader

    good = StaticSource([(("db", "port"), "7", "vault:db/port"), (("debug",), "on", "vault:debug")], coerce=True)
    config = Loader(defaults(), sources=[good]).load()
    assert config["db"]["port"] == 7
    assert config["debug"] is True

    bad = StaticSource([(("db", "port"), "x", "vault:db/port")], coerce=True)
    with pytest.raises(ConfigError) as excinfo:
        Loader(defaults(), sources=[bad]).load()
    assert str(excinfo.value) == "invalid value for 'db.port' (from vault:db/port): expected int, got 'x'"


def test_custom_source_without_coercion():
    from confload import Loader

    raw = StaticSource([(("db", "port"), "x", "file"), (("tags",), "a,b", "file")], coerce=False)
    config = Loader(defaults(), sources=[raw]).load()
    assert config["db"]["port"] == "x"
    assert config["tags"] == "a,b"


def test_only_strings_are_coerced():
    from confload import Loader

    source = StaticSource([(("db", "port"), 7.5, "calc"), (("debug",), 1, "calc")], coerce=True)
    config = Loader(defaults(), sources=[source]).load()
    assert config["db"]["port"] == 7.5
    assert config["debug"] == 1


def test_strict_loader_checks_every_source():
    from confload import DictSource, Loader

    loader = Loader(defaults(), sources=[DictSource({"db": {"hots": "x"}}, origin="cli")], strict=True)
    with pytest.raises(ConfigError) as excinfo:
        loader.load()
    assert str(excinfo.value) == "unknown setting 'db.hots' (from cli)"
    section = StaticSource([(("db",), "x", "vault:db")], coerce=True)
    with pytest.raises(ConfigError) as excinfo:
        Loader(defaults(), sources=[section]).load()
    assert str(excinfo.value) == "cannot set 'db' (from vault:db): it is a section"


def test_load_returns_fresh_results_and_leaves_inputs_alone():
    from confload import DictSource, Loader

    base = defaults()
    overrides = {"tags": ["x"]}
    loader = Loader(base, sources=[DictSource(overrides)])
    first = loader.load()
    first["tags"].append("y")
    first["db"]["port"] = 0
    second = loader.load()
    assert second["tags"] == ["x"]
    assert second["db"]["port"] == 5432
    assert base == defaults()
    assert overrides == {"tags": ["x"]}
