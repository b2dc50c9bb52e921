"""The MMD of VIM's training step, with a hand-written gradient for the posterior samples only.

:func:`mmd_to_prior_sample` returns exactly the estimator of
:func:`vimax.objectives.divergences.mmd` (§4, Eq. (18)'s D), but the prior
samples never need a gradient, so the backward pass is written out instead of
left to autograd. With x the (N, K) posterior samples, y the (M, K) prior
samples, d the squared distances and k'(d) the kernel's derivative,

    MMD^2 = sum_ij a_ij k(d(x_i, x_j)) + E k(y, y') + sum_ij b_ij k(d(x_i, y_j)),
    a_ij = 1 / (N(N-1)) off the diagonal and 0 on it (unbiased; 1 / N^2 biased),
    b_ij = -2 / (NM),

    dMMD^2 / dx_i = sum_j R_ij (x_i - s_j),  s = [x; y],  R = [4 a k'(d_xx) | 2 b k'(d_xy)],

that is ``rowsum(R) * x - R @ s``. The forward pass computes x against [x; y] in
one matmul and the prior-prior block without a gradient; the backward pass is
one more matmul. Autograd needs three (two for x x^T, one for x y^T); the MMD is
matmul-bound at batch 100 and K = 256, so this is where VIM's overhead goes.

Under ``torch.compile`` Dynamo traces both ``forward`` and ``backward`` of the
Function into the graph, so both must be traceable: no data-dependent Python
control flow, and no in-place write through a view of a view (AOTAutograd
cannot functionalize a mutation of an ``as_strided`` view chain,
pytorch/pytorch#104505). The backward only writes to a fresh tensor's own diagonal.
"""

from __future__ import annotations

from typing import Any

import torch

from vimax.objectives.divergences import KERNELS, mmd_kernel_scale, squared_distances

__all__ = ["mmd_to_prior_sample"]


def _kernel_and_slope(sq_dist: torch.Tensor, kernel: str, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """k(d) and dk/dd for the kernels of :data:`~vimax.objectives.divergences.KERNELS`."""
    k = KERNELS[kernel](sq_dist, scale)
    if kernel == "imq":  # C / (C + d): slope -C / (C + d)^2 = -k^2 / C
        return k, k * k * (-1.0 / scale)
    return k, k * (-1.0 / scale)  # rbf, exp(-d / C): slope -k / C


class _PriorSampleMMD(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, y: torch.Tensor, kernel: str, scale: float,
                unbiased: bool) -> torch.Tensor:
        n, m = x.shape[0], y.shape[0]
        stacked = torch.cat([x, y])  # (N+M, K)
        sq = stacked.pow(2).sum(-1)  # (N+M,)
        k, slope = _kernel_and_slope(squared_distances(x, stacked, sq[:n], sq), kernel, scale)  # (N, N+M)
        k_yy = KERNELS[kernel](squared_distances(y, y, sq[n:], sq[n:]), scale)  # (M, M)
        k_xx, k_xy = k[:, :n], k[:, n:]
        if unbiased:  # the diagonals are k(a, a) = 1 for both kernels: leave them out exactly
            xx = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1))
            yy = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
        else:
            xx, yy = k_xx.mean(), k_yy.mean()
        ctx.save_for_backward(x, stacked, slope)
        ctx.weights = (1.0 / (n * (n - 1)) if unbiased else 1.0 / (n * n), -2.0 / (n * m), unbiased)
        return xx + yy - 2.0 * k_xy.mean()

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, stacked, slope = ctx.saved_tensors
        a, b, unbiased = ctx.weights
        n, m = x.shape[0], stacked.shape[0] - x.shape[0]
        # column weights [4a, ..., 4a | 2b, ..., 2b] (N+M,): one broadcast product instead of writes into
        # column slices
        weights = torch.cat([slope.new_full((n,), 4.0 * a), slope.new_full((m,), 2.0 * b)])  # (N+M,)
        r = slope * weights  # (N, N+M)
        if unbiased:
            # the x-x diagonal (i, i), i < N, is r's own main diagonal, a view of r itself; zeroing it through
            # r[:, :n] (a view of a view) is what torch.compile's functionalization refuses
            r.diagonal().zero_()
        grad_x = r.sum(1, keepdim=True) * x - r @ stacked  # (N, K)
        return grad_x * grad_output, None, None, None, None


def mmd_to_prior_sample(x: torch.Tensor, y: torch.Tensor, kernel: str = "imq", scale: float | None = None,
                        unbiased: bool = True) -> torch.Tensor:
    """Squared MMD between posterior samples x (N, K) and prior samples y (M, K), gradient for x only.

    The same value as :func:`~vimax.objectives.divergences.mmd` (same arguments
    and defaults: kernel constant C = K); ``y`` gets no gradient and the result
    cannot be differentiated twice.
    """
    c = mmd_kernel_scale(x, y, kernel, scale, unbiased)
    return _PriorSampleMMD.apply(x, y.detach(), kernel, c, unbiased)
