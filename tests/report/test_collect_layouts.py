"""Both layouts of evaluation.json's ``robustness`` section load the same way."""

from __future__ import annotations

import json

from saved_results import write_run

from vimax.report.collect import collect, normalise_evaluation

ONE_MODE = {"attacked_model": "mean_z", "l2": 3.0, "l1": 40.0, "success_rate": 1.0, "per_image": []}


def modes(mean_l2: float, averaged_l2: float) -> dict:
    return {"mean": {**ONE_MODE, "l2": mean_l2},
            "averaged": {**ONE_MODE, "attacked_model": "averaged", "l2": averaged_l2,
                         "fresh_noise_success_rate": 0.4},
            "cross_check": {"mean": {"ratio_of_means": 1.01}}}


def test_old_and_new_layouts_read_alike(tmp_path):
    write_run(tmp_path, "tables2_3", "vib", 1e-3, 1.0, 0, 0.012, {"robustness": ONE_MODE})
    write_run(tmp_path, "tables2_3", "vib", 1e-3, 1.0, 1, 0.012, {"robustness": modes(2.5, 2.0)})
    old, new = collect(tmp_path)
    assert old.value("evaluation.robustness.l2") == 3.0  # what today's tables read
    assert old.value("evaluation.robustness.mean.l2") == 3.0
    assert old.value("evaluation.robustness.averaged.l2") is None
    assert new.value("evaluation.robustness.l2") == 2.5  # the z = mean mode's, at the top
    assert new.value("evaluation.robustness.mean.l2") == 2.5
    assert new.value("evaluation.robustness.averaged.l2") == 2.0
    assert new.value("evaluation.robustness.averaged.fresh_noise_success_rate") == 0.4
    assert new.value("evaluation.robustness.cross_check.mean.ratio_of_means") == 1.01
    saved = json.loads((new.path / "evaluation.json").read_text())
    assert "l2" not in saved["robustness"]  # reading changes nothing on disk


def test_old_averaged_file_and_missing_sections():
    averaged = {**ONE_MODE, "attacked_model": "averaged", "l2": 4.0}
    loaded = normalise_evaluation({"robustness": averaged})["robustness"]
    assert loaded["averaged"]["l2"] == loaded["l2"] == 4.0 and "mean" not in loaded
    only_averaged = normalise_evaluation({"robustness": {"averaged": averaged}})["robustness"]
    assert only_averaged["l2"] == 4.0
    assert normalise_evaluation({"robustness": None}) == {"robustness": None}
    assert normalise_evaluation(None) is None and normalise_evaluation([1]) == [1]
