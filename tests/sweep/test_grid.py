"""Expanding a sweep file: run count, ids, folders, overrides, errors naming the variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from vimax.config import RunConfig, parse
from vimax.data import DATASETS
from vimax.errors import ConfigError
from vimax.evaluate.run import EvaluationConfig
from vimax.sweep import expand, load_sweep, parse_sweep
from vimax.sweep.grid import format_value, run_id, select_runs

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_expansion_counts_ids_and_folders(tiny_sweep, tmp_path):
    specs = expand(parse_sweep(tiny_sweep), "cpu", tmp_path, seeds=[0, 1])
    assert [s.run_id for s in specs] == [
        "deterministic_seed0", "deterministic_seed1",
        "vim_beta1e-03_seed0", "vim_beta1e-03_seed1", "vim_beta1e-02_seed0", "vim_beta1e-02_seed1",
    ]
    assert all(Path(s.out_dir) == tmp_path / "tiny" / "cpu" / s.run_id for s in specs)
    vim = specs[4]
    assert vim.config["objective"]["name"] == "vim" and vim.config["objective"]["beta"] == 1e-2
    assert vim.config["train"]["seed"] == 0 and vim.config["train"]["lr"] == 1e-3
    assert vim.config["model"]["hidden"] == [32, 32] and vim.point == {"objective.beta": 1e-2}
    assert vim.config["train"]["progress"] is False and vim.evaluation is None


def test_profile_overrides_axes_and_evaluation(tiny_sweep, tmp_path):
    tiny_sweep["profiles"]["cpu"]["axes"] = {"objective.beta": [0.5]}
    tiny_sweep["profiles"]["cpu"]["evaluate"] = {"attack": False}
    tiny_sweep["grid"][0]["evaluate"] = False
    specs = expand(parse_sweep(tiny_sweep), "cpu", tmp_path)
    assert [s.run_id for s in specs] == ["deterministic_seed0", "vim_beta5e-01_seed0"]
    assert specs[0].evaluation is None and specs[1].evaluation == {"attack": False, "progress": False}
    paper = expand(parse_sweep(tiny_sweep), "paper", tmp_path)
    assert len(paper) == 3 and paper[1].config["train"]["epochs"] == 2


def test_only_extra_overrides_and_no_evaluation(tiny_sweep, tmp_path):
    tiny_sweep["evaluate"] = True
    specs = expand(parse_sweep(tiny_sweep), "cpu", tmp_path, only=["vim"],
                   extra={"train.device": "cpu", "data.data_dir": "/data"}, evaluate=False)
    assert [s.variant for s in specs] == ["vim", "vim"]
    assert all(s.config["train"]["device"] == "cpu" for s in specs)
    assert all(s.config["data"]["data_dir"] == "/data" for s in specs)
    assert all(s.evaluation is None for s in specs)


def test_match_selects_runs_in_pattern_order(tiny_sweep, tmp_path):
    specs = expand(parse_sweep(tiny_sweep), "paper", tmp_path)
    ids = [s.run_id for s in specs]
    assert ids[0].startswith("deterministic")
    chosen = [s.run_id for s in select_runs(specs, ["vim_*", "*"])]
    assert sorted(chosen) == sorted(ids) and chosen[0].startswith("vim_")
    assert chosen[-1].startswith("deterministic")
    assert [s.run_id for s in select_runs(specs, ["det*"])] == [i for i in ids if i.startswith("det")]
    with pytest.raises(ConfigError, match="'vib_\\*' matches no run"):
        select_runs(specs, ["vib_*"])


def test_identical_runs_are_run_once(tiny_sweep, tmp_path):
    tiny_sweep["grid"].append({"name": "vim_again", "objective": {"name": "vim", "beta": 1.0e-3}})
    ids = [s.run_id for s in expand(parse_sweep(tiny_sweep), "cpu", tmp_path)]
    assert "vim_again_seed0" not in ids and len(ids) == 3


def test_bad_variant_is_named(tiny_sweep, tmp_path):
    tiny_sweep["grid"][1]["axes"] = {"objective.beta": [-1.0]}
    with pytest.raises(ConfigError, match="variant 'vim'.*beta"):
        expand(parse_sweep(tiny_sweep), "cpu", tmp_path)
    tiny_sweep["grid"][1] = {"name": "typo", "model": {"latent_dims": 3}}
    with pytest.raises(ConfigError, match="variant 'typo'.*latent_dims"):
        expand(parse_sweep(tiny_sweep), "cpu", tmp_path)


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.pop("grid"), "grid"),
    (lambda s: s.update(colour="red"), "unknown key 'colour'"),
    (lambda s: s["grid"].append({"name": "vim"}), "used twice"),
    (lambda s: s["grid"][1].update(axes={"beta": [1]}), "dotted key"),
    (lambda s: s.update(seeds=0), "seeds"),
])
def test_bad_sweep_files(tiny_sweep, change, message):
    change(tiny_sweep)
    with pytest.raises(ConfigError, match=message):
        parse_sweep(tiny_sweep)


def test_unknown_profile_and_variant(tiny_sweep, tmp_path):
    sweep = parse_sweep(tiny_sweep)
    with pytest.raises(ConfigError, match="no profile 'gpu'.*cpu, paper"):
        expand(sweep, "gpu", tmp_path)
    with pytest.raises(ConfigError, match="no variant 'vib'"):
        expand(sweep, "cpu", tmp_path, only=["vib"])


def test_run_id_format():
    point = {"objective.beta": 1e-3, "objective.prior_std": 1.0}
    assert run_id("vim", point, 0) == "vim_beta1e-03_sigma1_seed0"
    assert format_value("objective.beta", 2.5e-4) == "2.5e-04"
    assert format_value("objective.prior_std", 2.5) == "2.5"
    assert format_value("model.hidden", [32, 32]) == "32-32"


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("profile", ["paper", "cpu"])
def test_shipped_configs_expand(path, profile, tmp_path):
    sweep = load_sweep(path)
    dataset = sweep.base.get("data", {}).get("name")
    if dataset not in DATASETS.names():
        pytest.skip(f"dataset {dataset!r} is not registered in this vimax yet")
    specs = expand(sweep, profile, tmp_path)  # every run's config read through RunConfig.from_dict
    assert specs and sweep.name == path.stem
    assert len({s.run_id for s in specs}) == len(specs)
    for spec in specs:
        assert RunConfig.from_dict(spec.config).to_dict() == spec.config  # resolved: a fixed point
        if spec.evaluation is not None:
            parse(EvaluationConfig, spec.evaluation, "evaluate")
