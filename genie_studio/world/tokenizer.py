"""Video tokenizer: an ST-ViViT VQ-VAE. Frames are cut into p x p patches, encoded by a causal ST
transformer, quantized to a codebook, and decoded by another ST transformer back to pixels."""

from __future__ import annotations

import torch
from torch import nn

from genie_studio.world.config import ConfigError, TokenizerConfig
from genie_studio.world.conv_tokenizer import ConvTokenizer
from genie_studio.world.layers import KVCache, STTransformer, init_weights, patchify, unpatchify
from genie_studio.world.quantize import VectorQuantizer, VQAutoencoder


class Tokenizer(VQAutoencoder):
    def __init__(self, cfg: TokenizerConfig):
        super().__init__()
        self.cfg = cfg
        S = cfg.tokens_hw[0] * cfg.tokens_hw[1]
        pdim = cfg.patch * cfg.patch * 3
        self.enc_in = nn.Linear(pdim, cfg.dim)
        self.enc_pos = nn.Parameter(torch.zeros(1, 1, S, cfg.dim))
        self.encoder = STTransformer(cfg.dim, cfg.enc_depth, cfg.heads, temporal=cfg.temporal)
        self.enc_out = nn.Linear(cfg.dim, cfg.latent)
        self.vq = VectorQuantizer(cfg.codebook, cfg.latent)
        self.dec_in = nn.Linear(cfg.latent, cfg.dim)
        self.dec_pos = nn.Parameter(torch.zeros(1, 1, S, cfg.dim))
        self.decoder = STTransformer(cfg.dim, cfg.dec_depth, cfg.heads, temporal=cfg.temporal)
        self.dec_out = nn.Linear(cfg.dim, pdim)
        init_weights(self)
        nn.init.normal_(self.enc_pos, std=0.02)
        nn.init.normal_(self.dec_pos, std=0.02)

    def _latents(self, frames: torch.Tensor, cache: KVCache | None = None, commit: int = 0):
        """frames: float [B, T, H, W, 3] in [0, 1]."""
        x = self.enc_in(patchify(frames * 2 - 1, self.cfg.patch)) + self.enc_pos
        return self.enc_out(self.encoder(x, cache, commit))

    def encode(self, frames: torch.Tensor, cache: KVCache | None = None, commit: int = 0) -> torch.Tensor:
        """-> token indices [B, T, S]"""
        return self.vq.nearest(self._latents(frames, cache, commit))

    def decode(self, idx: torch.Tensor, cache: KVCache | None = None, commit: int = 0) -> torch.Tensor:
        """token indices [B, T, S] -> frames float [B, T, H, W, 3] in [0, 1]"""
        return self._decode_latents(self.vq.lookup(idx), cache, commit)

    def _decode_latents(self, zq, cache=None, commit=0):
        x = self.dec_in(zq) + self.dec_pos
        out = self.dec_out(self.decoder(x, cache, commit))
        return (unpatchify(out.float(), self.cfg.patch, self.cfg.image_size) + 1) / 2

    def new_cache(self) -> tuple[KVCache, KVCache]:
        return KVCache.empty(self.cfg.enc_depth), KVCache.empty(self.cfg.dec_depth)


def make_tokenizer(cfg: TokenizerConfig) -> nn.Module:
    """The tokenizer that ``cfg.arch`` names: ``vit`` (this module) or ``conv`` (conv_tokenizer)."""
    if cfg.arch == "conv":
        return ConvTokenizer(cfg)
    if cfg.arch != "vit":
        raise ConfigError(f"TokenizerConfig: unknown arch {cfg.arch!r} (vit or conv)")
    return Tokenizer(cfg)
