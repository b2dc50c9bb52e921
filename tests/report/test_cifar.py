"""The CIFAR-10 section (issue 13) on small fixtures of saved runs: verdicts with intervals, missing runs
named by id with their command, (β, σ) chosen on validation, the "one seed" mark, the β-scale note."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from saved_results import write_run
from scipy.stats import t as student_t

from vimax.report import collect, select
from vimax.report.cifar import _chance_note, cifar_section
from vimax.report.cifar_plan import (
    Point,
    baseline_points,
    candidate_points,
    fig4b_points,
    figure_points,
    run_id,
    sigma_claim_points,
)
from vimax.report.claims import apply_holm, claims_table
from vimax.report.figures import Series, seeds_label
from vimax.report.format import Context
from vimax.report.stats import holm, summarize

DIAG = {"regulariser_grad_ratio": 2.1e-6, "latent_scale": 0.93, "posterior_std_median": 0.012}


def cifar_run(root: Path, objective: str, beta: float | None, sigma: float | None, seed: int, test: float,
              val: float | None = None, hoyer: float | None = None, extra: dict | None = None) -> Path:
    """A finished run of sweep cifar10 (cpu profile, width 0.25); evaluated when ``hoyer`` is given."""
    evaluation = None if hoyer is None else {"representation": {"ari": 0.4, "cluster_accuracy": 0.6,
                                                                 "hoyer": hoyer}}
    return write_run(root, "cifar10", objective, beta, sigma, seed, test, evaluation, width=0.25,
                     latent_dim=64, val_error=val, extra_metrics=extra)


def section_of(results: Path, tmp_path: Path, profile: str = "cpu"):
    """The CIFAR-10 section of ``results``, its claims corrected with Holm (the only claims here)."""
    section = cifar_section(collect(results), Context(tmp_path / "REPORT.md", profile))
    apply_holm(section.claims)
    return section


def sigma_pair(section, objective: str, best: float, other: float) -> str:
    """The sentence of the σ claim "``objective`` has a lower test error at σ = best than at σ = other"."""
    return sentence(section, f"CIFAR-10, Fig. 4: at β = 1e-3 {objective} has a lower test error at "
                             f"σ = {best:g} than at σ = {other:g}")


def sentence(section, start: str) -> str:
    found = [c.sentence for c in section.claims if c.what.startswith(start)]
    assert len(found) == 1, (start, [c.what for c in section.claims])
    return found[0]


def welch_interval(a: list[float], b: list[float]) -> tuple[float, float]:
    """The 95 % Welch interval of mean(a) − mean(b), written out (the known answer)."""
    sa, sb = summarize(a), summarize(b)
    va, vb = sa.std**2 / sa.n, sb.std**2 / sb.n
    df = (va + vb) ** 2 / (va**2 / (sa.n - 1) + vb**2 / (sb.n - 1))
    half = student_t.ppf(0.975, df) * math.sqrt(va + vb)
    return sa.mean - sb.mean - half, sa.mean - sb.mean + half


SIGMA_ERRORS = {("vim", 2.5): [0.270, 0.272, 0.274], ("vim", 0.5): [0.290, 0.292, 0.294],
                ("vim", 1.0): [0.280, 0.283, 0.286], ("vib", 0.5): [0.300, 0.301, 0.303],
                ("vib", 2.5): [0.280, 0.282, 0.283], ("vib", 1.0): [0.300, 0.302, 0.305]}


def test_sigma_claims_with_seeds_get_a_verdict_an_interval_and_holm(tmp_path):
    results = tmp_path / "results"
    for (objective, sigma), errors in SIGMA_ERRORS.items():
        for seed, error in enumerate(errors):
            cifar_run(results, objective, 1e-3, sigma, seed, error)
    section = section_of(results, tmp_path)
    tested = [c for c in section.claims if c.comparison is not None and c.comparison.state == "tested"]
    assert [c.adjusted_p for c in tested] == holm([c.comparison.p for c in tested])  # Holm over all of them

    low, high = welch_interval(SIGMA_ERRORS[("vim", 2.5)], SIGMA_ERRORS[("vim", 0.5)])
    vim_half = sigma_pair(section, "VIM", 2.5, 0.5)
    assert ": reproduces** — VIM σ = 2.5 27.20 ± 0.20% (n = 3) vs VIM σ = 0.5 29.20 ± 0.20% (n = 3)" \
        in vim_half
    assert f"σ = 2.5 − σ = 0.5 = -2.00 points, 95 % CI [{100 * low:+.2f}, {100 * high:+.2f}]" in vim_half
    assert "σ = 2.5 is significantly better after Holm's correction" in vim_half
    assert "Missing runs" not in vim_half
    assert ": reproduces**" in sigma_pair(section, "VIM", 2.5, 1)
    assert sentence(section, "CIFAR-10, Fig. 4: VIM's σ optimum").startswith(
        "**CIFAR-10, Fig. 4: VIM's σ optimum at β = 1e-3 is σ = 2.5: reproduces**")

    vib_other = sigma_pair(section, "VIB", 0.5, 2.5)
    assert ": contradicted**" in vib_other and "σ = 2.5 is significantly better after Holm's" in vib_other
    assert ": inconclusive**" in sigma_pair(section, "VIB", 0.5, 1)
    assert sentence(section, "CIFAR-10, Fig. 4: VIB's σ optimum").startswith(
        "**CIFAR-10, Fig. 4: VIB's σ optimum at β = 1e-3 is σ = 0.5: contradicted**")
    assert "| VIM | 2.5 (paper's best) | 27.20 ± 0.20 (n = 3) | 29.92 ± 0.22 (n = 3) |" in section.body
    table = claims_table(section.claims)  # the summary names a difference that is not VIM − VIB
    assert "| claim (VIM vs VIB), or as said | verdict | VIM − VIB [95 % CI] unless said |" in table[0]
    cell = f"| -2.00 [{100 * low:+.2f}, {100 * high:+.2f}] points (σ = 2.5 − σ = 0.5) |"
    assert any(cell in row for row in table)


def test_a_claim_without_its_runs_lists_them_by_id_with_the_command(tmp_path):
    results = tmp_path / "results"
    cifar_run(results, "vim", 1e-3, 2.5, 0, 0.27)
    for seed in (0, 1):
        cifar_run(results, "vim", 1e-3, 0.5, seed, 0.29 + 0.001 * seed)
    section = section_of(results, tmp_path)
    text = sigma_pair(section, "VIM", 2.5, 0.5)
    ids = ["vim_sigma2.5_beta1e-03_seed1", "vim_sigma2.5_beta1e-03_seed2", "vim_sigma0.5_beta1e-03_seed2"]
    assert ": waiting for 3 runs** — VIM σ = 2.5 27.00% (one seed) vs VIM σ = 0.5 29.05 ± 0.07% (n = 2)" \
        in text
    command = ("vimax sweep configs/cifar10.yaml --profile cpu --seeds 3 --jobs 2 --match "
               + " ".join(f"'{i}'" for i in ids))
    assert f"Missing runs (3): {', '.join(f'`{i}`' for i in ids)}; run them with: `{command}`." in text
    body = "\n".join(section.body)
    assert "| 1. σ at β = 1e-3 (VIM and VIB at σ 0.5, 1, 2.5), 3 seeds | 18 | 3 | 15 |" in body
    vib = sigma_pair(section, "VIB", 0.5, 1)
    assert "waiting for 6 runs** — VIB σ = 0.5 not run vs VIB σ = 1 not run. Missing runs (6)" in vib
    every = " ".join(c.sentence for c in section.claims)
    assert "cannot be tested" not in every and "not run yet" not in every

    other = section_of(results, tmp_path, profile="gpu")  # no run ids known: the runs are described
    text = sigma_pair(other, "VIM", 2.5, 0.5)
    assert "Missing runs (3): `VIM σ = 2.5, β = 1e-3, seed 1`," in text and "run them with" not in text


def test_best_setting_is_chosen_on_validation_never_test(tmp_path):
    results = tmp_path / "results"
    # (objective, β, σ): (validation error, test error); on test the other setting would win
    settings = {("vim", 1e-2, 2.5): (0.250, 0.290), ("vim", 0.1, 2.5): (0.270, 0.240),
                ("vib", 1e-3, 0.5): (0.260, 0.300), ("vib", 1e-4, 0.5): (0.280, 0.220)}
    for (objective, beta, sigma), (val, test) in settings.items():
        for seed in range(3):
            cifar_run(results, objective, beta, sigma, seed, test + 0.002 * seed, val=val + 0.001 * seed,
                      hoyer=0.2 + 0.001 * seed + (0.01 if beta == 0.1 else 0.0))
    section = section_of(results, tmp_path)
    note = next(c.text for c in section.claims if c.what == "CIFAR-10: best hyper-parameters")
    assert "VIM (β = 1e-2, σ = 2.5) and VIB (β = 1e-3, σ = 0.5); the paper: β = 1e-3 for both" in note
    best = sentence(section, "CIFAR-10, Fig. 4: the best VIM beats the best VIB")
    assert "VIM (β = 1e-2, σ = 2.5) 29.20 ± 0.20% (n = 3) vs VIB (β = 1e-3, σ = 0.5) 30.20 ± 0.20% (n = 3)" \
        in best
    assert ": reproduces**" in best and "Missing runs" not in best
    assert "| β = 1e-2, σ = 2.5 | 25.10 ± 0.10 (n = 3) | 29.20 ± 0.20 (n = 3) |" in section.body
    # Fig. 3: VIM's best-accuracy model (validation) against the best other one by Hoyer
    representation = sentence(section, "CIFAR-10, Fig. 3: VIM's best-accuracy model is its best")
    assert ("VIM best accuracy (β = 1e-2, σ = 2.5) 0.201 ± 0.001 (n = 3) vs VIM best other (β = 0.1, "
            "σ = 2.5) 0.211 ± 0.001 (n = 3)") in representation
    assert ": contradicted**" in representation


def test_a_collapsed_model_is_not_the_best_representation(tmp_path):
    results = tmp_path / "results"
    for seed in range(3):
        cifar_run(results, "vib", 1e-3, 0.5, seed, 0.28 + 0.001 * seed, val=0.27, hoyer=0.19 + 0.001 * seed)
        cifar_run(results, "vib", 1e-2, 0.5, seed, 0.29 + 0.001 * seed, val=0.29, hoyer=0.20 + 0.001 * seed)
        cifar_run(results, "vib", 1.0, 0.5, seed, 0.90, val=0.90, hoyer=0.40)  # at chance, the highest Hoyer
    section = section_of(results, tmp_path)
    text = sentence(section, "CIFAR-10, Fig. 3: VIB's best-accuracy model is not its best representation")
    assert "VIB best other (β = 1e-2, σ = 0.5) 0.201 ± 0.001 (n = 3) vs VIB best accuracy (β = 1e-3" in text
    assert ": reproduces**" in text
    lines = {"VIB σ = 0.5": select(collect(results), "cifar10", objective="vib", prior_std=0.5)}
    assert _chance_note(lines) == ("at chance (validation error ≥ 80 %), not a representation: "
                                   "VIB σ = 0.5, β = 1")  # Fig. 3's note on its points
    assert _chance_note({"VIM σ = 2.5": []}) == ""


def test_single_seed_values_are_marked(tmp_path):
    results = tmp_path / "results"
    cifar_run(results, "deterministic", None, None, 0, 0.2801)
    for beta in (1e-3, 0.1):
        cifar_run(results, "vim", beta, 2.5, 0, 0.2776)
    section = section_of(results, tmp_path)
    body = "\n".join(section.body)
    assert "The deterministic baseline (the same CNN, no noise or regulariser): 28.01 % (one seed)." in body
    assert "| 0.1 | not run | 27.76 (one seed) | not run | not run |" in body
    assert "| VIM | 2.5 | 0.1 | one seed | 27.76 |" in body  # the β-scale table
    assert (tmp_path / "cifar10_fig4a.png").read_bytes().startswith(b"\x89PNG")
    one = Series("VIM σ = 2.5", [(1e-3, summarize([0.27]))])
    mixed = Series("VIB σ = 0.5", [(1e-3, summarize([0.27, 0.28])), (0.1, summarize([0.3]))])
    assert seeds_label(one) == "VIM σ = 2.5 (one seed)"
    assert seeds_label(mixed) == "VIB σ = 0.5 (n = 1–2, ○ = one seed)"
    assert seeds_label(Series("VIM", [(1.0, summarize([0.1, 0.2]))])) == "VIM (n = 2)"


def test_beta_scale_note_with_and_without_diagnostics(tmp_path):
    results = tmp_path / "results"
    cifar_run(results, "deterministic", None, None, 0, 0.280)
    for seed in (0, 1):
        cifar_run(results, "vim", 1e-3, 2.5, seed, 0.277, extra={**DIAG, "final_train_terms": {
            "task": 0.008, "mmd": 0.017}})
        cifar_run(results, "vim", 1.0, 2.5, seed, 0.284, extra={
            **DIAG, "regulariser_grad_ratio": 0.02, "final_train_terms": {"task": 0.01, "mmd": 0.009}})
    cifar_run(results, "vib", 1.0, 0.5, 0, 0.8956, val=0.9016,
              extra={"final_train_terms": {"task": 2.3, "kl": 0.00092}})  # before the diagnostics
    body = "\n".join(section_of(results, tmp_path).body)
    assert ("- **VIB collapses** onto its prior (test error at chance, 90 %, and a KL near 0) at σ = 0.5, "
            "β = 1: 89.56 % test error (KL 9.2e-4 nats, one seed). At the same β VIM is untouched: σ = 2.5, "
            "β = 1: 28.40 ± 0.00 % (n = 2) (the deterministic baseline: 28.00 %).") in body
    assert ("- **VIM's MMD² is inactive below β ~ 1 (measured)**: the measured gradient ratio ‖∇_z β·MMD²‖ / "
            "‖∇_z CE‖ is below 0.001 (inactive) at (σ = 2.5, β = 1e-3); at least 0.001 (active) at (σ = 2.5, "
            "β = 1); the final MMD² is σ = 2.5: 0.017 at every β < 1 run, 9.0e-3 at β = 1") in body
    assert "| VIM | 2.5 | 1e-3 | n = 2 | 27.70 ± 0.00 | 0.017 | 2.1e-3 | 2.1e-6 · 0.93 · 0.012 |" in body
    assert ("| VIB | 0.5 | 1 | one seed | 89.56 | 9.2e-4 | 4.0e-4 | not measured: trained before the "
            "diagnostics |") in body
    assert ("1 of the 5 VIM and VIB runs were trained before the diagnostics existed and lack them (marked "
            "\"not measured\"): `vib_beta1e+00_sigma0.5_seed0`.") in body
    assert "--evaluate-only --retrain-missing --match 'vib_beta1e+00_sigma0.5_seed0'" in body


def test_plan_run_ids_are_those_of_the_sweep_file():
    """Every planned run is a run of `vimax sweep configs/cifar10.yaml --profile cpu --seeds 3`, with the
    same objective, σ, β and seed (the report finds runs by config; the id is what --match needs)."""
    from vimax.sweep import expand, load_sweep

    config = Path(__file__).resolve().parents[2] / "configs" / "cifar10.yaml"
    specs = {spec.run_id: spec for spec in expand(load_sweep(config), "cpu", "/nonexistent", [0, 1, 2])}
    points = {*baseline_points(), *(p for o in ("vim", "vib") for p in candidate_points(o))}
    assert len(points) == 3 + 25 + 21
    assert set(candidate_points("vim")) == {*sigma_claim_points("vim"), *figure_points("vim"),
                                            *fig4b_points("vim")}
    for point in points:
        spec = specs[run_id(point)]
        objective = spec.config["objective"]
        assert (objective["name"], spec.seed) == (point.objective, point.seed)
        if point.objective != "deterministic":
            assert math.isclose(objective["prior_std"], point.prior_std)
            assert math.isclose(objective["beta"], point.beta)
    assert run_id(Point("vim", 2.5, 1.0, 0)) == "vim_sigma2.5_beta1e+00_seed0"  # Fig. 4b's σ = 2.5
    with pytest.raises(ValueError, match="not a run of the cpu profile"):
        run_id(Point("vib", 3.0, 1e-3, 0))


def _plan_with_one_seed(results: Path, skip: set[Point] = frozenset(), unevaluated: set[Point] = frozenset()):
    """Parts 1-3 of both objectives (their own seeds) and the baseline's 3 seeds. Validation errors put
    VIM's best at (β = 1e-2, σ = 2.5) and VIB's at (β = 1e-4, σ = 0.5), both one seed; the highest Hoyer
    is at VIM (β = 10, σ = 0.5) and VIB (β = 0.1, σ = 2.5), and higher still at VIB's collapsed β = 1."""
    best = {("vim", 1e-2, 2.5): 0.25, ("vib", 1e-4, 0.5): 0.26}
    sparse = {("vim", 10.0, 0.5): 0.30, ("vib", 0.1, 2.5): 0.31, ("vib", 1.0, 0.5): 0.40}
    for point in {*candidate_points("vim"), *candidate_points("vib")} - set(skip):
        key = (point.objective, point.beta, point.prior_std)
        val = 0.90 if key == ("vib", 1.0, 0.5) else best.get(key, 0.28 + 0.001 * point.seed)
        cifar_run(results, point.objective, point.beta, point.prior_std, point.seed, val, val=val,
                  hoyer=None if point in unevaluated else sparse.get(key, 0.2))
    for seed in (0, 1, 2):
        cifar_run(results, "deterministic", None, None, seed, 0.28)


def test_pending_runs_are_the_plan_left_then_the_best_settings_seeds(tmp_path, capsys):
    """`vimax report --pending` lists, by sweep id, what the claims wait for: plan runs not trained or
    not evaluated, then the seeds of each objective's validation-best setting and best other by Hoyer
    (a collapsed model is never the best other); it writes no report."""
    from vimax.cli import main
    from vimax.report.cifar_claims import pending_points

    results = tmp_path / "results"
    _plan_with_one_seed(results)
    expected = ["vim_sigma2.5_beta1e-02_seed1", "vim_sigma2.5_beta1e-02_seed2",
                "vim_sigma0.5_beta1e+01_seed1", "vim_sigma0.5_beta1e+01_seed2",
                "vib_sigma0.5_beta1e-04_seed1", "vib_sigma0.5_beta1e-04_seed2",
                "vib_sigma2.5_beta1e-01_seed1", "vib_sigma2.5_beta1e-01_seed2"]
    assert [run_id(p) for p in pending_points(collect(results))] == expected
    assert main(["report", str(results), "--pending"]) == 0
    assert capsys.readouterr().out.split() == expected
    assert not (results / "REPORT.md").exists()

    others = tmp_path / "others"
    not_run, not_evaluated = Point("vib", 1.0, 1.0, 0), Point("vim", 2.5, 1e-3, 2)
    _plan_with_one_seed(others, skip={not_run, Point("vim", 0.5, 1e-3, 1)}, unevaluated={not_evaluated})
    shutil.rmtree(others / "cifar10" / "cpu" / "deterministic_seed1")
    pending = [run_id(p) for p in pending_points(collect(others))]
    assert pending[:4] == ["vim_sigma0.5_beta1e-03_seed1", "vim_sigma2.5_beta1e-03_seed2",
                           "vib_sigma1_beta1e+00_seed0", "deterministic_seed1"]
    assert pending[4:] == expected


def test_pending_of_a_missing_results_folder_is_a_one_line_error(tmp_path, capsys):
    from vimax.cli import main

    assert main(["report", str(tmp_path / "nowhere"), "--pending"]) != 0
    assert "does not exist" in capsys.readouterr().err


def test_a_finished_plan_says_so_with_its_cost_and_marks_settings_outside_it(tmp_path):
    from vimax.report.cifar_claims import pending_points

    results = tmp_path / "results"
    _plan_with_one_seed(results)
    for objective, beta, sigma, val, sparse in (("vim", 1e-2, 2.5, 0.25, 0.2), ("vim", 10.0, 0.5, 0.28, 0.3),
                                                ("vib", 1e-4, 0.5, 0.26, 0.2), ("vib", 0.1, 2.5, 0.28, 0.31)):
        for seed in (1, 2):
            cifar_run(results, objective, beta, sigma, seed, val, val=val, hoyer=sparse)
    assert pending_points(collect(results)) == []
    body = "\n".join(section_of(results, tmp_path).body)
    assert ("| 4. the validation-best (β, σ) of each, its best other model by Hoyer (Fig. 3), and the "
            "deterministic baseline, 3 seeds | 15 | 15 | 0 |") in body
    # 46 runs of parts 1-3 and 8 seeds of part 4 at the fixture's 60 s of training and 30 s of evaluation,
    # the baseline's 3 at 60 s (not evaluated): 5040 s in all, 88.4 s a run
    assert ("Every planned run has finished: one run took 1 min 28 s of one core (training and evaluation, "
            "mean of 57 runs, 1 min 00 s to 1 min 30 s as machines and their load varied), 1 h 24 min in "
            "all.") in body
    assert "Commands for the missing runs" not in body
    assert "| 10 | 28.00 ± 0.00 (n = 3) | 28.00 (one seed) | not in the plan | not in the plan |" in body
