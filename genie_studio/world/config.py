"""Architecture configurations of the three components (serialised into a model's config.json)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields


class ConfigError(ValueError):
    """A model configuration that this version cannot build."""


# Every field a config.json may set, with the values this version builds (a hostile or damaged file
# gets a ConfigError before any module is made): ints in lo..hi, sizes as [h, w] of such ints,
# floats in lo..hi, bools, or one of a few words. The bounds are far above any model we train.
_INTS = {"patch": (1, 64), "dec_patch": (1, 64), "dim": (1, 8192), "enc_depth": (0, 128), "dec_depth": (0, 128),
         "depth": (1, 128), "heads": (1, 256), "codebook": (2, 1 << 20), "vocab": (2, 1 << 20), "latent": (1, 8192),
         "conv_width": (1, 4096), "num_actions": (1, 1024), "context": (1, 4096)}
_SIZES = {"image_size": (1, 8192), "tokens_hw": (1, 1024)}
_FLOATS = {"motion_weight": (0.0, 1e6), "context_noise": (0.0, 1.0), "diversity": (0.0, 100.0)}
_WORDS = {"arch": ("vit", "conv"), "decoder": ("conv", "transformer"), "history": ("none", "frame", "rows")}


def _check_field(cls: str, name: str, v) -> None:
    def bad(what):
        raise ConfigError(f"{cls}.{name} must be {what}, not {v!r}"[:300])

    def is_int(x):
        return isinstance(x, int) and not isinstance(x, bool)

    if name in _INTS:
        lo, hi = _INTS[name]
        if not (is_int(v) and lo <= v <= hi):
            bad(f"an integer in {lo}..{hi}")
    elif name in _SIZES:
        lo, hi = _SIZES[name]
        if not (isinstance(v, (tuple, list)) and len(v) == 2 and all(is_int(x) and lo <= x <= hi for x in v)):
            bad(f"[height, width], integers in {lo}..{hi}")
    elif name in _FLOATS:
        lo, hi = _FLOATS[name]
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi):
            bad(f"a number in {lo:g}..{hi:g}")
    elif name in _WORDS:
        if v not in _WORDS[name]:
            raise ConfigError(f"{cls}: unknown {name} {str(v)[:40]!r} (this version builds {', '.join(_WORDS[name])})")
    elif isinstance(v, bool) is False:
        bad("true or false")


@dataclass
class _Config:
    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        """Raise ConfigError naming the first field this version cannot build from."""
        name = type(self).__name__
        for f in fields(self):
            _check_field(name, f.name, getattr(self, f.name))
        dim, heads = getattr(self, "dim", 1), getattr(self, "heads", 1)
        if dim % heads:
            raise ConfigError(f"{name}: dim {dim} is not a multiple of heads {heads}")
        size, patch = getattr(self, "image_size", None), getattr(self, "patch", 1)
        for p in (patch, getattr(self, "dec_patch", patch)):
            if size is not None and (size[0] % p or size[1] % p):
                raise ConfigError(f"{name}: image_size {list(size)} is not a multiple of the patch {p}")

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
            cfg = cls(**kw)
        except TypeError as e:
            raise ConfigError(f"{cls.__name__}: {e}") from None
        cfg.validate()
        return cfg


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
    diversity: float = 0.0  # weight of the code-usage spread term (quantize.py): 0 = off
    center: bool = False  # normalise the latents with running batch statistics before quantizing (lam.py)
    history: str = "none"  # what the conv decoder sees of x_{t-1}: "none", the "frame", or its "rows" (lam.py)


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
    draft: bool = False  # copy-first: trained to edit the scrolled previous frame, with a camera head
