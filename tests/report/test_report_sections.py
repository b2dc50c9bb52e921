"""The report's new sections on fixtures: Holm's summary, diagnostics, Why, wide β, both attack
layouts, the Hoyer variants and the paper's schedule."""

from __future__ import annotations

import json
import re
from pathlib import Path

from saved_results import evaluation, make_results, new_evaluation, write_run

from vimax.report import collect, write_report
from vimax.report.layout import attack_value, cross_check, representation_value, robustness_modes
from vimax.report.stats import ALPHA
from vimax.report.why import summed_beta

DIAG = {"regulariser_grad_ratio": 2.1e-6, "latent_scale": 0.93, "posterior_std_median": 0.012}


def _summary_rows(text: str) -> list[list[str]]:
    block = text.split("## Summary")[1].split("\n## ")[0]
    rows = [line.strip("|").split(" | ") for line in block.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[2:]]  # past the header and the rule


def test_summary_corrects_every_claim_with_holm(tmp_path):
    text = write_report(make_results(tmp_path / "results"), tmp_path / "REPORT.md").read_text()
    rows = _summary_rows(text)
    tested = [row for row in rows if row[4] != "—"]
    assert f"Holm's correction is over the {len(tested)} claims that could be tested" in text
    assert len(tested) == 20  # Table 1: 1, Table 2: 4, Table 3: 6, Fig. 1: 1, Fig. 2: 3, CIFAR-10: 5
    for row in tested:
        welch = 0.0 if row[4] == "< 0.001" else float(row[4])
        holm = 0.0 if row[5] == "< 0.001" else float(row[5])
        assert holm >= welch
        words = {"**reproduces**", "**contradicted**"} if holm < ALPHA else {"**inconclusive**"}
        assert row[1] in words
    assert "does not reproduce" not in text and "significantly better (Welch" not in text
    assert "## Conclusion" in text and "**hold** (reproduce):" in text


def test_diagnostics_column_and_why_section(tmp_path):
    results = tmp_path / "results"
    for seed in (0, 1):
        for sweep in ("table1", "fig1"):  # the same config in two sweeps: counted once in Why
            write_run(results, sweep, "vim", 1e-3, 1.0, seed, 0.0137, extra_metrics=DIAG)
            write_run(results, sweep, "vib", 1e-3, 1.0, seed, 0.0126 + 0.0002 * seed,
                      extra_metrics={**DIAG, "regulariser_grad_ratio": 0.03})
        write_run(results, "fig1", "vim", 1e-2, 1.0, seed, 0.013,
                  extra_metrics={**DIAG, "regulariser_grad_ratio": 2e-5})
        write_run(results, "fig1", "vim", 10.0, 1.0, seed, 0.0120 + 0.0001 * seed,
                  extra_metrics={**DIAG, "regulariser_grad_ratio": 0.05})
    old = write_run(results, "table1", "deterministic", None, None, 0, 0.0135)
    (old / "evaluation.json").write_text(json.dumps({"diagnostics": {"latent_scale": 1.5}}))
    write_run(results, "table1", "dropout", None, None, 0, 0.0140)
    text = write_report(results, tmp_path / "REPORT.md").read_text()
    assert "| VIM (β = 1e-3, σ = 1) | 1.10 | 1.37 ± 0.00 | 2 |" in text
    assert text.count(" | 2.1e-6 · 0.93 · 0.012 |") == 1  # Table 1's VIM row
    assert "| Baseline (deterministic) | 1.38 | 1.35 | 1 |  | — · 1.5 · — |" in text  # evaluation.json
    assert "| Dropout | 1.34 | 1.40 | 1 |  | — |" in text  # a run without diagnostics
    why = text.split("## Why")[1].split("\n## ")[0]
    assert "| VIM | 256 | 1 | 1e-3 | 2 | 2.1e-6 (2.1e-6–2.1e-6) | no |" in why
    assert "- VIM, K = 256, σ = 1: inactive (ratio < 0.001) at β = 1e-3, 1e-2; active from β = 10" in why
    assert ("**At the paper's β = 1e-3** (K = 256, σ = 1): VIM's regulariser is inactive: ratio 2.1e-6 "
            "(2.1e-6–2.1e-6); VIB's regulariser is active") in why
    assert "The same β is not the same strength" in why
    assert "β ≈ 1e-3 × 10000 = 10 on our scale" in why and summed_beta(100) == 10.0
    assert "Summed-MMD hypothesis: VIM at β = 10 has a lower test error than VIB at β = 1e-3" in why
    assert "not run yet" not in why  # the β = 10 runs exist: the claim is tested
    assert "| 1e-3 | 1.27 ± 0.01 | 1.37 ± 0.00 | not run |" in text  # Fig. 1 row
    assert "| 0.03 · 2.1e-6 · — |" in text  # Fig. 1's grad-ratio column


def test_wide_beta_and_best_beta_chosen_on_validation(tmp_path):
    results = tmp_path / "results"
    for seed in range(3):
        for beta, test, val in ((1e-3, 0.0137, 0.0140), (1.0, 0.0125, 0.0130), (10.0, 0.0122, 0.0110),
                                (100.0, 0.0110, 0.0150)):  # best on validation: 10; on test: 100
            write_run(results, "fig1", "vim", beta, 1.0, seed, test + 0.0002 * seed, val_error=val)
            write_run(results, "fig1", "vim", beta, 2.0, seed, test + 0.0003 * seed, val_error=val)
        for beta in (1e-3, 1e-2):
            write_run(results, "fig1", "vib", beta, 1.0, seed, 0.0126 + 0.0002 * seed + beta)
        for beta, sigma, val in ((1e-3, 1.0, 0.04), (1.0, 1.0, 0.03), (10.0, 2.0, 0.035)):
            write_run(results, "fig2", "vim", beta, sigma, seed, 0.03 + 0.001 * seed, val_error=val,
                      evaluation=evaluation(1.0, 0.8, seed), latent_dim=2)
        write_run(results, "fig2", "vib", 1e-3, 1.0, seed, 0.035, evaluation=evaluation(1.0, 0.9, seed),
                  latent_dim=2)
    out = tmp_path / "REPORT.md"
    text = write_report(results, out).read_text()
    assert "| 100 | not run | 1.12 ± 0.02 | 1.13 ± 0.03 |" in text  # the wide-β rows of Fig. 1
    assert "Fig. 1: the best VIM beats the best VIB (σ = 1, β of each chosen on validation): " in text
    assert "— VIM (β = 10) 1.24 ± 0.02% (n = 3) vs VIB (β = 1e-3)" in text
    assert "| VIM | 1, 1 | 3 |" in text  # Fig. 2: (β, σ) chosen on validation
    assert "![Fig. 2, error vs β](fig2_beta.png)" in text and (tmp_path / "fig2_beta.png").is_file()


def _tables2_3(results: Path, seeds: int = 2, profile: str = "cpu", **extra) -> None:
    rows = (("deterministic", None, None, 2.2), ("vib", 1e-3, 1.0, 3.3), ("vib", 1e-4, 1.0, 3.5),
            ("vim", 1e-3, 1.0, 3.8), ("vim", 10.0, 1.0, 4.2))
    for seed in range(seeds):
        for objective, beta, sigma, l2 in rows:
            write_run(results, "tables2_3", objective, beta, sigma, seed, 0.012, profile=profile,
                      evaluation=new_evaluation(l2, 0.95, seed, cross_check=seed == 0), **extra)


def test_tables2_3_read_both_attack_modes_cross_check_and_hoyer_variants(tmp_path):
    results = tmp_path / "results"
    _tables2_3(results)
    for seed in range(2):  # Fig. 1: VIM's validation-best β is 10
        for beta, val in ((1e-3, 0.014), (10.0, 0.011)):
            write_run(results, "fig1", "vim", beta, 1.0, seed, 0.013, val_error=val)
    text = write_report(results, tmp_path / "REPORT.md").read_text()
    assert "Attacked: the model at z = mean." in text and "Attacked: the averaged prediction." in text
    assert "| VIM (β = 10, σ = 1; validation-best in Fig. 1) | 2 | 4.21 ± 0.01 |" in text
    assert "| VIM (β = 1e-3, σ = 1) | 2 | 4.31 ± 0.01 | 3.70 |" in text  # averaged mode: l2 + 0.5
    assert "success under fresh noise (%)" in text and "| 100 ± 0 | 80 ± 0 | — |" in text
    assert ("| `vim_beta1e-03_sigma1_seed0` | model at z = mean | `adv_lib` → `foolbox` | 3.80 | 3.88 | 10 "
            "| 1.020 | 0.990–1.080 | 90 (± 5 %) |") in text
    assert ("Table 2 (averaged prediction): VIM at β = 10 is more robust than VIB (β = 1e-4, σ = 1) in L∞"
            in text)
    assert "Table 3: VIM at β = 10 has a higher Hoyer than VIB (β = 1e-3, σ = 1)" in text
    assert "| Baseline (deterministic) | 0.370 ± 0.001 | 0.300 ± 0.000 | 0.317 ± 0.001 | — | 0.370 |" in text
    assert "Closest to the paper's baseline: Hoyer on raw means (0.370; paper 0.370); clustering: ARI" in text


def test_layout_adapter_reads_old_and_new_files(tmp_path):
    folder = write_run(tmp_path, "tables2_3", "vib", 1e-3, 1.0, 0, 0.012, evaluation(3.0, 0.9, 0))
    (run,) = collect(tmp_path)
    assert set(robustness_modes(run.evaluation)) == {"mean"} and attack_value(run, "mean", "l2") == 3.0
    assert attack_value(run, "averaged", "l2") is None
    assert representation_value(run, "hoyer_dim_std") == representation_value(run, "hoyer") == 0.3
    assert representation_value(run, "hoyer_raw") is None
    saved = json.loads((folder / "evaluation.json").read_text())
    saved["robustness"]["attacked_model"] = "averaged"
    (folder / "evaluation.json").write_text(json.dumps(saved))
    (run,) = collect(tmp_path)
    assert set(robustness_modes(run.evaluation)) == {"averaged"}
    new = new_evaluation(3.0, 0.9, 0, cross_check=True)
    (folder / "evaluation.json").write_text(json.dumps(new))
    (run,) = collect(tmp_path)
    assert attack_value(run, "averaged", "fresh_noise_success_rate") == 0.8
    assert cross_check(run)["mean"]["median_ratio"] == 1.02
    # a loader that copies the z = mean mode's fields to the top keeps both modes readable
    merged = {**new["robustness"]["mean"], **new["robustness"]}
    assert robustness_modes({"robustness": merged}).keys() == {"mean", "averaged", "cross_check"}
    old = evaluation(3.0, 0.9, 0)["robustness"]
    assert robustness_modes({"robustness": {**old, "mean": old}}) == {"mean": old}
    assert representation_value(run, "hoyer_dim_std") == 0.3
    assert representation_value(run, "hoyer_raw") == 0.37


def test_paper_schedule_section_with_few_seeds_and_unfinished_runs(tmp_path):
    results = tmp_path / "results"
    for seed in range(3):
        for objective, beta in (("vim", 1e-3), ("vib", 1e-3)):
            write_run(results, "table1", objective, beta, 1.0, seed, 0.013 + 0.0002 * seed)
    for seed in range(2):  # the paper's schedule: the same runs in two sweeps, evaluated in one
        for objective, beta, error in (("vim", 1e-3, 0.0105), ("vib", 1e-3, 0.0112)):
            error += 0.0002 * seed
            write_run(results, "table1", objective, beta, 1.0, seed, error, profile="paper", epochs=200)
            write_run(results, "tables2_3", objective, beta, 1.0, seed, error, profile="paper", epochs=200,
                      evaluation=new_evaluation(3.0 + (objective == "vim"), 0.95, seed))
    started = write_run(results, "tables2_3", "vim", 10.0, 1.0, 0, 0.0, profile="paper", epochs=200)
    (started / "metrics.json").unlink()
    (started / "metrics.jsonl").write_text("".join(json.dumps({"epoch": e}) + "\n" for e in range(1, 38)))
    text = write_report(results, tmp_path / "REPORT.md").read_text()
    paper = text.split("## Tables 1–3 under the paper's schedule (profile `paper`)")[1].split("\n## ")[0]
    assert "`vim_beta1e-03_sigma1` n = 2 seeds (fewer than 3)" in paper
    assert "| `tables2_3` | `vim_beta1e+01_sigma1_seed0` | 37 of 200 |" in paper
    assert "**Wall time of one paper-schedule run (training):** 1 min 00 s (median of 4 runs)" in paper
    assert "### Table 1 — MNIST test error (%)" in paper
    assert "| VIM (β = 1e-3, σ = 1) | 1.10 | 1.06 ± 0.01 | 2 |" in paper  # copies in two sweeps counted once
    assert "#### Does the paper's claim reproduce?" in paper
    assert "Attacked: the averaged prediction." in paper
    summary = text.split("## Summary")[1].split("\n## ")[0]
    row = r"\| Paper schedule — Table 1: VIM has a lower test error than VIB \| \*\*\w+\*\* \|"
    assert re.search(row, summary)
    assert "**The paper's schedule (profile `paper`)**" in text.split("## Conclusion")[1]
