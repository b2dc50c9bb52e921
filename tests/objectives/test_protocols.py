"""The typed protocols training and evaluation ask objectives through (no getattr probes)."""

from __future__ import annotations

import pytest

from vimax.objectives.config import build_objective, objective_config
from vimax.objectives.protocols import PriorRegularised, prior_std_of

# name -> (settings, prior sigma)
EXPECTED = {
    "vim": ({"prior_std": 2.5, "beta": 1e-2}, 2.5),
    "vib": ({"prior_std": 0.5}, 0.5),
    "deterministic": ({}, 1.0),
    "dropout": ({}, 1.0),
    "label_smoothing": ({}, 1.0),
    "confidence_penalty": ({}, 1.0),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_the_prior_comes_through_the_protocol(name):
    settings, prior_std = EXPECTED[name]
    objective = build_objective(objective_config(name)(**settings))
    assert prior_std_of(objective) == prior_std
    assert isinstance(objective, PriorRegularised) == (name in ("vim", "vib"))
    if isinstance(objective, PriorRegularised):
        assert objective.beta == settings.get("beta", 1e-3)
