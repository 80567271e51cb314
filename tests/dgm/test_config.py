import pytest

from dgm.config import RunConfig, load_config
from dgm.errors import ConfigError


def test_defaults_and_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('name = "x"\n[loop]\ngenerations = 3\n[model]\nagent_model = "gpt-4o"\n')
    cfg = load_config(path, {"loop.workers": 4, "loop.generations": None, "evaluation.stage_sizes": [2, 5]})
    assert (cfg.name, cfg.loop.generations, cfg.loop.workers, cfg.model.agent_model) == ("x", 3, 4, "gpt-4o")
    assert cfg.evaluation.stage_sizes == [2, 5]
    assert cfg.loop.selection == "score_child_prop"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[loop]\ngenerations = 'many'\n", "loop.generations"),
        ("[loop]\nselection = 'greedy'\n", "loop.selection"),
        ("[loop]\ngeneratons = 3\n", "loop.generatons: Extra inputs are not permitted"),
        ("[evaluation]\nstage_sizes = [5, 3]\n", "strictly increasing"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_malformed_config_is_one_clear_line(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert "\n" not in str(info.value).strip() or "TOML" in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_prices_match_dated_model_names_and_user_overrides():
    cfg = RunConfig.model_validate({"model": {"prices": {"my-local": {"input": 1, "output": 2}}}})
    assert cfg.model.price("gpt-4o-mini-2024-07-18").input == 0.15
    assert cfg.model.price("my-local").output == 2
    assert cfg.model.price("unknown-model").input == 0
