"""The one device policy shared by training, the editor, the CLI and the server."""

from __future__ import annotations

import torch


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
