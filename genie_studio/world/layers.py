"""The ST transformer: spatial attention within a frame, causal temporal attention across frames at
each spatial position, then one MLP (Genie, arXiv 2402.15391, s2.1). Pre-norm, QK-norm.

Temporal attention uses rotary positions counted from the start of the context window, and its keys
and values can be kept in a :class:`KVCache` (stored *before* rotation), so that

* stepping one new frame costs one frame's compute, and
* when the window slides, cached keys are simply re-rotated for their new positions: nothing goes stale.

Attention is a plain matmul-softmax: on this CPU it trains about 2x faster than the fused kernel
(../shared/FINDINGS.md, "Speed").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (x.shape[-1],), self.weight.to(x.dtype), self.eps)


def rope_table(start: int, stop: int, dh: int, device=None, base: float = 10000.0):
    """cos and sin [stop - start, dh / 2] (float32) of the rotary angles of positions start..stop-1."""
    half = dh // 2
    inv = base ** (-torch.arange(half, device=device, dtype=torch.float32) / half)
    ang = torch.arange(start, stop, device=device, dtype=torch.float32)[:, None] * inv[None]
    return ang.cos(), ang.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate the two halves of the last axis of ``x`` by angles whose cos/sin broadcast against them."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def rope(x: torch.Tensor, start: int = 0, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding over the second-to-last axis (positions start..start+L-1)."""
    cos, sin = rope_table(start, start + x.shape[-2], x.shape[-1], x.device, base)
    return rotate(x, cos.to(x.dtype), sin.to(x.dtype))


def attend(q, k, v, causal_offset: int | None = None) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v over [N, H, L, dh]; causal when ``causal_offset`` is given
    (query i sits at key position causal_offset + i)."""
    scores = torch.matmul(q * (1.0 / math.sqrt(q.shape[-1])), k.transpose(-1, -2))
    if causal_offset is not None:
        Lq, Lk = q.shape[-2], k.shape[-2]
        if Lk > 1:
            qi = torch.arange(Lq, device=q.device)[:, None] + causal_offset
            kj = torch.arange(Lk, device=q.device)[None, :]
            scores = scores.masked_fill(kj > qi, float("-inf"))
    w = torch.softmax(scores, dim=-1)
    return torch.matmul(w, v)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        assert dim % heads == 0, "dim must divide by heads"
        self.heads, self.dh = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)
        self.q_norm = RMSNorm(self.dh)
        self.k_norm = RMSNorm(self.dh)

    def qkv_heads(self, x):
        N, L, _ = x.shape
        q, k, v = self.qkv(x).view(N, L, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        return self.q_norm(q), self.k_norm(k), v

    def merge(self, y):
        N, H, L, dh = y.shape
        return self.out(y.transpose(1, 2).reshape(N, L, H * dh))


@dataclass
class LayerKV:
    k: torch.Tensor | None = None  # [B*S, H, Tc, dh], not rotated
    v: torch.Tensor | None = None

    @property
    def frames(self) -> int:
        return 0 if self.k is None else self.k.shape[2]


@dataclass
class KVCache:
    """Per-layer temporal keys/values of the frames already in the context window."""

    layers: list[LayerKV] = field(default_factory=list)

    @classmethod
    def empty(cls, n_layers: int) -> KVCache:
        return cls([LayerKV() for _ in range(n_layers)])

    @property
    def frames(self) -> int:
        return self.layers[0].frames if self.layers else 0

    def trim(self, max_frames: int) -> None:
        """Keep only the newest ``max_frames`` frames (the sliding context window)."""
        for lk in self.layers:
            if lk.k is not None and lk.k.shape[2] > max_frames:
                lk.k = lk.k[:, :, -max_frames:].contiguous()
                lk.v = lk.v[:, :, -max_frames:].contiguous()

    def drop_last(self, n: int) -> None:
        for lk in self.layers:
            if lk.k is not None:
                keep = max(0, lk.k.shape[2] - n)
                lk.k, lk.v = (lk.k[:, :, :keep], lk.v[:, :, :keep]) if keep else (None, None)

    def clone(self) -> KVCache:
        return KVCache([LayerKV(None if l.k is None else l.k.clone(), None if l.v is None else l.v.clone())
                        for l in self.layers])

    @staticmethod
    def cat(caches: list[KVCache]) -> KVCache:
        """Batch several sessions' caches (same frame count) along the batch axis."""
        out = []
        for layer in zip(*[c.layers for c in caches]):
            if layer[0].k is None:
                out.append(LayerKV())
            else:
                out.append(LayerKV(torch.cat([l.k for l in layer]), torch.cat([l.v for l in layer])))
        return KVCache(out)

    def split(self, sizes: list[int]) -> list[KVCache]:
        """Inverse of :meth:`cat`; ``sizes`` are rows (batch * spatial positions) per part."""
        parts = [[] for _ in sizes]
        for l in self.layers:
            if l.k is None:
                for p in parts:
                    p.append(LayerKV())
                continue
            for p, k, v in zip(parts, l.k.split(sizes), l.v.split(sizes)):
                p.append(LayerKV(k, v))
        return [KVCache(p) for p in parts]


class STBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, temporal: bool = True):
        super().__init__()
        self.temporal = temporal
        self.norm_s = RMSNorm(dim)
        self.attn_s = Attention(dim, heads)
        if temporal:
            self.norm_t = RMSNorm(dim)
            self.attn_t = Attention(dim, heads)
        self.norm_m = RMSNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, kv: LayerKV | None = None, commit: int = 0) -> torch.Tensor:
        """x: [B, T, S, D]. With ``kv``, the T frames follow the cached ones; the first ``commit``
        of them are appended to the cache (their tokens are final)."""
        B, T, S, D = x.shape
        h = self.norm_s(x).reshape(B * T, S, D)
        q, k, v = self.attn_s.qkv_heads(h)
        x = x + self.attn_s.merge(attend(q, k, v)).view(B, T, S, D)
        if self.temporal:
            h = self.norm_t(x).permute(0, 2, 1, 3).reshape(B * S, T, D)
            q, k, v = self.attn_t.qkv_heads(h)
            past = 0
            if kv is not None and kv.k is not None:
                past = kv.k.shape[2]
                k_all, v_all = torch.cat([kv.k, k], 2), torch.cat([kv.v, v], 2)
            else:
                k_all, v_all = k, v
            if kv is not None and commit:
                kv.k, kv.v = k_all[:, :, : past + commit], v_all[:, :, : past + commit]
            y = attend(rope(q, past), rope(k_all, 0), v_all, causal_offset=past)
            y = self.attn_t.merge(y).view(B, S, T, D).permute(0, 2, 1, 3)
            x = x + y
        return x + self.mlp(self.norm_m(x))


class STTransformer(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, mlp_ratio: float = 4.0, temporal: bool = True):
        super().__init__()
        self.blocks = nn.ModuleList(STBlock(dim, heads, mlp_ratio, temporal) for _ in range(depth))
        self.norm = RMSNorm(dim)

    def forward(self, x, cache: KVCache | None = None, commit: int = 0):
        for i, blk in enumerate(self.blocks):
            x = blk(x, None if cache is None else cache.layers[i], commit)
        return self.norm(x)


def patchify(frames: torch.Tensor, p: int) -> torch.Tensor:
    """[B, T, H, W, C] -> [B, T, (H/p)*(W/p), p*p*C]"""
    B, T, H, W, C = frames.shape
    x = frames.reshape(B, T, H // p, p, W // p, p, C).permute(0, 1, 2, 4, 3, 5, 6)
    return x.reshape(B, T, (H // p) * (W // p), p * p * C)


def unpatchify(x: torch.Tensor, p: int, hw: tuple[int, int], c: int = 3) -> torch.Tensor:
    B, T = x.shape[:2]
    H, W = hw
    x = x.reshape(B, T, H // p, W // p, p, p, c).permute(0, 1, 2, 4, 3, 5, 6)
    return x.reshape(B, T, H, W, c)


_LOADED_NEXT = ContextVar("weights_loaded_next", default=False)
_INIT = {torch.nn.init.kaiming_uniform_, torch.nn.init.uniform_, torch.nn.init.normal_, torch.nn.init.zeros_,
         torch.nn.init.ones_, torch.nn.init.constant_}


class _NoInit(TorchFunctionMode):
    """torch.nn.init's fills (nn.Linear's and nn.Embedding's own initialisation) do nothing."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _INIT:
            return args[0] if args else kwargs["tensor"]
        return func(*args, **(kwargs or {}))


@contextmanager
def weights_loaded_next() -> Iterator[None]:
    """Modules built inside (in this thread) skip their random initialisation, most of the cost of building
    one: :func:`init_weights` and torch.nn.init's fills do nothing (the tensors are allocated, their values
    left as they come). For a loader that overwrites every tensor next (world/bundle.py)."""
    token = _LOADED_NEXT.set(True)
    try:
        with _NoInit():
            yield
    finally:
        _LOADED_NEXT.reset(token)


def init_weights(module: nn.Module) -> None:
    if _LOADED_NEXT.get():
        return
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)


__all__ = ["KVCache", "LayerKV", "STBlock", "STTransformer", "patchify", "unpatchify", "rope", "rope_table", "rotate",
           "attend", "weights_loaded_next"]
