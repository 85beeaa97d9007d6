"""Metrics: PSNR, SSIM, normalised mutual information, best one-to-one mapping accuracy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F


def psnr(a, b, peak: float = 1.0) -> float:
    """PSNR in dB between two images/batches with values in [0, peak]."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    mse = float(np.mean((a - b) ** 2))
    return 99.0 if mse <= 1e-12 else 10 * math.log10(peak * peak / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004; 11x11 Gaussian window, sigma 1.5) over a batch [..., H, W, C] in [0, 1],
    computed per channel and averaged."""
    x = torch.as_tensor(np.asarray(a, dtype=np.float32)).reshape(-1, *a.shape[-3:]).permute(0, 3, 1, 2)
    y = torch.as_tensor(np.asarray(b, dtype=np.float32)).reshape(-1, *b.shape[-3:]).permute(0, 3, 1, 2)
    C = x.shape[1]
    g = torch.exp(-((torch.arange(11, dtype=torch.float32) - 5) ** 2) / (2 * 1.5**2))
    g = g / g.sum()
    w = (g[:, None] * g[None, :]).expand(C, 1, 11, 11).contiguous()

    def blur(t):
        return F.conv2d(t, w, groups=C)

    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())


def _contingency(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a_vals, a_idx = np.unique(a, return_inverse=True)
    b_vals, b_idx = np.unique(b, return_inverse=True)
    m = np.zeros((len(a_vals), len(b_vals)))
    np.add.at(m, (a_idx, b_idx), 1)
    return m


def nmi(a, b) -> float:
    """Normalised mutual information (arithmetic mean normalisation), 0..1."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    m = _contingency(a, b) / len(a)
    pa, pb = m.sum(1), m.sum(0)
    nz = m > 0
    mi = float((m[nz] * np.log(m[nz] / (pa[:, None] * pb[None, :])[nz])).sum())
    ha = -float((pa[pa > 0] * np.log(pa[pa > 0])).sum())
    hb = -float((pb[pb > 0] * np.log(pb[pb > 0])).sum())
    denom = (ha + hb) / 2
    return 0.0 if denom <= 0 else mi / denom


def mapping_accuracy(pred, true) -> tuple[float, dict]:
    """Best one-to-one mapping from predicted clusters to true labels (exhaustive search; the sets are
    small). Returns (accuracy, {pred: true})."""
    pred, true = np.asarray(pred).ravel(), np.asarray(true).ravel()
    p_vals, t_vals = np.unique(pred), np.unique(true)
    m = _contingency(pred, true)
    best, best_map = -1.0, {}
    if len(p_vals) <= len(t_vals):
        for perm in itertools.permutations(range(len(t_vals)), len(p_vals)):
            s = sum(m[i, j] for i, j in enumerate(perm))
            if s > best:
                best, best_map = s, {int(p_vals[i]): int(t_vals[j]) for i, j in enumerate(perm)}
    else:
        for perm in itertools.permutations(range(len(p_vals)), len(t_vals)):
            s = sum(m[i, j] for j, i in enumerate(perm))
            if s > best:
                best, best_map = s, {int(p_vals[i]): int(t_vals[j]) for j, i in enumerate(perm)}
    return best / max(1, len(pred)), best_map
