"""Run configs: from_dict's checks, YAML/TOML/JSON files, dotted overrides."""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vimax.config import RunConfig, apply_overrides, from_dict, load_config_file
from vimax.config.train import TrainConfig
from vimax.data.config import DataConfig
from vimax.errors import ConfigError
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import ObjectiveConfig

CUSTOM = RunConfig(
    data=DataConfig(name="mnist", data_dir="/data/mnist", val_size=1000, download=False),
    model=ModelConfig(trunk="cnn", latent_dim=32, hidden=(16, 32), width=0.5, std_offset=3.0),
    objective=ObjectiveConfig(name="vim", beta=0.01, prior_std=2.5, kernel="rbf", kernel_scale=4.0,
                              unbiased=False),
    train=TrainConfig(epochs=3, batch_size=50, lr=2e-3, adam_betas=(0.9, 0.99), lr_decay="step",
                      ema_decay=0.999, train_samples=2, seed=7, device="cpu", progress=False),
)


def _one_line_config_error(data) -> str:
    with pytest.raises(ConfigError) as info:
        from_dict(RunConfig, data).validate()
    message = str(info.value)
    assert message and "\n" not in message
    return message


# ---------------------------------------------------------------- from_dict


@pytest.mark.parametrize("config", [RunConfig(), CUSTOM])
def test_from_dict_round_trips_to_dict(config):
    assert from_dict(RunConfig, config.to_dict()) == config
    # and through JSON, where tuples become lists
    assert from_dict(RunConfig, json.loads(json.dumps(config.to_dict()))) == config


def test_from_dict_fills_defaults_and_converts_ints_to_floats():
    config = from_dict(RunConfig, {"train": {"lr": 1, "epochs": 4}, "objective": {"beta": 0}})
    assert config.train.lr == 1.0 and type(config.train.lr) is float
    assert config.objective.beta == 0.0 and type(config.objective.beta) is float
    assert config.train.epochs == 4 and config.train.batch_size == 100
    assert config.model == ModelConfig() and config.data == DataConfig()
    assert from_dict(RunConfig, {}) == RunConfig()
    assert from_dict(RunConfig, {"model": {"hidden": [8, 4]}}).model.hidden == (8, 4)


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"trian": {}}, "config: unknown key 'trian'"),
        ({"train": {"epoch": 3}}, "config.train: unknown key 'epoch'"),
        ({"objective": {"beta": "0.1"}}, "config.objective.beta: expected float, got '0.1'"),
        ({"train": {"epochs": 2.0}}, "config.train.epochs: expected int, got 2.0"),
        ({"train": {"epochs": True}}, "config.train.epochs: expected int, got True"),
        ({"train": {"lr": True}}, "config.train.lr: expected float, got True"),
        ({"data": {"download": 1}}, "config.data.download: expected bool, got 1"),
        ({"model": {"trunk": 3}}, "config.model.trunk: expected str, got 3"),
        ({"model": {"hidden": "64"}}, "config.model.hidden: expected a list"),
        ({"model": {"hidden": [64, 1.5]}}, "config.model.hidden[1]: expected int, got 1.5"),
        ({"train": {"adam_betas": [0.5]}}, "config.train.adam_betas: expected 2 values, got 1"),
        ({"train": 5}, "config.train: expected a mapping, got 5"),
        ({"objective": {"beta": -1.0}}, "beta must be a finite number >= 0, got -1.0"),
        ({"objective": {"prior_std": 0.0}}, "prior_std must be a finite number > 0, got 0.0"),
        ({"objective": {"prior_std": -2}}, "prior_std must be a finite number > 0"),
        ({"objective": {"name": "vim2"}}, "unknown objective 'vim2'; choose one of: "),
        ({"model": {"trunk": "resnet"}}, "unknown trunk 'resnet'; choose one of: "),
        ({"data": {"name": "imagenet"}}, "unknown dataset 'imagenet'; choose one of: "),
        ({"objective": {"kernel": "laplace"}}, "unknown kernel 'laplace'"),
        ({"objective": {"kernel_scale": 0}}, "kernel_scale must be a finite number > 0"),
        ({"train": {"epochs": 0}}, "epochs must be >= 1"),
        ({"train": {"lr_decay": "cosine"}}, "lr_decay must be one of none, exponential, step"),
    ],
)
def test_bad_configs_give_one_line_config_errors(data, fragment):
    assert fragment in _one_line_config_error(data)


def test_from_dict_refuses_non_mappings_and_odd_keys():
    with pytest.raises(ConfigError, match="expected a mapping"):
        from_dict(RunConfig, [1, 2])
    # YAML can give non-string keys, mixed with strings
    assert "unknown key 1" in _one_line_config_error({1: 2, "train": {}})


# random dicts: from_dict and validate either succeed or raise a ConfigError, nothing else
_SCHEMA = {name: [f.name for f in dataclasses.fields(hint)]
           for name, hint in typing.get_type_hints(RunConfig).items()}
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.sampled_from(["vim", "vib", "mlp", "cnn", "digits", "rbf", "step"]),
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
        config = from_dict(RunConfig, data)
    except ConfigError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(config, RunConfig)
    try:
        config.validate()
    except ConfigError as error:
        assert str(error) and "\n" not in str(error)


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
                         objective=ObjectiveConfig(name="vib", beta=0.01, prior_std=2.5),
                         train=TrainConfig(epochs=2))
    for name in ("run.yaml", "run.toml", "run.json"):
        assert from_dict(RunConfig, load_config_file(tmp_path / name)) == expected, name
    (tmp_path / "run.yml").write_text("")
    assert load_config_file(tmp_path / "run.yml") == {}


def test_yaml_exponent_floats_are_numbers(tmp_path):
    """PyYAML reads YAML 1.1, where 1e-3 is a string; configs and --set must read it as 0.001."""
    (tmp_path / "run.yaml").write_text("objective:\n  beta: 1e-3\ntrain:\n  lr: 5E-4\n")
    config = from_dict(RunConfig, load_config_file(tmp_path / "run.yaml"))
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


# ---------------------------------------------------------------- overrides


def test_apply_overrides_with_dotted_keys():
    data = {"train": {"epochs": 5, "lr": 0.1}}
    result = apply_overrides(data, ["train.epochs=2", "objective.name=vib", "model.hidden=[8, 4]",
                                    "data.download=false", "data.data_dir=/x=y", "train.lr=0.5"])
    assert result is data
    assert data == {"train": {"epochs": 2, "lr": 0.5}, "objective": {"name": "vib"},
                    "model": {"hidden": [8, 4]}, "data": {"download": False, "data_dir": "/x=y"}}
    config = from_dict(RunConfig, data)
    assert (config.train.epochs, config.model.hidden, config.data.download) == (2, (8, 4), False)


def test_overrides_keep_strings_the_config_then_refuses():
    data = apply_overrides({}, ["train.epochs=abc"])
    assert data == {"train": {"epochs": "abc"}}
    assert "config.train.epochs: expected int, got 'abc'" in _one_line_config_error(data)


@pytest.mark.parametrize("item", ["train.epochs", "=3", "train.epochs.x=1"])
def test_malformed_overrides_are_config_errors(item):
    with pytest.raises(ConfigError):
        from_dict(RunConfig, apply_overrides({"train": {"epochs": 3}}, [item]))
