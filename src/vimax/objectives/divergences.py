"""Divergences between a posterior or a sample and the Gaussian prior N(0, prior_std^2 I).

Pure functions, chosen by argument or config, never by inheritance:

- :func:`gaussian_kl`: the closed-form KL of Eq. (10)'s regulariser (VIB).
- :func:`mmd`: the squared Maximum Mean Discrepancy of §4, the divergence D of
  Eq. (18) (VIM), with the paper's inverse multiquadratic kernel.
"""

from __future__ import annotations

import torch

__all__ = ["gaussian_kl", "mmd", "mmd_kernel_scale", "imq_kernel", "rbf_kernel", "squared_distances",
           "KERNELS"]


def gaussian_kl(mean: torch.Tensor, std: torch.Tensor, prior_std: float = 1.0) -> torch.Tensor:
    """KL(N(mean, diag(std^2)) || N(0, prior_std^2 I)) per example, summed over dimensions.

    The regulariser of Eq. (10): for each of the K dimensions

        KL = log(prior_std / std) + (std^2 + mean^2) / (2 prior_std^2) - 1/2

    Args:
        mean: (B, K) posterior means.
        std: (B, K) posterior standard deviations, > 0.
        prior_std: standard deviation sigma of the isotropic prior, > 0.

    Returns:
        (B,) KL in nats.
    """
    if prior_std <= 0:
        raise ValueError(f"prior_std must be > 0, got {prior_std}")
    var_ratio = (std / prior_std) ** 2  # (B, K)
    kl = 0.5 * (var_ratio + (mean / prior_std) ** 2 - 1.0 - torch.log(var_ratio))  # (B, K)
    return kl.sum(dim=-1)


def squared_distances(
    a: torch.Tensor,
    b: torch.Tensor,
    a_sq: torch.Tensor | None = None,
    b_sq: torch.Tensor | None = None,
) -> torch.Tensor:
    """||a_i - b_j||^2 = ||a_i||^2 + ||b_j||^2 - 2 a_i.b_j for a (N, K) and b (M, K).

    Returns an (N, M) matrix, clamped at 0. ``a_sq`` (N,) and ``b_sq`` (M,), the
    squared norms, may be passed in when already computed.
    """
    a_sq = a.pow(2).sum(-1) if a_sq is None else a_sq  # (N,)
    b_sq = b.pow(2).sum(-1) if b_sq is None else b_sq  # (M,)
    norms = a_sq.unsqueeze(1) + b_sq.unsqueeze(0)  # (N, M)
    return torch.addmm(norms, a, b.transpose(0, 1), alpha=-2.0).clamp_min_(0.0)  # (N, M)


def imq_kernel(sq_dist: torch.Tensor, scale: float) -> torch.Tensor:
    """Inverse multiquadratic kernel of §4: k(a, b) = C / (C + ||a - b||^2), C = ``scale``."""
    return scale / (scale + sq_dist)


def rbf_kernel(sq_dist: torch.Tensor, scale: float) -> torch.Tensor:
    """Gaussian kernel k(a, b) = exp(-||a - b||^2 / C), C = ``scale`` (InfoVAE's convention)."""
    return torch.exp(-sq_dist / scale)


KERNELS = {"imq": imq_kernel, "rbf": rbf_kernel}


def mmd_kernel_scale(x: torch.Tensor, y: torch.Tensor, kernel: str, scale: float | None,
                     unbiased: bool) -> float:
    """Check the arguments of :func:`mmd`; return the kernel constant C (K when ``scale`` is None)."""
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"mmd needs (N, K) and (M, K) samples, got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
    c = float(x.shape[1]) if scale is None else float(scale)
    if c <= 0:
        raise ValueError(f"kernel scale must be > 0, got {c}")
    if unbiased and (x.shape[0] < 2 or y.shape[0] < 2):
        raise ValueError("the unbiased MMD needs at least 2 samples on each side")
    return c


def mmd(
    x: torch.Tensor,
    y: torch.Tensor,
    kernel: str = "imq",
    scale: float | None = None,
    unbiased: bool = True,
) -> torch.Tensor:
    """Squared Maximum Mean Discrepancy between samples x ~ q and y ~ p (§4, Eq. (18)'s D).

    MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y). The unbiased estimator leaves
    the diagonal out of the two within-sample sums (dividing by N(N-1) and
    M(M-1)); the cross term keeps all N*M pairs. The biased (V-statistic)
    estimator keeps every pair and is never negative.

    Args:
        x: (N, K) sample of the aggregate posterior q(z).
        y: (M, K) sample of the prior p(z).
        kernel: "imq" (the paper's C / (C + ||a - b||^2)) or "rbf".
        scale: the kernel constant C; defaults to K, the latent dimension, as in §4.
        unbiased: use the unbiased U-statistic (needs N, M >= 2).

    Returns:
        A scalar tensor.
    """
    c = mmd_kernel_scale(x, y, kernel, scale, unbiased)
    k = KERNELS[kernel]
    n, m = x.shape[0], y.shape[0]
    x_sq, y_sq = x.pow(2).sum(-1), y.pow(2).sum(-1)  # (N,), (M,): each norm computed once
    k_xx = k(squared_distances(x, x, x_sq, x_sq), c)  # (N, N)
    k_yy = k(squared_distances(y, y, y_sq, y_sq), c)  # (M, M)
    k_xy = k(squared_distances(x, y, x_sq, y_sq), c)  # (N, M)
    if unbiased:
        # the diagonal of k_xx is k(a, a), which is 1 for both kernels: subtract it exactly
        xx = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1))
        yy = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    else:
        xx = k_xx.mean()
        yy = k_yy.mean()
    return xx + yy - 2.0 * k_xy.mean()
