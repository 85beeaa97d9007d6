"""A model is a folder: ``config.json`` (format, version, architecture per component, training
summary, action labels) plus one ``<component>.safetensors`` per component. Never pickles.

Loading validates everything it reads and fails with :class:`BundleError`, naming the file and what
is wrong: a missing or truncated file, an unknown format or version, a tensor of the wrong shape.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from genie_studio.fsutil import atomic_write_json, read_versioned_json
from genie_studio.world.config import ConfigError, DynamicsConfig, LAMConfig, TokenizerConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.lam import LatentActionModel
from genie_studio.world.tokenizer import Tokenizer, make_tokenizer

FORMAT = "genie-studio-model"
VERSION = 1
COMPONENTS = {
    "tokenizer": (TokenizerConfig, make_tokenizer),
    "lam": (LAMConfig, LatentActionModel),
    "dynamics": (DynamicsConfig, Dynamics),
}


class BundleError(Exception):
    """A model folder that cannot be loaded; the message names the file and the problem."""


@dataclass
class WorldModel:
    """The three components of a Genie model plus its metadata (any component may be absent)."""

    meta: dict = field(default_factory=dict)
    tokenizer: Tokenizer | None = None
    lam: LatentActionModel | None = None
    dynamics: Dynamics | None = None
    path: Path | None = None
    runtime: dict = field(default_factory=dict, repr=False, compare=False)  # per-process helpers (session/compiled)

    @property
    def name(self) -> str:
        return self.meta.get("name") or (self.path.name if self.path else "unnamed")

    @property
    def action_labels(self) -> list[str]:
        n = self.dynamics.cfg.num_actions if self.dynamics else (self.lam.cfg.num_actions if self.lam else 0)
        labels = list(self.meta.get("actions", {}).get("labels", []))
        return labels[:n] + [f"a{i}" for i in range(len(labels), n)]

    def to(self, device) -> WorldModel:
        for m in (self.tokenizer, self.lam, self.dynamics):
            if m is not None:
                m.to(device)
        return self


def _read_config(folder: Path) -> dict:
    f = folder / "config.json"
    if not folder.is_dir():
        raise BundleError(f"{folder}: not a model folder (no such directory)")
    return read_versioned_json(f, FORMAT, VERSION, "Genie Studio model (config.json + *.safetensors)",
                               BundleError)


def read_meta(folder: str | os.PathLike) -> dict:
    return _read_config(Path(folder))


def build_component(name: str, cfg_dict: dict) -> nn.Module:
    cfg_cls, mod_cls = COMPONENTS[name]
    return mod_cls(cfg_cls.from_dict(cfg_dict))


def read_weights(f: Path, error: type[Exception] = BundleError) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file, or ``error`` naming the file: missing, corrupt or truncated."""
    if not f.exists():
        raise error(f"{f}: weights file missing")
    try:
        return load_file(str(f))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise error(f"{f}: corrupt or truncated weights ({e})") from None


def load_weights(module: nn.Module, f: Path) -> None:
    state = read_weights(f)
    own = module.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise BundleError(f"{f}: weights do not match the architecture in config.json "
                          f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    for k, v in state.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise BundleError(f"{f}: tensor {k} has shape {tuple(v.shape)}, config.json implies "
                              f"{tuple(own[k].shape)}")
        own[k].copy_(v.to(own[k].dtype))


def load_model(folder: str | os.PathLike, components=("tokenizer", "lam", "dynamics"),
               device: str | torch.device = "cpu") -> WorldModel:
    folder = Path(folder)
    meta = _read_config(folder)
    wm = WorldModel(meta=meta, path=folder)
    for name in components:
        cfg = meta.get("components", {}).get(name)
        if cfg is None:
            raise BundleError(f"{folder / 'config.json'}: has no {name!r} component (trained yet?)")
        try:
            module = build_component(name, cfg)
        except ConfigError as e:
            raise BundleError(f"{folder / 'config.json'}: {e}") from None
        with torch.no_grad():
            load_weights(module, folder / f"{name}.safetensors")
        module.eval()
        setattr(wm, name, module.to(device))
    return wm


def save_component(folder: str | os.PathLike, name: str, module: nn.Module, dtype: torch.dtype | None = None,
                   meta_update: dict | None = None) -> None:
    """Write ``<name>.safetensors`` atomically and record its architecture in config.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {}
    for k, v in module.state_dict().items():
        v = v.to(dtype) if dtype is not None and v.is_floating_point() else v
        state[k] = v.detach().cpu().contiguous()
    tmp = folder / f".{name}.safetensors.tmp"
    save_file(state, str(tmp), metadata={"format": FORMAT, "component": name})
    os.replace(tmp, folder / f"{name}.safetensors")
    cfg_file = folder / "config.json"
    meta = _read_config(folder) if cfg_file.exists() else {"format": FORMAT, "version": VERSION}
    meta.setdefault("components", {})[name] = module.cfg.to_dict()
    if meta_update:
        meta.update(meta_update)
    atomic_write_json(cfg_file, meta)


def update_meta(folder: str | os.PathLike, **fields) -> dict:
    folder = Path(folder)
    meta = _read_config(folder)
    meta.update(fields)
    atomic_write_json(folder / "config.json", meta)
    return meta
