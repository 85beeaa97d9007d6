"""Vector quantizer with a straight-through estimator, commitment loss, usage statistics and
dead-code reset.

Latents and codes are L2-normalised before the nearest-neighbour search (cosine similarity). That
keeps every code on the same sphere as the encoder outputs, so a code reset to an encoder output is
immediately competitive, and it was what stopped the latent action model's collapse in our prototype
(../shared/FINDINGS.md, "LAM collapse").

``diversity`` > 0 adds that weight times log K - H(mean p) + mean H(p), where p is a latent's soft
assignment to the codes (cosine similarity / ``DIVERSITY_TEMPERATURE``, softmax): the mutual information
between latents and codes, subtracted from its maximum. It is zero when every latent sits clearly on one
code and the batch spreads over all of them; latents that all point the same way, or sit between codes,
pay up to 2 log K. A short run then uses its codes from the first steps, where dead-code resets alone
cannot help an encoder whose outputs all point the same way (measured: a LAM on one code for its first
160 steps, issue #25).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

DIVERSITY_TEMPERATURE = 0.1  # of the soft assignment behind the diversity term


class VectorQuantizer(nn.Module):
    def __init__(self, num_codes: int, dim: int, beta: float = 0.25, usage_decay: float = 0.99,
                 dead_threshold: float = 1e-3, diversity: float = 0.0):
        super().__init__()
        self.num_codes, self.dim, self.beta, self.diversity = num_codes, dim, beta, diversity
        self.usage_decay, self.dead_threshold = usage_decay, dead_threshold
        self.codebook = nn.Parameter(F.normalize(torch.randn(num_codes, dim), dim=-1))
        # EMA of the fraction of vectors assigned to each code (starts uniform: nothing is dead yet).
        self.register_buffer("usage", torch.full((num_codes,), 1.0 / num_codes))

    def codes(self) -> torch.Tensor:
        return F.normalize(self.codebook.float(), dim=-1)

    def lookup(self, idx: torch.Tensor) -> torch.Tensor:
        return F.embedding(idx, self.codes())

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        zf = F.normalize(z.float(), dim=-1).reshape(-1, self.dim)
        return torch.argmax(zf @ self.codes().t(), dim=-1).view(z.shape[:-1])

    def forward(self, z: torch.Tensor):
        """z: [..., dim] -> (z_q straight-through, indices, loss, stats)."""
        with torch.autocast(z.device.type, enabled=False):
            zf = F.normalize(z.float(), dim=-1)
            codes = self.codes()
            idx = torch.argmax(zf.reshape(-1, self.dim) @ codes.t(), dim=-1)
            zq = codes[idx].view_as(zf)
            codebook_loss = F.mse_loss(zq, zf.detach())
            commit_loss = F.mse_loss(zf, zq.detach())
            loss = codebook_loss + self.beta * commit_loss
            if self.diversity > 0:
                soft = torch.softmax(zf.reshape(-1, self.dim) @ codes.t() / DIVERSITY_TEMPERATURE, -1)
                mean = soft.mean(0)
                spread = -(mean * mean.clamp_min(1e-9).log()).sum()
                sharp = -(soft * soft.clamp_min(1e-9).log()).sum(-1).mean()
                loss = loss + self.diversity * (math.log(self.num_codes) - spread + sharp)
            zq_st = zf + (zq - zf).detach()
            counts = torch.bincount(idx, minlength=self.num_codes).float()
            frac = counts / counts.sum().clamp_min(1)
            if self.training:
                self.usage.mul_(self.usage_decay).add_(frac, alpha=1 - self.usage_decay)
            p = frac[frac > 0]
            stats = {
                "perplexity": float(torch.exp(-(p * p.log()).sum())),
                "codes_used": int((counts > 0).sum()),
            }
        return zq_st.to(z.dtype), idx.view(z.shape[:-1]), loss, stats

    @torch.no_grad()
    def reset_dead(self, z: torch.Tensor, generator: torch.Generator | None = None) -> int:
        """Move codes whose usage fell below the threshold onto random recent encoder outputs."""
        dead = torch.nonzero(self.usage < self.dead_threshold).flatten()
        if dead.numel() == 0:
            return 0
        zf = F.normalize(z.detach().float().reshape(-1, self.dim), dim=-1)
        pick = torch.randint(0, zf.shape[0], (dead.numel(),), generator=generator, device="cpu").to(zf.device)
        noise = 0.01 * torch.randn(dead.numel(), self.dim, generator=generator, device="cpu").to(zf.device)
        self.codebook.data[dead] = F.normalize(zf[pick] + noise, dim=-1).to(self.codebook.dtype)
        self.usage[dead] = 1.0 / self.num_codes
        return int(dead.numel())


class VQAutoencoder(nn.Module):
    """What the tokenizers share: a VQ-VAE trained on reconstruction MSE plus the quantizer's loss.
    Subclasses provide ``_latents(frames)``, ``vq`` and ``_decode_latents(zq)``."""

    vq: VectorQuantizer

    def loss(self, frames: torch.Tensor):
        """frames float [B, T, H, W, 3] in [0, 1] -> (loss, metrics, latents for code reset)."""
        z = self._latents(frames)
        zq, idx, vq_loss, stats = self.vq(z)
        recon = self._decode_latents(zq)
        mse = F.mse_loss(recon, frames)
        psnr = float(-10 * torch.log10(mse.detach().clamp_min(1e-10)))
        return mse + vq_loss, {"mse": float(mse.detach()), "psnr": psnr, **stats}, z

