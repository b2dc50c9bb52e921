"""Which reading of Table 3's metrics comes closest to the paper's numbers.

For trained run folders (with ``model.pt``), :func:`run_variants` recomputes
every Hoyer variant of :func:`~vimax.evaluate.representation.hoyer_variants`
and the k-means scores on the test means; :func:`closest_variants` ranks the
variants by their mean absolute distance to the paper's values. Nothing is
written: ``evaluation.json`` is ``vimax evaluate``'s (or ``vimax sweep ...
--evaluate-only``'s) to rewrite.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vimax.data.config import load_dataset
from vimax.evaluate.representation import (
    HOYER_VARIANTS,
    mean_embeddings,
    representation_quality,
)
from vimax.training.load import load_run, load_run_config

__all__ = ["run_variants", "closest_variants", "ADJR_READINGS"]

ADJR_READINGS = ("ari", "cluster_accuracy")  # Table 3's "adjR": its name says ARI, its formula accuracy


def run_variants(run_dir: str | Path, data_dir: str | None = None, batch_size: int = 1000,
                 n_clusters: int = 10, random_state: int = 0, n_init: int = 10) -> dict[str, Any]:
    """The run's objective, beta, prior sigma, and Table 3's figures under every reading."""
    config, _ = load_run_config(run_dir)
    data = config.data if data_dir is None else dataclasses.replace(config.data, data_dir=data_dir)
    test = load_dataset(data).test
    model = load_run(run_dir, "cpu")
    objective = dataclasses.asdict(config.objective)  # deterministic and the baselines have no prior
    prior_std = objective.get("prior_std") or 1.0
    embeddings = mean_embeddings(model, test, batch_size)  # (N, K)
    quality = representation_quality(embeddings, test.labels, n_clusters, random_state, n_init, prior_std)
    return {"run": str(run_dir), "objective": config.objective.name, "beta": objective.get("beta"),
            "prior_std": prior_std, "latent_dim": embeddings.shape[1],
            **{key: quality[key] for key in ("ari", "cluster_accuracy")},
            **{f"hoyer_{name}": quality[f"hoyer_{name}"] for name in HOYER_VARIANTS}}


def closest_variants(rows: Iterable[tuple[dict[str, Any], dict[str, float]]]) -> dict[str, list[dict]]:
    """Rank the readings by mean |ours - paper| over ``rows`` of (run_variants result, paper values).

    Paper values use Table 3's keys ``hoyer`` and ``adjr``. Returns
    ``{"hoyer": [...], "adjr": [...]}``, each a list of
    ``{"variant", "mean_abs_difference", "runs"}`` sorted closest first.
    """
    rows = list(rows)
    readings = {"hoyer": [f"hoyer_{name}" for name in HOYER_VARIANTS], "adjr": list(ADJR_READINGS)}
    ranked: dict[str, list[dict]] = {}
    for paper_key, keys in readings.items():
        table = []
        for key in keys:
            gaps = [abs(ours[key] - paper[paper_key]) for ours, paper in rows
                    if paper.get(paper_key) is not None and ours.get(key) is not None]
            if gaps:
                table.append({"variant": key, "mean_abs_difference": sum(gaps) / len(gaps),
                              "runs": len(gaps)})
        ranked[paper_key] = sorted(table, key=lambda entry: entry["mean_abs_difference"])
    return ranked
