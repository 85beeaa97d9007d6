"""MaskGIT iterative decoding of one frame (Chang et al. 2022, as used by Genie).

Start fully masked; at each of ``steps`` iterations sample every masked token, keep the most
confident ones and re-mask the rest following a cosine schedule, so that after the last iteration
every token is known.

Sampling draws one uniform number per token and row from that row's ``torch.Generator`` and inverts
the token's cumulative distribution (:func:`sample_tokens`), so a session gives the same frames
whether it is stepped alone or batched with others, and the sampling itself is plain tensor work
that the compiled frame step does in the same graph as the model (session/compiled.py). The
confidence of a sampled token is its probability at temperature 1.

:func:`decode_edits` is the copy-first variant for a model trained on drafts: it starts from a draft
(the previous frame scrolled, masked where unknown) instead of a blank frame. Each pass, the candidates
are the masked tokens and the draft tokens the model would change with confidence above ``EDIT_CONF``;
the most confident of them are committed following the same cosine schedule and the others masked, so
the frame keeps what the model is content with and regenerates only what moves.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

EDIT_CONF = 0.5  # decode_edits: a visible draft token is changed only when the model is this sure


def uniforms(batch_shape: tuple[int, ...], generators: list[torch.Generator], device) -> torch.Tensor:
    """One row of U(0, 1) numbers per generator: [len(generators), *batch_shape]."""
    return torch.stack([torch.rand(batch_shape, generator=g) for g in generators]).to(device)


def sample_tokens(logits: torch.Tensor, u: torch.Tensor, temperature: torch.Tensor):
    """logits [B, S, V], u [B, S] in [0, 1), temperature: a 0-d tensor (<= 0: argmax)
    -> (tokens [B, S], confidence [B, S])."""
    logits = logits.float()
    probs = torch.softmax(logits, -1)
    t = temperature.float().clamp_min(1e-6)
    cdf = torch.cumsum(torch.softmax(logits / t, -1), -1)
    drawn = (cdf < u[..., None] * cdf[..., -1:]).sum(-1).clamp_max(logits.shape[-1] - 1)
    tokens = torch.where(temperature > 0, drawn, logits.argmax(-1))
    return tokens, probs.gather(-1, tokens[..., None])[..., 0]


@torch.no_grad()
def decode_frame(predict: Callable[[torch.Tensor, int, torch.Tensor], tuple[torch.Tensor, torch.Tensor]], batch: int,
                 num_tokens: int, mask_id: int, steps: int, generators: list[torch.Generator],
                 device="cpu") -> torch.Tensor:
    """``predict(tokens [B, S], iteration, u [B, S]) -> (sampled [B, S], confidence [B, S])`` (for
    example :func:`sample_tokens` on the model's logits); returns tokens [B, S]."""
    steps = max(1, int(steps))
    cur = torch.full((batch, num_tokens), mask_id, dtype=torch.long, device=device)
    known = torch.zeros(batch, num_tokens, dtype=torch.bool, device=device)
    for i in range(steps):
        sampled, conf = predict(cur, i, uniforms((num_tokens,), generators, device))[:2]
        conf = conf.float().masked_fill(known, float("inf"))
        n_masked = int(math.floor(num_tokens * math.cos(math.pi / 2 * (i + 1) / steps)))
        new_known = torch.ones_like(known)
        if n_masked > 0:
            lowest = torch.topk(conf, n_masked, dim=-1, largest=False).indices
            new_known.scatter_(1, lowest, False)
        cur = torch.where(known, cur, torch.where(new_known, sampled, torch.full_like(cur, mask_id)))
        known = new_known
    return cur


@torch.no_grad()
def decode_edits(predict: Callable, draft: torch.Tensor, mask_id: int, steps: int, generators: list[torch.Generator],
                 first: int = 0) -> torch.Tensor:
    """Edit ``draft`` [B, S] (``mask_id`` where unknown) in ``steps`` passes of ``predict`` (as in
    :func:`decode_frame`, its iterations numbered from ``first``) -> tokens [B, S]."""
    steps = max(1, int(steps))
    cur = draft.clone()
    B, S = cur.shape
    for i in range(steps):
        sampled, conf = predict(cur, first + i, uniforms((S,), generators, cur.device))[:2]
        masked = cur == mask_id
        cand = masked | ((sampled != cur) & (conf.float() > EDIT_CONF))
        keep = 1.0 - math.cos(math.pi / 2 * (i + 1) / steps)  # share of the candidates committed by now
        score = conf.float().masked_fill(~cand, float("-inf"))
        n_cand = cand.sum(-1)
        n_keep = torch.ceil(n_cand.float() * keep).long()
        rank = torch.argsort(torch.argsort(score, dim=-1, descending=True), dim=-1)
        commit = cand & (rank < n_keep[:, None])
        cur = torch.where(commit, sampled, torch.where(cand, torch.full_like(cur, mask_id), cur))
    return cur
