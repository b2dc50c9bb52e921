"""Quality of the learned representation: clustering and sparsity (Table 3, §4.1).

The paper clusters the test embeddings with k-means (10 clusters) and scores
the clusters against the labels, and measures sparsity with the Hoyer index
of each embedding normalised by the per-dimension standard deviation,
``Hoyer = H(z / sigma)`` (following Mathieu et al., 2018).

Which normalisation the paper used is not certain (its values, 0.31-0.41, are
about twice ours), so :func:`hoyer_variants` reports the readings beside the
headline ``hoyer`` (= ``hoyer_dim_std``):

- ``hoyer_raw``: H(mu), the posterior means as they are;
- ``hoyer_prior_std``: H(mu / sigma_prior). The Hoyer index of a row is
  invariant to scaling the row, so this equals ``hoyer_raw`` exactly; it is
  reported because it is one of the readings, and to make that visible;
- ``hoyer_dim_std``: H(mu / s), s the per-dimension standard deviation over
  the test set (Mathieu et al.'s; today's headline);
- ``hoyer_zscore``: H((mu - m) / s), each dimension centred on its mean m
  over the test set first: a constant offset shared by all images makes every
  row dense, and centring removes it.

Table 3's column is called "adjR" (adjusted Rand), but the formula printed
beside it, sum_i |C_i ∩ L_i| / sum_i |C_i|, is the cluster accuracy under the
best matching of clusters to labels. Both are reported here
(``ari`` and ``cluster_accuracy``), with the normalised mutual information.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import torch

from vimax.data.base import Split
from vimax.errors import ConfigError
from vimax.models.classifier import StochasticClassifier

__all__ = ["hoyer", "normalised_hoyer", "hoyer_variants", "HOYER_VARIANTS", "HOYER_HEADLINE",
           "cluster_accuracy", "representation_quality", "mean_embeddings"]

HOYER_VARIANTS = ("raw", "prior_std", "dim_std", "zscore")
HOYER_HEADLINE = "dim_std"  # the variant reported as ``hoyer``

logger = logging.getLogger(__name__)


@torch.no_grad()
def mean_embeddings(model: StochasticClassifier, split: Split, batch_size: int = 1000) -> torch.Tensor:
    """The posterior means E[z|x] (N, K) of every image of ``split``, on the CPU."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    parts = [model.posterior(split.images[start : start + batch_size].to(device)).mean.cpu()
             for start in range(0, len(split), batch_size)]  # (B, K) each
    model.train(was_training)
    if not parts:
        return torch.zeros(0, model.latent_dim)
    return torch.cat(parts)


def hoyer(z: np.ndarray | torch.Tensor) -> np.ndarray:
    """Hoyer sparsity (sqrt(d) - ||z||_1 / ||z||_2) / (sqrt(d) - 1) of each row (§4.1).

    0 for a vector whose entries all have the same magnitude, 1 for a one-hot
    vector. Conventions where the formula is 0 / 0: an all-zero vector scores
    1 (every dimension is off, the property the paper calls sparse), and so
    does any vector when d = 1 (it has at most one non-zero entry).

    Args:
        z: (N, d) or (d,).

    Returns:
        (N,) float64, or a 0-d array for a single vector.
    """
    z = np.asarray(z, dtype=np.float64)
    rows = np.atleast_2d(z)  # (N, d)
    d = rows.shape[1]
    if d == 1:
        scores = np.ones(rows.shape[0])
    else:
        l1 = np.abs(rows).sum(1)  # (N,)
        l2 = np.sqrt((rows**2).sum(1))  # (N,)
        nonzero = l2 > 0
        ratio = np.divide(l1, l2, out=np.ones_like(l1), where=nonzero)  # all-zero rows -> 1
        scores = np.clip((math.sqrt(d) - ratio) / (math.sqrt(d) - 1), 0.0, 1.0)
    return scores if z.ndim == 2 else scores[0]


def _spread(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each dimension's standard deviation (d,), and whether it varies (d,) bool: a spread below
    1e-12 of the dimension's largest magnitude is rounding error of a constant dimension."""
    sigma = z.std(0)  # (d,)
    return sigma, sigma > 1e-12 * np.abs(z).max(0)


def normalised_hoyer(embeddings: np.ndarray | torch.Tensor) -> float:
    """Mean Hoyer index of H(z / sigma) over the rows of ``embeddings`` (N, d) (Table 3).

    sigma is each dimension's standard deviation over the rows. A dimension with
    sigma = 0 (to rounding) is constant over the set, so it tells nothing about the input: it
    is set to 0 (counted as off) rather than divided by zero.
    """
    z = _as_rows(embeddings)
    sigma, live = _spread(z)  # (d,) each
    scaled = np.divide(z, sigma, out=np.zeros_like(z), where=live)  # (N, d)
    dead = int((~live).sum())
    if dead:
        logger.info("%d of %d latent dimensions are constant over the set (counted as off)",
                    dead, z.shape[1])
    return float(hoyer(scaled).mean())


def _as_rows(embeddings: np.ndarray | torch.Tensor) -> np.ndarray:
    z = np.asarray(embeddings, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ConfigError(f"embeddings must be (N, d) with N >= 1, got shape {z.shape}")
    return z


def hoyer_variants(embeddings: np.ndarray | torch.Tensor, prior_std: float = 1.0) -> dict[str, float]:
    """Mean Hoyer index of the rows of ``embeddings`` (N, d) under each normalisation.

    Keys ``hoyer_raw``, ``hoyer_prior_std``, ``hoyer_dim_std``, ``hoyer_zscore``
    (see the module docstring). A dimension constant over the rows is set to 0
    wherever it is divided by its spread.
    """
    z = _as_rows(embeddings)
    if not prior_std > 0:
        raise ConfigError(f"prior_std must be > 0, got {prior_std}")
    centred = z - z.mean(0)  # (N, d)
    sigma, live = _spread(z)  # (d,) each
    zscore = np.divide(centred, sigma, out=np.zeros_like(z), where=live)  # (N, d)
    return {
        "hoyer_raw": float(hoyer(z).mean()),
        "hoyer_prior_std": float(hoyer(z / prior_std).mean()),
        "hoyer_dim_std": normalised_hoyer(z),
        "hoyer_zscore": float(hoyer(zscore).mean()),
    }


def cluster_accuracy(labels: np.ndarray, clusters: np.ndarray) -> float:
    """sum_i |C_i ∩ L_i| / sum_i |C_i| under the best one-to-one matching of clusters to labels.

    The matching maximises the matched count (Hungarian algorithm); with more
    clusters than labels, unmatched clusters count as wrong.
    """
    from scipy.optimize import linear_sum_assignment

    labels, clusters = np.asarray(labels).ravel(), np.asarray(clusters).ravel()
    if labels.shape != clusters.shape:
        raise ConfigError(f"labels {labels.shape} and clusters {clusters.shape} differ in shape")
    if labels.size == 0:
        raise ConfigError("cluster_accuracy needs at least one point")
    _, label_ids = np.unique(labels, return_inverse=True)
    _, cluster_ids = np.unique(clusters, return_inverse=True)
    counts = np.zeros((cluster_ids.max() + 1, label_ids.max() + 1), dtype=np.int64)  # (C, L)
    np.add.at(counts, (cluster_ids, label_ids), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / labels.size)


def representation_quality(
    embeddings: np.ndarray | torch.Tensor,
    labels: np.ndarray | torch.Tensor,
    n_clusters: int = 10,
    random_state: int = 0,
    n_init: int = 10,
    prior_std: float = 1.0,
) -> dict[str, Any]:
    """Table 3's figures for embeddings (N, K) and labels (N,).

    k-means (scikit-learn, ``n_clusters``, ``n_init`` restarts from
    ``random_state``) clusters the raw embeddings; the clusters are scored
    against the labels by ARI, cluster accuracy and NMI. ``hoyer`` is the
    :data:`HOYER_HEADLINE` variant of :func:`hoyer_variants` (``prior_std`` is
    the prior's sigma; 1 for a model without a prior), the others beside it.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    z = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(labels).ravel()
    if z.ndim != 2 or z.shape[0] != y.shape[0]:
        raise ConfigError(f"embeddings (N, K) and labels (N,) disagree: {z.shape} vs {y.shape}")
    if not 1 <= n_clusters <= z.shape[0]:
        raise ConfigError(f"n_clusters must lie in [1, {z.shape[0]}], got {n_clusters}")
    variants = hoyer_variants(z, prior_std)
    kmeans = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=random_state)
    clusters = kmeans.fit_predict(z)  # (N,)
    return {
        "ari": float(adjusted_rand_score(y, clusters)),
        "cluster_accuracy": cluster_accuracy(y, clusters),
        "nmi": float(normalized_mutual_info_score(y, clusters)),
        "hoyer": variants[f"hoyer_{HOYER_HEADLINE}"],
        "hoyer_headline": HOYER_HEADLINE,
        **variants,
        "kmeans": {"n_clusters": n_clusters, "n_init": n_init, "random_state": random_state,
                   "inertia": float(kmeans.inertia_), "iterations": int(kmeans.n_iter_)},
    }
