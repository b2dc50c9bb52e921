"""Run configs: the one path from dicts and files (pydantic), the typed objective configs, YAML/TOML/JSON
files, dotted overrides, and the configs saved by older versions."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vimax.config import RunConfig, apply_overrides, assign, load_config_file, migrate, nest, resolved
from vimax.config.train import TrainConfig
from vimax.data.config import DataConfig
from vimax.errors import ConfigError
from vimax.models.classifier import ModelConfig
from vimax.objectives import OBJECTIVES, build_objective, objective_config
from vimax.objectives.config import VIBConfig, VIMConfig

CUSTOM = RunConfig(
    data=DataConfig(name="mnist", data_dir="/data/mnist", val_size=1000, download=False),
    model=ModelConfig(trunk="cnn", latent_dim=32, hidden=(16, 32), width=0.5, std_offset=3.0, dropout=0.25),
    objective=VIMConfig(beta=0.01, prior_std=2.5, kernel="rbf", kernel_scale=4.0, unbiased=False),
    train=TrainConfig(epochs=3, batch_size=50, lr=2e-3, adam_betas=(0.9, 0.99), lr_decay="step",
                      ema_decay=0.999, train_samples=2, seed=7, device="cpu", progress=False),
)


def _one_line_config_error(data) -> str:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(data)
    message = str(info.value)
    assert message and "\n" not in message
    return message


# ---------------------------------------------------------------- from_dict and to_dict


@pytest.mark.parametrize("config", [RunConfig(), CUSTOM])
def test_from_dict_round_trips_to_dict(config):
    assert RunConfig.from_dict(config.to_dict()) == config
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config  # tuples as lists


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_a_saved_config_of_each_objective_round_trips_to_the_same_objects(name):
    objective = objective_config(name)()
    config = RunConfig(model=ModelConfig(dropout=0.5 if name == "dropout" else 0.0), objective=objective)
    saved = json.loads(json.dumps(config.to_dict()))  # as config.json holds it
    again = RunConfig.from_dict(saved)
    assert again == config and type(again.objective) is type(objective)
    assert saved["objective"] == {"name": name, **{f.name: getattr(objective, f.name)
                                                    for f in dataclasses.fields(objective)}}
    first, second = build_objective(config.objective), build_objective(again.objective)
    assert type(first) is type(second) and vars(first).keys() == vars(second).keys()
    assert {k: v for k, v in vars(first).items() if not k.startswith("_")} == {
        k: v for k, v in vars(second).items() if not k.startswith("_")}


def test_the_saved_config_has_every_default_and_only_the_objective_s_settings():
    saved = RunConfig.from_dict({"objective": {"name": "vib", "beta": 0.1}}).to_dict()
    assert saved["objective"] == {"name": "vib", "beta": 0.1, "prior_std": 1.0}
    assert saved["train"] == json.loads(json.dumps(dataclasses.asdict(TrainConfig())))
    assert saved["model"]["dropout"] == 0.0 and saved["data"]["normalize"] == "auto"
    assert RunConfig.from_dict({"objective": {"name": "deterministic"}}).to_dict()["objective"] == {
        "name": "deterministic"}


def test_from_dict_fills_defaults_and_converts_ints_to_floats():
    config = RunConfig.from_dict({"train": {"lr": 1, "epochs": 4}, "objective": {"beta": 0}})
    assert config.train.lr == 1.0 and type(config.train.lr) is float
    assert config.objective.beta == 0.0 and type(config.objective.beta) is float
    assert config.train.epochs == 4 and config.train.batch_size == 100
    assert config.model == ModelConfig() and config.data == DataConfig()
    assert config.objective == VIMConfig(beta=0.0)  # no name: VIM
    assert RunConfig.from_dict({}) == RunConfig()
    assert RunConfig.from_dict({"model": {"hidden": [8, 4]}}).model.hidden == (8, 4)


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"trian": {}}, "config: trian: unknown key; known keys: data, model, objective, train"),
        ({"train": {"epoch": 3}}, "config: train.epoch: unknown key; known keys: epochs, batch_size"),
        ({"objective": {"name": "deterministic", "beta": 1e-3}},
         "config: objective.beta: the 'deterministic' objective does not take it (it takes: no settings)"),
        ({"objective": {"name": "vib", "kernel": "rbf"}},
         "config: objective.kernel: the 'vib' objective does not take it (it takes: beta, prior_std)"),
        ({"objective": {"beta": "0.1"}}, "config: objective.beta: Input should be a valid number, got '0.1'"),
        ({"train": {"epochs": 2.0}}, "config: train.epochs: Input should be a valid integer, got 2.0"),
        ({"train": {"epochs": "3"}}, "config: train.epochs: Input should be a valid integer, got '3'"),
        ({"train": {"epochs": True}}, "config: train.epochs: Input should be a valid integer, got True"),
        ({"train": {"lr": True}}, "config: train.lr: Input should be a valid number, got True"),
        ({"data": {"download": 1}}, "config: data.download: Input should be a valid boolean, got 1"),
        ({"model": {"trunk": 3}}, "config: model.trunk: Input should be a valid string, got 3"),
        ({"model": {"hidden": "64"}}, "config: model.hidden: Input should be a valid array, got '64'"),
        ({"model": {"hidden": [64, 1.5]}}, "config: model.hidden[1]: Input should be a valid integer"),
        ({"train": {"adam_betas": [0.5]}}, "config: train.adam_betas: too few values"),
        ({"train": 5}, "config: train: expected a mapping, got 5"),
        ({"objective": {"beta": -1.0}},
         "config: objective.beta: Input should be greater than or equal to 0, got -1.0"),
        ({"objective": {"beta": float("inf")}}, "config: objective.beta: Input should be a finite number"),
        ({"objective": {"prior_std": 0.0}}, "config: objective.prior_std: Input should be greater than 0"),
        ({"objective": {"name": "vim2"}}, "config: objective.name: unknown objective 'vim2'; choose one of"),
        ({"model": {"trunk": "resnet"}}, "config: model: unknown trunk 'resnet'; choose one of: "),
        ({"data": {"name": "imagenet"}}, "config: data: unknown dataset 'imagenet'; choose one of: "),
        ({"objective": {"kernel": "laplace"}}, "config: objective.kernel: Input should be 'imq' or 'rbf'"),
        ({"objective": {"kernel_scale": 0}}, "config: objective.kernel_scale: Input should be greater than"),
        ({"train": {"epochs": 0}}, "config: train.epochs: Input should be greater than or equal to 1, got 0"),
        ({"train": {"lr_decay": "cosine"}}, "config: train.lr_decay: Input should be 'none', 'exponential'"),
        ({"train": {"adam_betas": [0.5, 1.0]}}, "config: train: adam_betas must lie in [0, 1)"),
        ({"train": {"device": "gpu"}}, "config: train.device: String should match pattern"),
        ({"objective": {"name": "dropout"}}, "config: the 'dropout' objective is cross-entropy on a model"),
        ({"model": {"dropout": 1.0}}, "config: model.dropout: Input should be less than 1, got 1.0"),
    ],
)
def test_bad_configs_give_one_line_config_errors(data, fragment):
    assert fragment in _one_line_config_error(data)


def test_from_dict_refuses_non_mappings_and_odd_keys():
    with pytest.raises(ConfigError, match="config: expected a mapping"):
        RunConfig.from_dict([1, 2])
    # YAML can give non-string keys, mixed with strings
    assert "config: '1': unknown key" in _one_line_config_error({1: 2, "train": {}})
    assert "config: train.'\\n': unknown key" in _one_line_config_error({"train": {"\n": 1}})


def test_a_config_built_in_python_is_checked_when_built_and_when_read():
    with pytest.raises(ConfigError, match="'dropout' objective"):
        RunConfig(objective=objective_config("dropout")())
    built = RunConfig(objective=VIBConfig(beta=-1.0))  # the declared ranges are checked when read
    with pytest.raises(ConfigError, match="objective.beta: Input should be greater than or equal to 0"):
        RunConfig.from_dict(built.to_dict())


# random dicts: from_dict either succeeds or raises a one-line ConfigError, nothing else
_SCHEMA = {name: [f.name for f in dataclasses.fields(hint)]
           for name, hint in typing.get_type_hints(RunConfig).items() if name != "objective"}
_SCHEMA["objective"] = sorted({f.name for name in OBJECTIVES.names()
                               for f in dataclasses.fields(objective_config(name))})
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.sampled_from(["vim", "vib", "dropout", "mlp", "cnn", "digits", "rbf", "step"]),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
_KEYS = st.one_of(st.text(max_size=6), st.integers(), st.sampled_from(
    [key for keys in _SCHEMA.values() for key in keys]))


def _section(name):
    known = st.dictionaries(st.sampled_from(_SCHEMA[name]), _VALUES, max_size=4)
    return st.one_of(known, st.dictionaries(_KEYS, _VALUES, max_size=3), _VALUES)


_RUN_DICTS = st.one_of(
    st.fixed_dictionaries({}, optional={name: _section(name) for name in _SCHEMA}),
    st.dictionaries(_KEYS, _VALUES, max_size=3),
    _VALUES,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_RUN_DICTS)
def test_random_dicts_give_a_config_or_a_config_error(data):
    try:
        config = RunConfig.from_dict(data)
    except ConfigError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(config, RunConfig)
    assert RunConfig.from_dict(config.to_dict()) == config


def test_import_vimax_does_not_import_pydantic():
    """The library installs light: pydantic reads configs for the experiment tool only."""
    code = "import sys, vimax; print('pydantic' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


# ---------------------------------------------------------------- objectives registered by a user


def test_an_objective_registered_by_a_user_gets_a_config_from_its_typed_signature(monkeypatch):
    from torch import nn

    monkeypatch.setattr(OBJECTIVES, "_table", dict(OBJECTIVES._table))  # registered for this test only

    @OBJECTIVES.register("scaled_ce")
    class ScaledCrossEntropy(nn.Module):
        requires_posterior = False

        def __init__(self, scale: float, smooth: bool = False, label_entropy: float | None = None) -> None:
            super().__init__()
            self.scale, self.smooth = scale, smooth

    config = RunConfig.from_dict({"objective": {"name": "scaled_ce", "scale": 2}})
    objective = config.objective
    assert (objective.name, objective.scale, objective.smooth) == ("scaled_ce", 2.0, False)
    assert config.to_dict()["objective"] == {"name": "scaled_ce", "scale": 2.0, "smooth": False}
    assert RunConfig.from_dict(config.to_dict()) == config
    built = build_objective(config.objective)
    assert isinstance(built, ScaledCrossEntropy) and built.scale == 2.0
    assert "objective.scale: missing" in _one_line_config_error({"objective": {"name": "scaled_ce"}})
    assert "objective.scale: Input should be a valid number, got 'x'" in _one_line_config_error(
        {"objective": {"name": "scaled_ce", "scale": "x"}})
    assert "the 'scaled_ce' objective does not take it (it takes: scale, smooth)" in _one_line_config_error(
        {"objective": {"name": "scaled_ce", "scale": 1, "beta": 1}})


# ---------------------------------------------------------------- configs saved by older versions

# objective sections as vimax saved them before each objective had its own config
LEGACY = {"beta": None, "prior_std": None, "kernel": None, "kernel_scale": None, "unbiased": None,
          "label_smoothing": None, "dropout_rate": None}


@pytest.mark.parametrize(
    "saved, objective, dropout",
    [
        ({**LEGACY, "name": "deterministic", "prior_std": 1.0, "beta": 1e-3}, {"name": "deterministic"}, 0.0),
        ({**LEGACY, "name": "vim", "beta": 10.0, "prior_std": 2.0},
         {"name": "vim", "beta": 10.0, "prior_std": 2.0, "kernel": "imq", "kernel_scale": None,
          "unbiased": True}, 0.0),
        ({**LEGACY, "name": "vib", "beta": 1e-3, "kernel": "rbf"},
         {"name": "vib", "beta": 1e-3, "prior_std": 1.0}, 0.0),
        ({**LEGACY, "name": "dropout", "prior_std": 1.0}, {"name": "dropout"}, 0.5),
        ({**LEGACY, "name": "dropout", "dropout_rate": 0.3}, {"name": "dropout"}, 0.3),
        ({**LEGACY, "name": "label_smoothing"}, {"name": "label_smoothing", "label_smoothing": 0.1}, 0.0),
        ({**LEGACY, "name": "confidence_penalty", "beta": 0.2},
         {"name": "confidence_penalty", "beta": 0.2}, 0.0),
    ],
)
def test_legacy_configs_migrate_to_the_typed_configs(saved, objective, dropout):
    old = {"data": {"name": "digits", "data_dir": None, "val_size": None, "download": True},
           "model": {"trunk": "mlp", "latent_dim": 8, "hidden": None, "width": 1.0, "std_offset": 5.0},
           "objective": saved, "train": {"epochs": 2}}
    new = resolved(old)
    assert new["objective"] == objective and new["model"]["dropout"] == dropout
    assert new == RunConfig.from_dict(new).to_dict() == resolved(new)  # a current config is kept
    assert migrate(new) is new
    assert old["objective"] == saved  # migrate copies


# ---------------------------------------------------------------- files


def test_yaml_toml_and_json_files_load(tmp_path):
    (tmp_path / "run.yaml").write_text(
        "objective:\n  name: vib\n  beta: 0.01\n  prior_std: 2.5\n"
        "model:\n  hidden: [64, 64]\n  latent_dim: 8\ntrain:\n  epochs: 2\n")
    (tmp_path / "run.toml").write_text(
        '[objective]\nname = "vib"\nbeta = 0.01\nprior_std = 2.5\n'
        "[model]\nhidden = [64, 64]\nlatent_dim = 8\n[train]\nepochs = 2\n")
    (tmp_path / "run.json").write_text(json.dumps(
        {"objective": {"name": "vib", "beta": 0.01, "prior_std": 2.5},
         "model": {"hidden": [64, 64], "latent_dim": 8}, "train": {"epochs": 2}}))
    expected = RunConfig(model=ModelConfig(hidden=(64, 64), latent_dim=8),
                         objective=VIBConfig(beta=0.01, prior_std=2.5), train=TrainConfig(epochs=2))
    for name in ("run.yaml", "run.toml", "run.json"):
        assert RunConfig.from_dict(load_config_file(tmp_path / name)) == expected, name
    (tmp_path / "run.yml").write_text("")
    assert load_config_file(tmp_path / "run.yml") == {}


def test_yaml_exponent_floats_are_numbers(tmp_path):
    """PyYAML reads YAML 1.1, where 1e-3 is a string; configs and --set must read it as 0.001."""
    (tmp_path / "run.yaml").write_text("objective:\n  beta: 1e-3\ntrain:\n  lr: 5E-4\n")
    config = RunConfig.from_dict(load_config_file(tmp_path / "run.yaml"))
    assert (config.objective.beta, config.train.lr) == (1e-3, 5e-4)
    assert apply_overrides({}, ["objective.beta=1e-3"]) == {"objective": {"beta": 1e-3}}


@pytest.mark.parametrize(
    "name, text, fragment",
    [
        ("run.yaml", "objective: [unclosed", "not valid YAML"),
        ("run.toml", "objective = = 1", "not valid TOML"),
        ("run.json", "{'single': 1}", "not valid JSON"),
        ("run.yaml", "- 1\n- 2\n", "the top level must be a mapping"),
        ("run.ini", "[a]\nb = 1\n", "must end in .yaml, .yml, .toml or .json"),
    ],
)
def test_bad_config_files_give_one_line_config_errors(tmp_path, name, text, fragment):
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config_file(tmp_path / name)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_a_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file .*missing.yaml"):
        load_config_file(tmp_path / "missing.yaml")


# ---------------------------------------------------------------- dotted keys


def test_apply_overrides_with_dotted_keys():
    data = {"train": {"epochs": 5, "lr": 0.1}}
    result = apply_overrides(data, ["train.epochs=2", "objective.name=vib", "model.hidden=[8, 4]",
                                    "data.download=false", "data.data_dir=/x=y", "train.lr=0.5"])
    assert result is data
    assert data == {"train": {"epochs": 2, "lr": 0.5}, "objective": {"name": "vib"},
                    "model": {"hidden": [8, 4]}, "data": {"download": False, "data_dir": "/x=y"}}
    config = RunConfig.from_dict(data)
    assert (config.train.epochs, config.model.hidden, config.data.download) == (2, (8, 4), False)


def test_overrides_keep_strings_the_config_then_refuses():
    data = apply_overrides({}, ["train.epochs=abc"])
    assert data == {"train": {"epochs": "abc"}}
    assert "config: train.epochs: Input should be a valid integer, got 'abc'" in _one_line_config_error(data)


@pytest.mark.parametrize("item", ["train.epochs", "=3", "train.epochs.x=1", "train..x=1", "train.=1"])
def test_malformed_overrides_are_config_errors(item):
    with pytest.raises(ConfigError):
        RunConfig.from_dict(apply_overrides({"train": {"epochs": 3}}, [item]))


def test_one_parser_of_dotted_keys_for_overrides_and_sweep_files():
    """A sweep file's dotted keys and nested sections, and --set, all end in assign."""
    nested = nest({"train.lr": 1e-3, "train": {"epochs": 2}, "objective": {"name": "vib", "prior_std": 2}},
                  "sweep")
    assert nested == {"train": {"lr": 1e-3, "epochs": 2}, "objective": {"name": "vib", "prior_std": 2}}
    data: dict = {}
    assign(data, "train.lr", 1e-3)
    assign(data, "train", {"epochs": 2})  # a mapping onto a mapping merges
    assert data == {"train": {"lr": 1e-3, "epochs": 2}}
    assert apply_overrides({"train": {"epochs": 2}}, ["train.lr=1e-3"]) == data
    with pytest.raises(ConfigError, match="conflicts with the value set for 'lr'"):
        assign(data, "train.lr.x", 1)
