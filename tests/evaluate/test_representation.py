"""Hoyer sparsity and the cluster scores of Table 3."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vimax.errors import ConfigError
from vimax.evaluate.representation import (
    cluster_accuracy,
    hoyer,
    hoyer_variants,
    normalised_hoyer,
    representation_quality,
)


def test_hoyer_one_hot_is_one_and_constant_is_zero():
    assert hoyer(np.eye(5)[2]) == pytest.approx(1.0)
    assert hoyer(-3.0 * np.eye(5)[0]) == pytest.approx(1.0)
    assert hoyer(np.full(7, 0.3)) == pytest.approx(0.0, abs=1e-12)
    assert hoyer(np.array([1.0, -1.0, 1.0, -1.0])) == pytest.approx(0.0, abs=1e-12)


def test_hoyer_hand_computed_middle_case():
    # d = 4: ||z||_1 = 7, ||z||_2 = 5, (sqrt(4) - 7/5) / (sqrt(4) - 1) = 0.6
    assert hoyer(np.array([3.0, 4.0, 0.0, 0.0])) == pytest.approx(0.6)
    # d = 9, two equal entries: (3 - sqrt(2)) / 2
    z = np.zeros(9)
    z[[1, 5]] = 2.0
    assert hoyer(z) == pytest.approx((3 - math.sqrt(2)) / 2)


def test_hoyer_rows_and_degenerate_cases_without_nan():
    rows = torch.tensor([[3.0, 4.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    scores = hoyer(rows)
    assert scores.shape == (3,)
    np.testing.assert_allclose(scores, [0.6, 1.0, 0.0], atol=1e-12)  # all-zero row -> 1
    np.testing.assert_allclose(hoyer(np.array([[2.0], [0.0]])), [1.0, 1.0])  # d = 1


def test_normalised_hoyer_divides_by_std_and_handles_dead_dims():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 4))
    scale = np.array([1.0, 10.0, 0.1, 5.0])
    assert normalised_hoyer(z * scale) == pytest.approx(normalised_hoyer(z))
    dead = np.hstack([z, np.full((200, 2), 3.0), np.zeros((200, 1))])  # constant dims
    value = normalised_hoyer(dead)
    assert np.isfinite(value) and 0.0 <= value <= 1.0
    # constant dims are set to 0 (off): same as appending zero columns to z / std
    assert value == pytest.approx(float(hoyer(np.hstack([z / z.std(0), np.zeros((200, 3))])).mean()))
    assert np.isfinite(normalised_hoyer(np.zeros((5, 3))))


def test_cluster_accuracy_exact_permuted_and_partial():
    labels = np.repeat(np.arange(10), 20)
    assert cluster_accuracy(labels, labels) == 1.0
    permuted = np.random.default_rng(1).permutation(10)[labels]
    assert cluster_accuracy(labels, permuted) == 1.0
    # cluster a = {0, 0}, cluster b = {0, 1, 1, 1}: best matching a->0, b->1 gives 5/6
    assert cluster_accuracy([0, 0, 0, 1, 1, 1], [7, 7, 9, 9, 9, 9]) == pytest.approx(5 / 6)
    # three clusters for two labels: the third cluster's point cannot be matched
    assert cluster_accuracy([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(3 / 4)
    with pytest.raises(ConfigError):
        cluster_accuracy([0, 1], [0])


def test_representation_quality_on_planted_clusters():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 30)
    centres = rng.normal(scale=20.0, size=(10, 5))
    embeddings = centres[labels] + rng.normal(scale=0.1, size=(300, 5))
    result = representation_quality(embeddings, labels, n_clusters=10, random_state=0, n_init=3)
    assert result["ari"] == pytest.approx(1.0)
    assert result["cluster_accuracy"] == 1.0
    assert result["nmi"] == pytest.approx(1.0)
    assert 0.0 <= result["hoyer"] <= 1.0
    assert result["kmeans"]["n_init"] == 3 and result["kmeans"]["random_state"] == 0
    shuffled = representation_quality(embeddings, np.random.default_rng(2).permutation(10)[labels],
                                      n_clusters=10, random_state=0, n_init=3)
    assert shuffled["ari"] == pytest.approx(1.0) and shuffled["cluster_accuracy"] == 1.0


# two 3-d embeddings; the third dimension is the same for both (constant over the set)
PAIR = np.array([[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
SQRT3 = math.sqrt(3)


def test_hoyer_variants_hand_computed():
    variants = hoyer_variants(PAIR, prior_std=2.0)
    # raw: each row has ||z||_1 = 3 and ||z||_2 = sqrt(5)
    raw = (SQRT3 - 3 / math.sqrt(5)) / (SQRT3 - 1)
    assert hoyer(PAIR[0]) == pytest.approx(raw, abs=1e-15)  # the 3-vector itself, float64
    assert variants["hoyer_raw"] == pytest.approx(raw, abs=1e-15)
    assert variants["hoyer_prior_std"] == pytest.approx(raw, abs=1e-15)  # a scalar changes nothing
    # per-dimension std (1, 1, 0): rows become (2, 0, 0) and (0, 2, 0), one-hot
    assert variants["hoyer_dim_std"] == pytest.approx(1.0, abs=1e-15)
    # centred (1, -1, 0) and (-1, 1, 0), std 1: ||.||_1 = 2, ||.||_2 = sqrt(2)
    assert variants["hoyer_zscore"] == pytest.approx((SQRT3 - math.sqrt(2)) / (SQRT3 - 1), abs=1e-15)


def test_hoyer_variants_of_one_hot_and_constant_rows():
    one_hot = hoyer_variants(np.eye(4))
    assert one_hot["hoyer_raw"] == one_hot["hoyer_prior_std"] == pytest.approx(1.0)
    assert one_hot["hoyer_dim_std"] == pytest.approx(1.0)
    constant = hoyer_variants(np.full((3, 5), 0.7))
    assert constant["hoyer_raw"] == pytest.approx(0.0, abs=1e-12)
    # every dimension is constant over the set: divided by its spread it is off (all-zero rows -> 1)
    assert constant["hoyer_dim_std"] == constant["hoyer_zscore"] == 1.0


def test_hoyer_variants_scale_invariances():
    rng = np.random.default_rng(0)
    z = rng.normal(0.5, 1.0, size=(50, 6)) * rng.uniform(0.2, 3.0, size=6)  # (N, d)
    base = hoyer_variants(z)
    scaled = hoyer_variants(4.0 * z, prior_std=0.25)
    for key, value in base.items():  # one scale for the whole set changes nothing
        assert scaled[key] == pytest.approx(value, rel=1e-12), key
    per_dim = hoyer_variants(z * np.array([1.0, 10.0, 0.1, 2.0, 5.0, 0.5]))
    assert per_dim["hoyer_dim_std"] == pytest.approx(base["hoyer_dim_std"], rel=1e-12)
    assert per_dim["hoyer_zscore"] == pytest.approx(base["hoyer_zscore"], rel=1e-12)
    assert per_dim["hoyer_raw"] != pytest.approx(base["hoyer_raw"], rel=1e-3)  # raw is not
    shifted = hoyer_variants(z + np.arange(6.0))
    assert shifted["hoyer_zscore"] == pytest.approx(base["hoyer_zscore"], rel=1e-12)  # nor shifts
    assert shifted["hoyer_raw"] != pytest.approx(base["hoyer_raw"], rel=1e-3)


def test_representation_quality_reports_the_variants_with_the_headline():
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.normal(c, 0.1, size=(20, 3)) for c in (0.0, 3.0)])
    result = representation_quality(z, np.repeat([0, 1], 20), n_clusters=2, prior_std=2.0)
    assert result["hoyer_headline"] == "dim_std"
    assert result["hoyer"] == result["hoyer_dim_std"] == pytest.approx(normalised_hoyer(z))
    assert result["hoyer_prior_std"] == pytest.approx(result["hoyer_raw"])
    assert set(hoyer_variants(z)) <= set(result)
    with pytest.raises(ConfigError):
        hoyer_variants(z, prior_std=0.0)
