"""Latent action model (Genie s2.2): infers a discrete action between frames without labels.

The encoder is a causal ST transformer over the pixel patches of x_1..x_{t+1} with one learned
summary token per frame; the summary of frame t+1 (which sees x_1..x_{t+1}) is projected, normalised
and quantized to one of ``num_actions`` codes: a_t. The decoder predicts x_{t+1} from x_t and a_t.

Deviation from the paper, from our measurements (../shared/FINDINGS.md, "LAM collapse"): the decoder
sees only the current frame x_t, not the whole history x_1..x_t. With history, a decoder of a game
whose agent holds actions for several frames predicts the next motion from the past motion and ignores
the latent, and ~99% of samples collapse onto one code. Without history, the code is the only source
of the motion. The reconstruction loss is also weighted toward pixels that change between frames, so
the few pixels that move (the player, the scrolled edges) are not drowned by the static background.

Without history, the code must also say how fast the player falls or rises, which x_t does not show:
a measured LAM split "noop" over three codes by vertical motion (issue #25). ``history`` shows the
conv decoder some of x_{t-1}: ``"frame"``, all of it (velocity, and with it the horizontal motion
to continue: the codes collapse, measured); ``"rows"``, only the mean colour of each row of x_{t-1}
and of x_t, broadcast along the row: where things rise or fall, nothing of which way they go
sideways. The first pair of a clip sees x_t as its frame before (no motion).

``center`` normalises the latents with running batch statistics before the quantizer. Without it, a run
on this CPU collapsed for good: after 200 steps every latent of a batch had cosine 0.99999 with every
other (the summary token's constant part dominates at initialisation, the commitment loss pulls all of
them onto one code, and neither dead-code resets nor a diversity term can break an exact tie).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genie_studio.world.config import ConfigError, LAMConfig
from genie_studio.world.layers import STTransformer, init_weights, patchify, unpatchify
from genie_studio.world.quantize import VectorQuantizer


class ConvDecoder(nn.Module):
    """Predicts the change from x_t to x_{t+1} with residual 5x5 convolutions over the frame and the
    action latent broadcast to every pixel: local operations learn the scroll and the player's motion
    in a few hundred steps, where a transformer decoder barely starts (measured)."""

    def __init__(self, latent: int, width: int, depth: int, frames: int = 1):
        super().__init__()
        self.inp = nn.Conv2d(3 * frames + latent, width, 3, padding=1)
        self.blocks = nn.ModuleList(nn.Conv2d(width, width, 5, padding=2) for _ in range(depth))
        self.out = nn.Conv2d(width, 3, 3, padding=1)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """x [N, H, W, 3 * frames] in [-1, 1] (x_t last), z [N, latent] -> delta [N, H, W, 3]"""
        N, H, W, _ = x.shape
        h = torch.cat([x.permute(0, 3, 1, 2), z[:, :, None, None].expand(-1, -1, H, W).to(x.dtype)], 1)
        h = F.gelu(self.inp(h))
        for conv in self.blocks:
            h = h + F.gelu(conv(h))
        return self.out(h).permute(0, 2, 3, 1)


class RunningNorm(nn.Module):
    """Batch normalisation without a scale or shift (``BatchNorm1d(affine=False)``'s arithmetic) whose
    state is float tensors only, as a model file's must be (world/bundle.py): batch statistics in
    training, running ones otherwise."""

    def __init__(self, dim: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.register_buffer("running_mean", torch.zeros(dim))
        self.register_buffer("running_var", torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [N, dim]"""
        if self.training and x.shape[0] > 1:
            mean, var = x.mean(0), x.var(0, unbiased=False)
            with torch.no_grad():
                n = x.shape[0]
                self.running_mean.lerp_(mean.detach(), self.momentum)
                self.running_var.lerp_(var.detach() * n / (n - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / torch.sqrt(var + self.eps)


class LatentActionModel(nn.Module):
    def __init__(self, cfg: LAMConfig):
        super().__init__()
        self.cfg = cfg
        H, W = cfg.image_size
        S = (H // cfg.patch) * (W // cfg.patch)
        S_dec = (H // cfg.dec_patch) * (W // cfg.dec_patch)
        pdim, pdim_dec = cfg.patch * cfg.patch * 3, cfg.dec_patch * cfg.dec_patch * 3
        self.enc_in = nn.Linear(pdim, cfg.dim)
        self.enc_pos = nn.Parameter(torch.zeros(1, 1, S + 1, cfg.dim))
        self.summary = nn.Parameter(torch.zeros(1, 1, 1, cfg.dim))
        self.encoder = STTransformer(cfg.dim, cfg.enc_depth, cfg.heads, temporal=True)
        self.enc_out = nn.Linear(cfg.dim, cfg.latent)
        # centre: what the latents share (the summary token's constant part) is removed with running
        # statistics, so their directions on the code sphere are what differs between frame pairs
        self.center = RunningNorm(cfg.latent) if cfg.center else None
        # a dead code is found within ~40 steps (usage EMA 0.95), so a short run still resets it in time
        self.vq = VectorQuantizer(cfg.num_actions, cfg.latent, usage_decay=0.95, dead_threshold=0.02,
                                  diversity=cfg.diversity)
        if cfg.history != "none" and cfg.decoder != "conv":
            raise ConfigError("LAMConfig.history needs the conv decoder")
        if cfg.decoder == "conv":
            extra = {"none": 0, "frame": 1, "rows": 2}[cfg.history]
            self.conv_decoder = ConvDecoder(cfg.latent, cfg.conv_width, cfg.dec_depth, 1 + extra)
        else:
            self.dec_in = nn.Linear(pdim_dec, cfg.dim)
            self.dec_act = nn.Linear(cfg.latent, cfg.dim)
            self.dec_pos = nn.Parameter(torch.zeros(1, 1, S_dec, cfg.dim))
            self.decoder = STTransformer(cfg.dim, cfg.dec_depth, cfg.heads, temporal=False)
            self.dec_out = nn.Linear(cfg.dim, pdim_dec)
        init_weights(self)
        for p in (self.enc_pos, self.summary, getattr(self, "dec_pos", None)):
            if p is not None:
                nn.init.normal_(p, std=0.02)
        nn.init.zeros_(self.conv_decoder.out.weight if cfg.decoder == "conv" else self.dec_out.weight)

    def _latents(self, frames: torch.Tensor) -> torch.Tensor:
        """frames float [B, T, H, W, 3] in [0, 1] -> continuous action latents [B, T-1, latent]"""
        x = self.enc_in(patchify(frames * 2 - 1, self.cfg.patch))
        B, T = x.shape[:2]
        x = torch.cat([self.summary.expand(B, T, 1, -1), x], dim=2) + self.enc_pos
        z = self.enc_out(self.encoder(x)[:, 1:, 0])
        if self.center is not None:
            z = self.center(z.flatten(0, 1).float()).view(z.shape).to(z.dtype)
        return z

    def infer_actions(self, frames: torch.Tensor) -> torch.Tensor:
        """-> latent action indices [B, T-1] (a_t takes frame t to frame t+1)."""
        return self.vq.nearest(self._latents(frames))

    def predict(self, frame: torch.Tensor, zq: torch.Tensor, before: torch.Tensor | None = None) -> torch.Tensor:
        """frame [B, N, H, W, 3], action latents [B, N, latent] -> next frames [B, N, H, W, 3];
        ``before`` [B, N, H, W, 3]: the frames one step earlier (with ``history``; default: ``frame``)."""
        if self.cfg.decoder == "conv":
            x = (frame * 2 - 1).flatten(0, 1)
            inp = x
            if self.cfg.history != "none":
                b = ((frame if before is None else before) * 2 - 1).flatten(0, 1)
                if self.cfg.history == "rows":
                    b = torch.cat([b.mean(2, keepdim=True), x.mean(2, keepdim=True)], -1).expand(-1, -1, x.shape[2], -1)
                inp = torch.cat([b, x], -1)
            out = x + self.conv_decoder(inp, zq.flatten(0, 1))
            return (out.float().view(frame.shape) + 1) / 2
        p = patchify(frame * 2 - 1, self.cfg.dec_patch)
        x = self.dec_in(p) + self.dec_act(zq)[:, :, None] + self.dec_pos
        delta = self.dec_out(self.decoder(x))
        return (unpatchify((p + delta).float(), self.cfg.dec_patch, self.cfg.image_size) + 1) / 2

    def decode_action(self, frame: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Predict the next frame for a given action index: [B, H, W, 3], [B] -> [B, H, W, 3]."""
        return self.predict(frame[:, None], self.vq.lookup(action)[:, None])[:, 0]

    def loss(self, frames: torch.Tensor):
        z = self._latents(frames)
        zq, idx, vq_loss, stats = self.vq(z)
        before = torch.cat([frames[:, :1], frames[:, :-2]], 1) if self.cfg.history != "none" else None
        pred = self.predict(frames[:, :-1], zq, before)
        target = frames[:, 1:]
        moving = ((target - frames[:, :-1]).abs().amax(-1, keepdim=True) > 0.05).float()
        w = 1 + self.cfg.motion_weight * moving
        if self.cfg.agent_weight:
            w = w + self.cfg.agent_weight * moved_against_camera(frames[:, :-1], target)
        err = (pred - target).pow(2)
        loss = (w * err).sum() / (w.sum() * 3)
        mse = err.mean().detach()
        return loss + vq_loss, {"mse": float(mse), "psnr": float(-10 * torch.log10(mse.clamp_min(1e-10))),
                                **stats}, z


def moved_against_camera(before: torch.Tensor, after: torch.Tensor, max_shift: int = 8) -> torch.Tensor:
    """[B, N, H, W, 3] frame pairs -> [B, N, H, W, 1]: 1 where a pixel changed even after ``before`` is
    moved sideways by the shift (-max_shift..max_shift px) that best explains ``after``: what moved in the
    level (the player, enemies), not the camera. No labels: the shift is the best whole-frame agreement.
    Columns that entered the view (no pixel before them) count as still."""
    W = before.shape[-2]
    best = None
    for s in range(-max_shift, max_shift + 1):
        moved = torch.roll(before, s, dims=-2)
        diff = (after - moved).abs().amax(-1, keepdim=True)
        valid = torch.zeros(W, dtype=diff.dtype, device=diff.device)
        valid[max(s, 0):W + min(s, 0)] = 1
        diff = diff * valid[:, None]
        err = diff.mean((-3, -2, -1))  # [B, N]
        if best is None:
            best_err, best = err, diff
        else:
            better = err < best_err
            best_err = torch.where(better, err, best_err)
            best = torch.where(better[..., None, None, None], diff, best)
    return (best > 0.05).to(before.dtype)
