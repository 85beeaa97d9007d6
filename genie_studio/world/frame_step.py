"""One frame through the dynamics model at a fixed shape: the inference step that play runs.

Training and full recomputation run :class:`~genie_studio.world.dynamics.Dynamics` over whole clips.
Play needs something else: one frame's tokens at a time, attending to the temporal keys and values
of the frames before it. :class:`FrameStep` does exactly that with shapes that never change:

* the cache always has ``slots`` frame slots (``context - 1``): a row's first ``filled`` slots hold
  its past frames, the rest are masked out, so a session's first frames and the thousandth frame run
  the same graph, and rows whose windows are filled to different depths share one batch;
* the frame sits at temporal position ``filled`` (rotary positions count from the window's start, as
  in training); cached keys are kept unrotated and rotated here from a precomputed table;
* temporal attention has one query per row, so it is element-wise work over ``slots + 1`` keys
  instead of tens of thousands of 1-row matmuls.

The math is that of ``Dynamics.forward`` for the last frame of a clip (the spatial pass, causal
temporal attention, the MLP, the head), followed by MaskGIT's sampling of the frame's tokens so that
the compiled graph returns tokens instead of logits; :mod:`tests.world.test_frame_step` checks the
two against each other. A fixed shape is what lets ``session/compiled.py`` compile it once per machine.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from genie_studio.world.dynamics import Dynamics
from genie_studio.world.layers import attend, rope_table, rotate
from genie_studio.world.maskgit import sample_tokens
from genie_studio.world.scroll import MAX_SHIFT


class FrameStep(nn.Module):
    def __init__(self, dynamics: Dynamics, slots: int | None = None):
        super().__init__()
        self.dyn = dynamics
        cfg = dynamics.cfg
        self.slots = int(slots if slots is not None else cfg.context - 1)
        self.heads, self.dh = cfg.heads, cfg.dim // cfg.heads
        cos, sin = rope_table(0, self.slots + 1, self.dh)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def cache_shape(self, batch: int) -> tuple[int, ...]:
        """keys or values: [layers, batch * (tokens + 1), heads, slots, head dim]"""
        return (self.dyn.cfg.depth, batch * (self.dyn.S + 1), self.heads, self.slots, self.dh)

    def forward(self, tokens: torch.Tensor, actions: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                filled: torch.Tensor, u: torch.Tensor, temperature: torch.Tensor):
        """tokens [B, S] (mask_id where masked), actions [B] (the action that led to this frame),
        keys/values as :meth:`cache_shape`, filled [B] (past frames per row, 0..slots-1), u [B, S] and
        temperature (0-d) for :func:`~genie_studio.world.maskgit.sample_tokens`
        -> sampled tokens [B, S], their confidence [B, S], this frame's keys and values
        [layers, B * (S + 1), heads, head dim], and the camera head's logits of the scroll [B, shifts]
        (a copy-first model's, ``Dynamics(draft=True)``; zeros for other models)."""
        h, k, v = self.hidden(tokens, actions, keys, values, filled)
        sampled, conf = sample_tokens(self.dyn.head(h[:, 1:]), u, temperature)
        dyn = self.dyn
        camera = dyn.camera(h[:, 0]) if dyn.cfg.draft else h.new_zeros(h.shape[0], 2 * MAX_SHIFT + 1)
        return sampled, conf, k, v, camera

    def logits(self, tokens: torch.Tensor, actions: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
               filled: torch.Tensor):
        """The same pass up to the logits [B, S, vocab] (and the frame's keys and values)."""
        h, k, v = self.hidden(tokens, actions, keys, values, filled)
        return self.dyn.head(h[:, 1:]), k, v

    def hidden(self, tokens: torch.Tensor, actions: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
               filled: torch.Tensor):
        """The transformer's normalised output [B, 1 + S, dim] (the action token first) and the frame's
        keys and values."""
        dyn = self.dyn
        B, Sp, D = tokens.shape[0], dyn.S + 1, dyn.cfg.dim
        act = dyn.act_emb(actions)[:, None]
        tok = dyn.tok_emb(tokens)
        if dyn.cfg.action_add:
            tok = tok + act
        x = torch.cat([act, tok], dim=1) + dyn.pos[0]

        rows = filled.repeat_interleave(Sp)  # [R]: each token row of a frame shares its frame's depth
        cos_q, sin_q = self.cos[rows][:, None], self.sin[rows][:, None]  # [R, 1, dh/2]
        cos_k, sin_k = self.cos[: self.slots][None, None], self.sin[: self.slots][None, None]
        empty = torch.arange(self.slots, device=tokens.device)[None, None] >= rows[:, None, None]
        scale = 1.0 / math.sqrt(self.dh)
        new_k, new_v = [], []
        for i, blk in enumerate(dyn.transformer.blocks):
            q, k, v = blk.attn_s.qkv_heads(blk.norm_s(x))
            x = x + blk.attn_s.merge(attend(q, k, v))
            q, k, v = blk.attn_t.qkv_heads(blk.norm_t(x).reshape(B * Sp, 1, D))
            q, k, v = q[:, :, 0], k[:, :, 0], v[:, :, 0]  # [R, H, dh]
            new_k.append(k)
            new_v.append(v)
            qr = rotate(q.float(), cos_q, sin_q) * scale
            past = (qr[:, :, None] * rotate(keys[i].float(), cos_k, sin_k)).sum(-1)  # [R, H, slots]
            past = past.masked_fill(empty, float("-inf"))
            own = (qr * rotate(k.float(), cos_q, sin_q)).sum(-1, keepdim=True)  # [R, H, 1]
            top = torch.maximum(past.amax(-1, keepdim=True), own)
            e_past, e_own = (past - top).exp(), (own - top).exp()
            y = ((e_past[..., None] * values[i].float()).sum(2) + e_own * v.float()) / (e_past.sum(-1, keepdim=True)
                                                                                      + e_own)
            x = x + blk.attn_t.out(y.to(x.dtype).reshape(B, Sp, D))
            x = x + blk.mlp(blk.norm_m(x))
        return dyn.transformer.norm(x), torch.stack(new_k), torch.stack(new_v)


__all__ = ["FrameStep"]
