"""The view's scroll in token columns: measured between two frames' tokens, and applied to a frame.

Our game scrolls by whole token columns (4-unit camera steps, 4x4-px patches, a shift-equivariant
tokenizer), so the previous frame moved by the scroll is almost the next frame: the copy-first
design (docs/world-is-the-drawing.md) builds on these two operations. Everything here is learned from
video alone: the scroll is read from the tokens, never from labels.
"""

from __future__ import annotations

import numpy as np
import torch

MAX_SHIFT = 1  # token columns a frame; the training camera moves at most one (data/platformer.camera_x)


def column_shift(a: torch.Tensor, b: torch.Tensor, max_shift: int = MAX_SHIFT) -> torch.Tensor:
    """The column shift s per frame (``b[..., x] ~ a[..., x + s]``: the view moved s columns right)
    that makes the most tokens of ``b`` equal to ``a``'s, as a share of the overlap; ties go to the
    smallest |s|. a, b [..., h, w] -> long [...]."""
    w = a.shape[-1]
    best = torch.full(a.shape[:-2], -1.0, device=a.device)
    out = torch.zeros(a.shape[:-2], dtype=torch.long, device=a.device)
    for s in sorted(range(-max_shift, max_shift + 1), key=abs):
        agree = (b[..., : w - s] == a[..., s:]) if s >= 0 else (b[..., -s:] == a[..., : w + s])
        share = agree.float().mean((-2, -1))
        better = share > best + 1e-9
        best = torch.where(better, share, best)
        out = torch.where(better, torch.full_like(out, s), out)
    return out


def shift_cols(a: torch.Tensor | np.ndarray, s: int, fill):
    """[..., h, w] moved so that out[..., x] = a[..., x + s] (the view moved ``s`` columns right); the
    columns that enter the view hold ``fill``."""
    if s == 0:
        return a.clone() if isinstance(a, torch.Tensor) else a.copy()
    out = a.new_full(a.shape, fill) if isinstance(a, torch.Tensor) else np.full_like(a, fill)
    w = a.shape[-1]
    if abs(s) >= w:
        return out
    if s > 0:
        out[..., : w - s] = a[..., s:]
    else:
        out[..., -s:] = a[..., : w + s]
    return out


def scrolled(prev: torch.Tensor, shift: torch.Tensor, revealed: torch.Tensor) -> torch.Tensor:
    """The draft of the next frame: ``prev`` [N, h, w] moved by ``shift`` [N] columns each, with the
    columns that enter the view taken from ``revealed`` [N, h, w] (the level's memory, or the truth
    in training)."""
    out = revealed.clone()
    for s in shift.unique().tolist():
        rows = shift == s
        moved = shift_cols(prev[rows], int(s), -1)
        out[rows] = torch.where(moved >= 0, moved, revealed[rows])
    return out
