"""The 2-D picture of the learned representation (Fig. 2, §4.1).

For K = 2 the test embeddings E[z|x] are drawn as they are, one colour per
digit; for K > 2 they are first projected on their two principal components
and the axes say so. The figure is drawn on its own Agg canvas inside the
function (no pyplot, no global backend switch), so neither importing nor
calling this module changes matplotlib's state.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from vimax.atomic import atomic_write

__all__ = ["latent_plot", "project_2d"]

logger = logging.getLogger(__name__)


def project_2d(embeddings: np.ndarray | torch.Tensor) -> tuple[np.ndarray, str]:
    """Embeddings (N, K) -> (N, 2) points and an axis label prefix.

    K = 2 is kept as is ("z"); K > 2 is projected on the first two principal
    components ("PC"); K = 1 gets a zero second coordinate.
    """
    z = np.asarray(embeddings, dtype=np.float64)
    if z.shape[1] == 2:
        return z, "z"
    if z.shape[1] == 1:
        return np.hstack([z, np.zeros_like(z)]), "z"
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(z), "PC"  # (N, 2)


def latent_plot(
    embeddings: np.ndarray | torch.Tensor,
    labels: np.ndarray | torch.Tensor,
    path: str | Path,
    title: str,
    max_points: int | None = None,
) -> Path:
    """Scatter of the embeddings coloured by label, saved as a PNG at ``path`` (atomically).

    Args:
        embeddings: (N, K) posterior means.
        labels: (N,) integer classes.
        path: where to write the PNG.
        title: the first title line (objective, test error, ARI, Hoyer).
        max_points: draw at most this many points (a fixed random subset).
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points, axis = project_2d(embeddings)
    y = np.asarray(labels).ravel()
    if max_points is not None and len(y) > max_points:
        keep = np.random.default_rng(0).choice(len(y), max_points, replace=False)
        points, y = points[keep], y[keep]
    k = np.asarray(embeddings).shape[1]
    classes = np.unique(y)
    cmap = colormaps["tab10" if len(classes) <= 10 else "tab20"]
    fig = Figure(figsize=(6.4, 6.0), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    size = min(12.0, max(3.0, 30000 / max(len(y), 1)))  # bigger dots for small sets
    for i, c in enumerate(classes):
        mask = y == c
        ax.scatter(points[mask, 0], points[mask, 1], s=size, alpha=0.6, color=cmap(i % cmap.N),
                   label=str(c), rasterized=True, linewidths=0)
    subtitle = "z = E[z|x], K = 2" if axis == "z" else f"PCA projection of K = {k}"
    ax.set_title(f"{title}\n{subtitle}", fontsize=10)
    ax.set_xlabel(f"{axis}1")
    ax.set_ylabel(f"{axis}2")
    legend = ax.legend(title="class", markerscale=4, fontsize=8, loc="center left",
                       bbox_to_anchor=(1.01, 0.5), frameon=False)
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda handle: fig.savefig(handle, format="png"))
    logger.info("wrote %s", path)
    return path
