"""Dynamics model (Genie s2.3): a MaskGIT ST transformer over video tokens, conditioned on latent actions.

Conditioning: each frame carries one extra spatial token holding the embedding of the latent action
that produced it (the first frame of a context gets a learned "no action" embedding). Every token of
the frame reads it through spatial attention. jasmine found an action token more faithful than
adding the action embedding to every token; it costs one token in 257. With ``action_add`` the
embedding is also added to every token: a small model trained for a few thousand steps on a CPU
learned to ignore the token alone (ΔtPSNR +1.1 dB, "left" not followed), and the direct path puts
the action into every token's first layer.

Training masks tokens with Genie's schedule: a frame's mask rate is drawn from U(0.5, 1). The first
frame is never masked, and each later frame is left clean with probability ``clean_prob``: at play
time the context is always clean, and FINDINGS ("Rollouts stall") names more clean-context training
as a cure for rollouts that freeze. With ``context_noise`` some tokens of the clean frames are
replaced by random codes (the loss still asks for the true tokens of the masked ones).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genie_studio.world.config import DynamicsConfig
from genie_studio.world.layers import KVCache, STTransformer, init_weights


class Dynamics(nn.Module):
    def __init__(self, cfg: DynamicsConfig):
        super().__init__()
        self.cfg = cfg
        self.S = cfg.tokens_hw[0] * cfg.tokens_hw[1]
        self.mask_id = cfg.vocab
        self.no_action = cfg.num_actions
        self.tok_emb = nn.Embedding(cfg.vocab + 1, cfg.dim)
        self.act_emb = nn.Embedding(cfg.num_actions + 1, cfg.dim)
        self.pos = nn.Parameter(torch.zeros(1, 1, self.S + 1, cfg.dim))
        self.transformer = STTransformer(cfg.dim, cfg.depth, cfg.heads, temporal=True)
        self.head = nn.Linear(cfg.dim, cfg.vocab)
        init_weights(self)
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, tokens: torch.Tensor, actions: torch.Tensor, cache: KVCache | None = None,
                commit: int = 0) -> torch.Tensor:
        """tokens [B, T, S] (mask_id where masked), actions [B, T] (the action that led to each frame,
        no_action for a first frame) -> logits [B, T, S, vocab]."""
        act = self.act_emb(actions)[:, :, None]
        tok = self.tok_emb(tokens)
        if self.cfg.action_add:
            tok = tok + act
        x = torch.cat([act, tok], dim=2) + self.pos
        return self.head(self.transformer(x, cache, commit)[:, :, 1:])

    def new_cache(self) -> KVCache:
        return KVCache.empty(self.cfg.depth)

    def loss(self, tokens: torch.Tensor, actions: torch.Tensor, clean_prob: float = 0.3,
             generator: torch.Generator | None = None):
        """tokens [B, T, S], actions [B, T-1] (a_t takes frame t to t+1)."""
        B, T, S = tokens.shape
        dev = tokens.device

        def rand(*shape):
            return torch.rand(*shape, generator=generator).to(dev)

        act_in = torch.cat([torch.full((B, 1), self.no_action, device=dev, dtype=torch.long), actions], 1)
        rate = 0.5 + 0.5 * rand(B, T)
        rate[rand(B, T) < clean_prob] = 0.0
        rate[:, 0] = 0.0
        rate[:, -1] = rate[:, -1].clamp_min(0.5)  # at least one frame to predict
        mask = rand(B, T, S) < rate[..., None]
        inputs = tokens.masked_fill(mask, self.mask_id)
        if self.cfg.context_noise > 0:
            # Noise on the clean context frames: a share in U(0, context_noise) of their tokens is replaced by
            # random codes, so that the model learns to repair the small errors its own rollouts feed back
            # instead of copying them forward (drift), as GameNGen does with noised context frames.
            share = self.cfg.context_noise * rand(B, T, 1)
            noisy = (rand(B, T, S) < share) & (rate[..., None] == 0)
            rnd = (rand(B, T, S) * self.cfg.vocab).long().clamp_max(self.cfg.vocab - 1)
            inputs = torch.where(noisy, rnd, inputs)
        logits = self(inputs, act_in)
        target = tokens[mask]
        picked = logits[mask]
        loss = F.cross_entropy(picked.float(), target)
        acc = float((picked.argmax(-1) == target).float().mean()) if target.numel() else 0.0
        return loss, {"acc": acc, "masked": int(mask.sum())}, None
