"""The typed protocols training and evaluation ask objectives through (no getattr probes)."""

from __future__ import annotations

import pytest

from vimax.objectives.config import ObjectiveConfig, build_objective
from vimax.objectives.protocols import Dropping, PriorRegularised, dropout_rate_of, prior_std_of

# name -> (settings, prior sigma, dropout rate)
EXPECTED = {
    "vim": ({"prior_std": 2.5, "beta": 1e-2}, 2.5, 0.0),
    "vib": ({"prior_std": 0.5}, 0.5, 0.0),
    "deterministic": ({}, 1.0, 0.0),
    "dropout": ({"dropout_rate": 0.3}, 1.0, 0.3),
    "label_smoothing": ({}, 1.0, 0.0),
    "confidence_penalty": ({}, 1.0, 0.0),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_prior_and_dropout_come_through_the_protocols(name):
    settings, prior_std, dropout = EXPECTED[name]
    objective = build_objective(ObjectiveConfig(name=name, **settings))
    assert prior_std_of(objective) == prior_std
    assert dropout_rate_of(objective) == dropout
    assert isinstance(objective, PriorRegularised) == (name in ("vim", "vib"))
    assert isinstance(objective, Dropping) == (name not in ("vim", "vib"))
    if isinstance(objective, PriorRegularised):
        assert objective.beta == settings.get("beta", 1e-3)
