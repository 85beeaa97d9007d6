"""A model is a folder: ``config.json`` (format, version, architecture per component, training
summary, action labels) plus one ``<component>.safetensors`` per component. Never pickles.

Loading validates everything it reads and fails with one :class:`ModelError` (also named
``BundleError``), naming the file and what is wrong, before it allocates more than the files back:
the config's fields are checked against their ranges (``world/config.py``); each safetensors file's
header is read alone and checked against the file (dtypes F32, F16 or BF16, offsets, size); every
extent in the config (dims, vocabularies, token grids) must fit the largest tensor dimension in that
header and every depth its tensor count, so that building a module costs about what its file holds;
then the module is built, its tensors compared by name and shape, and the weights must be finite.
(Building on torch's meta device instead would cost every process ~2 s of one-time imports.)
"""

from __future__ import annotations

import json
import os
import struct
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


class ModelError(Exception):
    """A model folder that cannot be loaded; the message names the file and the problem."""


BundleError = ModelError  # the name the rest of the app has always caught
MAX_HEADER = 16 << 20  # bytes of a safetensors header (JSON)
FLOAT_DTYPES = {"F32": 4, "F16": 2, "BF16": 2}  # safetensors dtypes a component's weights may have


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
        labels = list((self.meta.get("actions") or {}).get("labels") or [])
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
    meta = read_versioned_json(f, FORMAT, VERSION, "Genie Studio model (config.json + *.safetensors)",
                               BundleError)
    actions = meta.get("actions", {})
    labels = actions.get("labels", []) if isinstance(actions, dict) else None
    if not (isinstance(labels, list) and len(labels) <= 1024
            and all(isinstance(x, str) and len(x) <= 64 for x in labels)):
        raise ModelError(f"{f}: actions.labels must be a list of short strings (damaged or hand-edited)")
    if not isinstance(meta.get("components", {}), dict):
        raise ModelError(f"{f}: components must be an object")
    return meta


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


def read_header(f: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """A safetensors file's tensors as {name: (dtype, shape)}, read from its header alone (nothing
    allocated), checked against the file: offsets in order, inside the file, of the size each shape
    and dtype imply. ModelError names the file and the problem."""
    if not f.is_file():
        raise ModelError(f"{f}: weights file missing" if not f.exists() else f"{f}: not a regular file")
    size = f.stat().st_size
    try:
        with open(f, "rb") as fh:
            head = fh.read(8)
            n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
            if not 2 <= n <= min(MAX_HEADER, size - 8):
                raise ModelError(f"{f}: corrupt or truncated weights (header of {n} bytes in a {size} byte file)")
            doc = json.loads(fh.read(n))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelError(f"{f}: corrupt or truncated weights ({type(e).__name__}: {str(e)[:100]})") from None
    if not isinstance(doc, dict):
        raise ModelError(f"{f}: corrupt weights (the header is not an object)")
    out, end = {}, 0
    for name, t in sorted(((k, v) for k, v in doc.items() if k != "__metadata__"),
                          key=lambda kv: kv[1].get("data_offsets", [0])[0] if isinstance(kv[1], dict) else 0):
        ok = (isinstance(t, dict) and isinstance(t.get("shape"), list) and isinstance(t.get("data_offsets"), list)
              and len(t["data_offsets"]) == 2 and all(isinstance(x, int) and x >= 0 for x in t["shape"])
              and all(isinstance(x, int) for x in t["data_offsets"]))
        if not ok:
            raise ModelError(f"{f}: corrupt weights (bad header entry for {str(name)[:80]!r})")
        if t.get("dtype") not in FLOAT_DTYPES:
            raise ModelError(f"{f}: tensor {name} is {t.get('dtype')}; a model's weights must be F32, F16 or BF16")
        a, b = t["data_offsets"]
        count = 1
        for x in t["shape"]:
            count *= x
        if a != end or b - a != count * FLOAT_DTYPES[t["dtype"]]:
            raise ModelError(f"{f}: corrupt weights (tensor {name}'s bytes do not match its shape)")
        end = b
        out[name] = (t["dtype"], tuple(t["shape"]))
    if 8 + n + end != size:
        raise ModelError(f"{f}: corrupt or truncated weights (the header describes {8 + n + end} bytes, the "
                         f"file has {size})")
    return out


_EXTENTS = ("dim", "latent", "codebook", "vocab", "conv_width", "num_actions", "context")
_DEPTHS = ("depth", "enc_depth", "dec_depth")


def check_config_fits(cfg, header: dict, f: Path) -> None:
    """Refuse a config that would build a module much bigger than the weights file ``f`` holds: each
    extent at most the largest dimension of a tensor in the file, each depth at most the number of
    layers its tensor names count (``blocks.3.…``: 4)."""
    largest = max((x for _, shape in header.values() for x in shape), default=0)
    layers = max((int(p) + 1 for name in header for p in name.split(".") if p.isdigit()), default=0)
    conv = getattr(cfg, "arch", "vit") == "conv"  # a conv tokenizer has no transformer: dim, depths unused
    for name in _EXTENTS:
        v = getattr(cfg, name, None) if not (conv and name == "dim") else None
        if v is not None and v > largest:
            raise ModelError(f"{f}: config.json says {name}={v}, but no tensor in this file has a dimension "
                             f"over {largest}: the config does not match the weights' shapes")
    grid = getattr(cfg, "tokens_hw", None)
    if grid is None and getattr(cfg, "arch", "vit") == "vit" and hasattr(cfg, "image_size"):
        grid = (cfg.image_size[0] // cfg.patch, cfg.image_size[1] // cfg.patch)
    if grid is not None and grid[0] * grid[1] > largest:
        raise ModelError(f"{f}: config.json implies {grid[0]}x{grid[1]} tokens, but no tensor in this file has a "
                         f"dimension over {largest}: the config does not match the weights' shapes")
    for name in _DEPTHS:
        v = getattr(cfg, name, None) if not conv else None
        if v is not None and v > layers:
            raise ModelError(f"{f}: config.json says {name}={v}, but the file's tensors name at most {layers} "
                             "layers: the config does not match the weights' shapes")


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
        if not v.is_floating_point():
            raise ModelError(f"{f}: tensor {k} is {v.dtype}; a model's weights must be floating point")
        if not bool(torch.isfinite(v).all()):
            raise ModelError(f"{f}: tensor {k} holds NaN or infinite values (a diverged or damaged model)")
        own[k].copy_(v.to(own[k].dtype))


def load_model(folder: str | os.PathLike, components=("tokenizer", "lam", "dynamics"),
               device: str | torch.device = "cpu") -> WorldModel:
    folder = Path(folder)
    meta = _read_config(folder)
    wm = WorldModel(meta=meta, path=folder)
    checked = {}
    for name in components:  # every component's config and header first: nothing is built for a bad one
        cfg = meta.get("components", {}).get(name)
        if cfg is None:
            raise BundleError(f"{folder / 'config.json'}: has no {name!r} component (trained yet?)")
        weights = folder / f"{name}.safetensors"
        try:
            checked[name] = COMPONENTS[name][0].from_dict(cfg)
        except ConfigError as e:
            raise BundleError(f"{folder / 'config.json'}: {e}") from None
        check_config_fits(checked[name], read_header(weights), weights)
    for name, cfg_obj in checked.items():
        weights = folder / f"{name}.safetensors"
        try:
            module = COMPONENTS[name][1](cfg_obj)
        except ConfigError as e:
            raise BundleError(f"{folder / 'config.json'}: {e}") from None
        except (TypeError, ValueError, RuntimeError, ZeroDivisionError, NotImplementedError) as e:
            raise ModelError(f"{folder / 'config.json'}: the {name} component cannot be built from it "
                             f"({type(e).__name__}: {str(e)[:200]})") from None
        with torch.no_grad():
            load_weights(module, weights)
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
