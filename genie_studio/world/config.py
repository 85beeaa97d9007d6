"""Architecture configurations of the three components (serialised into a model's config.json), and what
each one implies of a weights file: ``cfg.state_shapes()``, the exact names and shapes of the module's
tensors (its ``state_dict``), computed from the config alone so that a model folder is checked against its
safetensors headers before any module is built (world/bundle.py). tests/world/test_state_shapes.py holds
each formula to the real modules' ``state_dict`` for many configs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields


class ConfigError(ValueError):
    """A model configuration that this version cannot build."""


Shapes = dict[str, tuple[int, ...]]  # tensor name -> shape, a module's state_dict as a config implies it


def _linear(shapes: Shapes, name: str, n_in: int, n_out: int, bias: bool = True) -> None:
    shapes[f"{name}.weight"] = (n_out, n_in)
    if bias:
        shapes[f"{name}.bias"] = (n_out,)


def _conv(shapes: Shapes, name: str, n_in: int, n_out: int, k: int, transposed: bool = False) -> None:
    shapes[f"{name}.weight"] = (n_in, n_out, k, k) if transposed else (n_out, n_in, k, k)
    shapes[f"{name}.bias"] = (n_out,)


def _st_transformer(shapes: Shapes, name: str, dim: int, depth: int, heads: int, temporal: bool) -> None:
    """world/layers.py: STTransformer(dim, depth, heads, mlp_ratio=4, temporal)."""
    hidden = dim * 4
    for i in range(depth):
        b = f"{name}.blocks.{i}"
        for kind in ("s", "t") if temporal else ("s",):
            shapes[f"{b}.norm_{kind}.weight"] = (dim,)
            _linear(shapes, f"{b}.attn_{kind}.qkv", dim, 3 * dim, bias=False)
            _linear(shapes, f"{b}.attn_{kind}.out", dim, dim, bias=False)
            shapes[f"{b}.attn_{kind}.q_norm.weight"] = (dim // heads,)
            shapes[f"{b}.attn_{kind}.k_norm.weight"] = (dim // heads,)
        shapes[f"{b}.norm_m.weight"] = (dim,)
        _linear(shapes, f"{b}.mlp.0", dim, hidden)
        _linear(shapes, f"{b}.mlp.2", hidden, dim)
    shapes[f"{name}.norm.weight"] = (dim,)


def _vq(shapes: Shapes, name: str, codes: int, dim: int) -> None:
    """world/quantize.py: VectorQuantizer(codes, dim)."""
    shapes[f"{name}.codebook"] = (codes, dim)
    shapes[f"{name}.usage"] = (codes,)


def _res_block(shapes: Shapes, name: str, ch: int) -> None:
    """world/conv_tokenizer.py: ResBlock(ch) (ChannelNorm, SiLU, conv 3x3, twice)."""
    for i in (0, 3):
        shapes[f"{name}.body.{i}.weight"] = (1, ch, 1, 1)
        _conv(shapes, f"{name}.body.{i + 2}", ch, ch, 3)


# Every field a config.json may set, with the values this version builds (a hostile or damaged file
# gets a ConfigError before any module is made): ints in lo..hi, sizes as [h, w] of such ints,
# floats in lo..hi, bools, or one of a few words. The bounds are far above any model we train.
_INTS = {"patch": (1, 64), "dec_patch": (1, 64), "dim": (1, 8192), "enc_depth": (0, 128), "dec_depth": (0, 128),
         "depth": (1, 128), "heads": (1, 256), "codebook": (2, 1 << 20), "vocab": (2, 1 << 20), "latent": (1, 8192),
         "conv_width": (1, 4096), "num_actions": (1, 1024), "context": (1, 4096)}
_SIZES = {"image_size": (1, 8192), "tokens_hw": (1, 1024)}
_FLOATS = {"motion_weight": (0.0, 1e6), "agent_weight": (0.0, 1e6), "context_noise": (0.0, 1.0),
           "diversity": (0.0, 100.0)}
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

    def state_shapes(self) -> Shapes:
        """The tokenizer's tensors (world/tokenizer.py ``Tokenizer``, or world/conv_tokenizer.py with ``arch``
        "conv"); ConfigError where that module would refuse the config."""
        if self.arch == "conv":
            return self._conv_shapes()
        if self.arch != "vit":
            raise ConfigError(f"TokenizerConfig: unknown arch {self.arch!r} (vit or conv)")
        shapes: Shapes = {}
        S, pdim = self.tokens_hw[0] * self.tokens_hw[1], self.patch * self.patch * 3
        _linear(shapes, "enc_in", pdim, self.dim)
        shapes["enc_pos"] = (1, 1, S, self.dim)
        _st_transformer(shapes, "encoder", self.dim, self.enc_depth, self.heads, self.temporal)
        _linear(shapes, "enc_out", self.dim, self.latent)
        _vq(shapes, "vq", self.codebook, self.latent)
        _linear(shapes, "dec_in", self.latent, self.dim)
        shapes["dec_pos"] = (1, 1, S, self.dim)
        _st_transformer(shapes, "decoder", self.dim, self.dec_depth, self.heads, self.temporal)
        _linear(shapes, "dec_out", self.dim, pdim)
        return shapes

    def _conv_shapes(self) -> Shapes:
        if self.temporal:
            raise ConfigError("TokenizerConfig: the conv tokenizer encodes single frames (temporal=false)")
        downs = int(round(math.log2(self.patch)))
        if 2 ** downs != self.patch or downs < 1:
            raise ConfigError(f"TokenizerConfig: conv patch must be a power of two >= 2, got {self.patch}")
        shapes: Shapes = {}
        w = ch = self.conv_width
        _conv(shapes, "encoder.0", 3, w, 3)
        i = 1
        for _ in range(downs):
            nxt = min(2 * ch, 4 * w)
            _res_block(shapes, f"encoder.{i}", ch)
            _conv(shapes, f"encoder.{i + 1}", ch, nxt, 4)
            ch, i = nxt, i + 2
        _res_block(shapes, f"encoder.{i}", ch)
        _res_block(shapes, f"encoder.{i + 1}", ch)
        shapes[f"encoder.{i + 2}.weight"] = (1, ch, 1, 1)
        _conv(shapes, f"encoder.{i + 4}", ch, self.latent, 1)
        _vq(shapes, "vq", self.codebook, self.latent)
        _conv(shapes, "decoder.0", self.latent, ch, 3)
        _res_block(shapes, "decoder.1", ch)
        _res_block(shapes, "decoder.2", ch)
        i = 3
        for _ in range(downs):
            nxt = max(ch // 2, w)
            _conv(shapes, f"decoder.{i}", ch, nxt, 4, transposed=True)
            _res_block(shapes, f"decoder.{i + 1}", nxt)
            ch, i = nxt, i + 2
        shapes[f"decoder.{i}.weight"] = (1, ch, 1, 1)
        _conv(shapes, f"decoder.{i + 2}", ch, 3, 3)
        return shapes


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
    agent_weight: float = 0.0  # extra weight on pixels that change after aligning the camera (lam.py)
    diversity: float = 0.0  # weight of the code-usage spread term (quantize.py): 0 = off
    center: bool = False  # normalise the latents with running batch statistics before quantizing (lam.py)
    history: str = "none"  # what the conv decoder sees of x_{t-1}: "none", the "frame", or its "rows" (lam.py)

    def state_shapes(self) -> Shapes:
        """The tensors of world/lam.py's ``LatentActionModel``; ConfigError where it would refuse the config."""
        if self.history != "none" and self.decoder != "conv":
            raise ConfigError("LAMConfig.history needs the conv decoder")
        shapes: Shapes = {}
        (H, W), p, q = self.image_size, self.patch, self.dec_patch
        _linear(shapes, "enc_in", p * p * 3, self.dim)
        shapes["enc_pos"] = (1, 1, (H // p) * (W // p) + 1, self.dim)
        shapes["summary"] = (1, 1, 1, self.dim)
        _st_transformer(shapes, "encoder", self.dim, self.enc_depth, self.heads, True)
        _linear(shapes, "enc_out", self.dim, self.latent)
        if self.center:
            shapes["center.running_mean"] = shapes["center.running_var"] = (self.latent,)
        _vq(shapes, "vq", self.num_actions, self.latent)
        if self.decoder == "conv":
            frames = 1 + {"none": 0, "frame": 1, "rows": 2}[self.history]
            w = self.conv_width
            _conv(shapes, "conv_decoder.inp", 3 * frames + self.latent, w, 3)
            for i in range(self.dec_depth):
                _conv(shapes, f"conv_decoder.blocks.{i}", w, w, 5)
            _conv(shapes, "conv_decoder.out", w, 3, 3)
        else:
            _linear(shapes, "dec_in", q * q * 3, self.dim)
            _linear(shapes, "dec_act", self.latent, self.dim)
            shapes["dec_pos"] = (1, 1, (H // q) * (W // q), self.dim)
            _st_transformer(shapes, "decoder", self.dim, self.dec_depth, self.heads, False)
            _linear(shapes, "dec_out", self.dim, q * q * 3)
        return shapes


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

    def state_shapes(self) -> Shapes:
        """The tensors of world/dynamics.py's ``Dynamics``."""
        from genie_studio.world.scroll import MAX_SHIFT  # the camera head's range (torch: only once asked)

        S = self.tokens_hw[0] * self.tokens_hw[1]
        shapes: Shapes = {"tok_emb.weight": (self.vocab + 1, self.dim),
                          "act_emb.weight": (self.num_actions + 1, self.dim), "pos": (1, 1, S + 1, self.dim)}
        _st_transformer(shapes, "transformer", self.dim, self.depth, self.heads, True)
        _linear(shapes, "head", self.dim, self.vocab)
        if self.draft:
            _linear(shapes, "camera", self.dim, 2 * MAX_SHIFT + 1)
        return shapes
