"""MaskGIT iterative decoding of one frame (Chang et al. 2022, as used by Genie).

Start fully masked; at each of ``steps`` iterations sample every masked token, keep the most
confident ones and re-mask the rest following a cosine schedule, so that after the last iteration
every token is known. Sampling uses one ``torch.Generator`` per batch row, so a session gives the
same frames whether it is stepped alone or batched with others.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


def gumbel_like(shape: tuple[int, ...], generators: list[torch.Generator], device) -> torch.Tensor:
    rows = [torch.rand(shape, generator=g) for g in generators]
    u = torch.stack(rows).to(device).clamp_(1e-9, 1 - 1e-9)
    return -torch.log(-torch.log(u))


@torch.no_grad()
def decode_frame(logits_fn: Callable[[torch.Tensor, int], torch.Tensor], batch: int, num_tokens: int,
                 mask_id: int, steps: int, temperature: float, generators: list[torch.Generator],
                 device="cpu") -> torch.Tensor:
    """``logits_fn(tokens [B, S], iteration) -> logits [B, S, V]``; returns tokens [B, S]."""
    steps = max(1, int(steps))
    cur = torch.full((batch, num_tokens), mask_id, dtype=torch.long, device=device)
    known = torch.zeros(batch, num_tokens, dtype=torch.bool, device=device)
    for i in range(steps):
        logits = logits_fn(cur, i).float()
        if temperature > 0:
            g = gumbel_like(tuple(logits.shape[1:]), generators, device)
            sampled = torch.argmax(logits / temperature + g, dim=-1)
        else:
            sampled = torch.argmax(logits, dim=-1)
        conf = torch.softmax(logits, -1).gather(-1, sampled[..., None])[..., 0]
        conf = conf.masked_fill(known, float("inf"))
        n_masked = int(math.floor(num_tokens * math.cos(math.pi / 2 * (i + 1) / steps)))
        new_known = torch.ones_like(known)
        if n_masked > 0:
            lowest = torch.argsort(conf, dim=-1)[:, :n_masked]
            new_known.scatter_(1, lowest, False)
        cur = torch.where(known, cur, torch.where(new_known, sampled, torch.full_like(cur, mask_id)))
        known = new_known
    return cur
