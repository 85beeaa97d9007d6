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

Copy-first (``draft``, docs/world-is-the-drawing.md): a frame to predict is either *free* (fully
masked, share ``FREE_SHARE``) or a *draft*: the previous frame scrolled by the column shift read from
the tokens themselves (``world/scroll.py``, no labels), the entering columns from the truth (at play,
from the drawing), a random share of it masked. The loss asks for the true tokens where masked, where
the draft is wrong (what moved: the player, the enemies, a coin taken) and on a sample of the rest, so
the model learns to keep what stays and to correct what moves. A camera head on each frame's action
token learns the shift from free frames only (it sees the context and the action, not the answer):
at play the first MaskGIT pass, fully masked, decides the scroll, and the draft follows.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genie_studio.world.config import DynamicsConfig
from genie_studio.world.layers import KVCache, STTransformer, init_weights
from genie_studio.world.scroll import MAX_SHIFT, column_shift, scrolled

FREE_SHARE = 0.3  # draft training: share of predicted frames that are fully masked (camera loss)
KEEP_SHARE = 0.2  # draft training: share of correct, visible draft tokens the loss also asks for
CAMERA_WEIGHT = 0.5  # draft training: weight of the camera head's loss


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
        if cfg.draft:
            self.camera = nn.Linear(cfg.dim, 2 * MAX_SHIFT + 1)  # logits of the scroll -M..M
        init_weights(self)
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, tokens: torch.Tensor, actions: torch.Tensor, cache: KVCache | None = None,
                commit: int = 0) -> torch.Tensor:
        """tokens [B, T, S] (mask_id where masked), actions [B, T] (the action that led to each frame,
        no_action for a first frame) -> logits [B, T, S, vocab]."""
        return self.head(self.hidden(tokens, actions, cache, commit)[:, :, 1:])

    def hidden(self, tokens: torch.Tensor, actions: torch.Tensor, cache: KVCache | None = None,
               commit: int = 0) -> torch.Tensor:
        """The transformer's output [B, T, 1 + S, dim]: each frame's action token, then its tokens."""
        act = self.act_emb(actions)[:, :, None]
        tok = self.tok_emb(tokens)
        if self.cfg.action_add:
            tok = tok + act
        x = torch.cat([act, tok], dim=2) + self.pos
        return self.transformer(x, cache, commit)

    def new_cache(self) -> KVCache:
        return KVCache.empty(self.cfg.depth)

    def loss(self, tokens: torch.Tensor, actions: torch.Tensor, clean_prob: float = 0.3,
             generator: torch.Generator | None = None):
        """tokens [B, T, S], actions [B, T-1] (a_t takes frame t to t+1)."""
        if self.cfg.draft:
            return self._draft_loss(tokens, actions, clean_prob, generator)
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
        inputs = self._context_noise(inputs, rate == 0, rand)
        logits = self(inputs, act_in)
        target = tokens[mask]
        picked = logits[mask]
        loss = F.cross_entropy(picked.float(), target)
        acc = float((picked.argmax(-1) == target).float().mean()) if target.numel() else 0.0
        return loss, {"acc": acc, "masked": int(mask.sum())}, None

    def _context_noise(self, inputs: torch.Tensor, clean: torch.Tensor, rand) -> torch.Tensor:
        """Noise on the clean context frames (``clean`` [B, T]): a share in U(0, context_noise) of their tokens
        is replaced by random codes, so that the model learns to repair the small errors its own rollouts feed
        back instead of copying them forward (drift), as GameNGen does with noised context frames."""
        if self.cfg.context_noise <= 0:
            return inputs
        B, T, S = inputs.shape
        share = self.cfg.context_noise * rand(B, T, 1)
        noisy = (rand(B, T, S) < share) & clean[..., None]
        rnd = (rand(B, T, S) * self.cfg.vocab).long().clamp_max(self.cfg.vocab - 1)
        return torch.where(noisy, rnd, inputs)

    def _draft_loss(self, tokens: torch.Tensor, actions: torch.Tensor, clean_prob: float,
                    generator: torch.Generator | None):
        B, T, S = tokens.shape
        dev = tokens.device

        def rand(*shape):
            return torch.rand(*shape, generator=generator).to(dev)

        act_in = torch.cat([torch.full((B, 1), self.no_action, device=dev, dtype=torch.long), actions], 1)
        grid = tokens.view(B, T, *self.cfg.tokens_hw)
        shift = column_shift(grid[:, :-1], grid[:, 1:])  # [B, T-1]
        draft = scrolled(grid[:, :-1].flatten(0, 1), shift.flatten(), grid[:, 1:].flatten(0, 1)).view(B, T - 1, S)
        clean = rand(B, T) < clean_prob
        clean[:, 0], clean[:, -1] = True, False
        free = ~clean & (rand(B, T) < FREE_SHARE)
        drafted = ~clean & ~free
        inputs = tokens.clone()
        inputs[:, 1:] = torch.where(drafted[:, 1:, None], draft, tokens[:, 1:])
        rate = torch.where(free, torch.ones(B, T, device=dev), rand(B, T))
        rate = torch.where(clean, torch.zeros_like(rate), rate)
        mask = rand(B, T, S) < rate[..., None]
        inputs = self._context_noise(inputs, clean, rand)
        wrong = drafted[..., None] & ~mask & (inputs != tokens)
        keep = drafted[..., None] & ~mask & ~wrong & (rand(B, T, S) < KEEP_SHARE)
        inputs = inputs.masked_fill(mask, self.mask_id)
        h = self.hidden(inputs, act_in)
        logits = self.head(h[:, :, 1:])
        asked = mask | wrong | keep
        target, picked = tokens[asked], logits[asked]
        loss = F.cross_entropy(picked.float(), target)
        stats = {"acc": float((picked.argmax(-1) == target).float().mean()) if target.numel() else 0.0,
                 "masked": int(mask.sum())}
        if wrong.any():
            stats["fix_acc"] = float((logits[wrong].argmax(-1) == tokens[wrong]).float().mean())
        # the camera head learns on free frames only; every frame runs it so that each step uses every weight
        cam = self.camera(h[:, 1:, 0]).float()  # [B, T-1, shifts]
        ce = F.cross_entropy(cam.flatten(0, 1), (shift + MAX_SHIFT).flatten(), reduction="none")
        on = free[:, 1:].flatten().float()
        loss = loss + CAMERA_WEIGHT * (ce * on).sum() / on.sum().clamp_min(1.0)
        if on.any():
            right = (cam.argmax(-1) == shift + MAX_SHIFT).flatten().float()
            stats["camera_acc"] = float((right * on).sum() / on.sum())
        return loss, stats, None
