"""The one device policy shared by training, the editor, the CLI and the server."""

from __future__ import annotations

import torch


def available_devices() -> list[str]:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def resolve_device(name: str | None = "auto") -> str:
    """``auto`` -> cuda when a CUDA GPU is present, else cpu; ``cuda`` without a GPU is refused."""
    name = (name or "auto").lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for but no CUDA GPU is available here; use the cpu device (or auto)")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {name!r}; use auto, cpu or cuda")
    return name


def _cpu_has_bf16() -> bool:
    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool((probe and probe()) or (amx and amx()))
    except RuntimeError:
        return False


def resolve_precision(name: str | None, device: str) -> str:
    """``auto`` -> bf16 on CUDA and on CPUs with native bf16 (AVX-512 BF16 or AMX), else fp32.

    Measured on a 2-core AVX-512 BF16 CPU with the default model: a dynamics pass takes 14 ms in bf16
    and 18-20 ms in fp32 (docs/performance.md); on CPUs without bf16 instructions bf16 is emulated
    and slower than fp32."""
    name = (name or "auto").lower()
    if name == "auto":
        if device == "cuda":
            return "bf16"
        return "bf16" if _cpu_has_bf16() else "fp32"
    if name not in ("bf16", "fp32"):
        raise ValueError(f"unknown precision {name!r}; use auto, bf16 or fp32")
    return name
