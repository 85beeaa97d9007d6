"""Architecture configurations of the three components (serialised into a model's config.json)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


class ConfigError(ValueError):
    """A model configuration that this version cannot build."""


@dataclass
class _Config:
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        if not isinstance(d, dict):
            raise ConfigError(f"{cls.__name__}: expected an object, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"{cls.__name__}: unknown keys {sorted(unknown)} (made by a newer version?)")
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        try:
            return cls(**kw)
        except TypeError as e:
            raise ConfigError(f"{cls.__name__}: {e}") from None


@dataclass
class TokenizerConfig(_Config):
    image_size: tuple[int, int] = (64, 64)
    patch: int = 4
    dim: int = 128
    enc_depth: int = 4
    dec_depth: int = 4
    heads: int = 4
    codebook: int = 512
    latent: int = 32
    temporal: bool = True
    arch: str = "vit"  # "vit" (ST-ViViT VQ-VAE) or "conv" (shift-equivariant conv VQ-VAE, single frames)
    conv_width: int = 64  # channels of the conv tokenizer's first stage

    @property
    def tokens_hw(self) -> tuple[int, int]:
        return self.image_size[0] // self.patch, self.image_size[1] // self.patch


@dataclass
class LAMConfig(_Config):
    image_size: tuple[int, int] = (64, 64)
    patch: int = 8  # encoder patch
    dec_patch: int = 4  # transformer decoder patch (scrolling is aligned to 4 px)
    decoder: str = "conv"  # "conv" (local, learns shifts fast) or "transformer"
    conv_width: int = 32
    dim: int = 128
    enc_depth: int = 4
    dec_depth: int = 4
    heads: int = 4
    num_actions: int = 8
    latent: int = 16
    motion_weight: float = 10.0  # extra loss weight on pixels that change between frames


@dataclass
class DynamicsConfig(_Config):
    vocab: int = 512
    num_actions: int = 8
    tokens_hw: tuple[int, int] = (16, 16)
    dim: int = 256
    depth: int = 6
    heads: int = 8
    context: int = 8  # frames seen in training; play slides a window of this many frames
    action_add: bool = False  # also add the action embedding to every token of its frame
    context_noise: float = 0.0  # training only: up to this share of clean context tokens is resampled
