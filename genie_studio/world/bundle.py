"""A model is a folder: ``config.json`` (format, version, architecture per component, training
summary, action labels) plus one ``<component>.safetensors`` per component. Never pickles.

:func:`load_model` is the one place a model's files are read (``session/open.py: load_world`` resolves a
name to its folder first, for sessions, the server, the compile job and the commands). It reads ``config.json``
once and each weights file once, and fails with one :class:`ModelError` (also named ``BundleError``),
naming the file and what is wrong, before it allocates more than the files hold: the config's fields are
checked against their ranges (``world/config.py``); each safetensors header is read and checked against
its file (dtypes F32, F16 or BF16, offsets, size) and compared, name by name and shape by shape, with the
tensors the component's config implies (``cfg.state_shapes()``, a formula per component, no module built);
only then is the rest of each file read, in one read, its tensors made over those bytes
(``torch.frombuffer``), checked finite, and copied into a module built without its random initialisation.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

from genie_studio.fsutil import NotRegularFile, atomic_write_json, open_regular, read_versioned_json
from genie_studio.world.config import ConfigError, DynamicsConfig, LAMConfig, TokenizerConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.lam import LatentActionModel
from genie_studio.world.layers import weights_loaded_next
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
ANY_DTYPES = {**FLOAT_DTYPES, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}  # other files
_TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
                 "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
                 "BOOL": torch.bool}


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


class WeightsFile:
    """A safetensors file opened once: :attr:`header` ({name: (dtype, shape)}) read on opening and checked
    against the file (offsets in order, inside the file, of the size each shape and dtype imply; dtypes
    among ``dtypes``), nothing else read or allocated; :meth:`tensors` then reads the rest in one read.
    ``error`` (ModelError unless given) names the file and the problem. Use it as a context manager."""

    def __init__(self, f: Path, error: type[Exception] = ModelError, dtypes: dict[str, int] = FLOAT_DTYPES):
        self.f, self.error = Path(f), error
        try:
            self.fh = open_regular(self.f)
        except FileNotFoundError:
            raise error(f"{f}: weights file missing") from None
        except NotRegularFile:
            raise error(f"{f}: not a regular file") from None
        except OSError as e:
            raise error(f"{f}: corrupt or truncated weights ({type(e).__name__}: {str(e)[:100]})") from None
        try:
            self._read_header(dtypes)
        except BaseException:
            self.fh.close()
            raise

    def _read_header(self, dtypes: dict[str, int]) -> None:
        f, error = self.f, self.error
        size = os.fstat(self.fh.fileno()).st_size
        try:
            head = self.fh.read(8)
            n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
            if not 2 <= n <= min(MAX_HEADER, size - 8):
                raise error(f"{f}: corrupt or truncated weights (header of {n} bytes in a {size} byte file)")
            doc = json.loads(self.fh.read(n))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
            raise error(f"{f}: corrupt or truncated weights ({type(e).__name__}: {str(e)[:100]})") from None
        if not isinstance(doc, dict):
            raise error(f"{f}: corrupt weights (the header is not an object)")
        header, spans, end = {}, {}, 0
        for name, t in sorted(((k, v) for k, v in doc.items() if k != "__metadata__"),
                              key=lambda kv: kv[1].get("data_offsets", [0])[0] if isinstance(kv[1], dict) else 0):
            ok = (isinstance(t, dict) and isinstance(t.get("shape"), list) and isinstance(t.get("data_offsets"), list)
                  and len(t["data_offsets"]) == 2 and all(isinstance(x, int) and x >= 0 for x in t["shape"])
                  and all(isinstance(x, int) for x in t["data_offsets"]))
            if not ok:
                raise error(f"{f}: corrupt weights (bad header entry for {str(name)[:80]!r})")
            if t.get("dtype") not in dtypes:
                raise error(f"{f}: tensor {name} is {t.get('dtype')}; a model's weights must be F32, F16 or BF16"
                            if dtypes is FLOAT_DTYPES else f"{f}: tensor {name} has an unknown dtype {t.get('dtype')}")
            a, b = t["data_offsets"]
            count = 1
            for x in t["shape"]:
                count *= x
            if a != end or b - a != count * dtypes[t["dtype"]]:
                raise error(f"{f}: corrupt weights (tensor {name}'s bytes do not match its shape)")
            end = b
            header[name], spans[name] = (t["dtype"], tuple(t["shape"])), (a, b)
        if 8 + n + end != size:
            raise error(f"{f}: corrupt or truncated weights (the header describes {8 + n + end} bytes, the "
                        f"file has {size})")
        self.header, self._spans, self._end = header, spans, end

    def read(self) -> bytearray:
        """The rest of the file (every tensor's bytes, in header order), in one read; the file is closed."""
        body = bytearray(self._end)
        try:
            got = self.fh.readinto(body)
        except OSError as e:
            raise self.error(f"{self.f}: corrupt or truncated weights ({type(e).__name__}: {str(e)[:100]})") from None
        finally:
            self.close()
        if got != self._end:
            raise self.error(f"{self.f}: corrupt or truncated weights (the file shrank while it was read)")
        return body

    def tensors(self) -> dict[str, torch.Tensor]:
        """The file's tensors, made over one buffer holding the rest of the file (each tensor is a view into it,
        writable; one whose offset is not a multiple of its item size gets a copy of its own)."""
        body, out = self.read(), {}
        for name, (dtype, shape) in self.header.items():
            a, b = self._spans[name]
            dt = _TORCH_DTYPES[dtype]
            if a == b:
                out[name] = torch.empty(shape, dtype=dt)
                continue
            buf = body if a % ANY_DTYPES[dtype] == 0 else bytearray(memoryview(body)[a:b])
            offset = a if buf is body else 0
            out[name] = torch.frombuffer(buf, dtype=dt, count=(b - a) // ANY_DTYPES[dtype], offset=offset).view(shape)
        return out

    def check_finite(self, body: bytearray) -> None:
        """``error`` naming the first tensor of a model's file (F32, F16, BF16) that holds a NaN or an infinity:
        all exponent bits set. One pass over the bytes when the file has one dtype, as a model's has."""
        dtypes = {dtype for dtype, _ in self.header.values()}
        if len(dtypes) == 1 and not _non_finite(memoryview(body), dtypes.pop()):
            return
        for name, (dtype, _) in self.header.items():
            a, b = self._spans[name]
            if _non_finite(memoryview(body)[a:b], dtype):
                raise self.error(f"{self.f}: tensor {name} holds NaN or infinite values (a diverged or damaged model)")

    def copy_into(self, body: bytearray, own: dict[str, torch.Tensor]) -> None:
        """Each tensor of ``body`` into the same name of ``own`` (a module's ``state_dict``, float32 on the
        CPU), F16 and BF16 widened exactly. With numpy, in this thread: each of torch's ops waits for a second
        core, 1-7 ms a tensor on a busy 2-core machine (measured), ~0.3 s for a model's 140."""
        for name, (dtype, shape) in self.header.items():
            a, b = self._spans[name]
            dst, raw = own[name], memoryview(body)[a:b]
            if dst.dtype != torch.float32 or dst.device.type != "cpu" or not dst.is_contiguous() or a == b:
                dst.copy_(self.tensors_of(raw, dtype, shape))
            elif dtype == "BF16":  # a bfloat16 is the upper half of a float32
                np.left_shift(np.frombuffer(raw, np.uint16), 16, out=dst.numpy().reshape(-1).view(np.uint32),
                              dtype=np.uint32)
            else:
                dst.numpy().reshape(-1)[:] = np.frombuffer(raw, np.float32 if dtype == "F32" else np.float16)

    @staticmethod
    def tensors_of(raw: memoryview, dtype: str, shape: tuple[int, ...]) -> torch.Tensor:
        t = torch.empty(shape, dtype=_TORCH_DTYPES[dtype])
        if t.numel():
            t.view(-1).view(torch.uint8).numpy()[:] = np.frombuffer(raw, np.uint8)
        return t

    def close(self) -> None:
        self.fh.close()

    def __enter__(self) -> WeightsFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_EXPONENT = {"F32": (np.uint32, 0x7F800000), "F16": (np.uint16, 0x7C00), "BF16": (np.uint16, 0x7F80)}


def _non_finite(raw: memoryview, dtype: str) -> bool:
    bits, mask = _EXPONENT[dtype]
    u = np.frombuffer(raw, bits)
    return bool(np.any(np.bitwise_and(u, mask) == mask))


def read_weights(f: Path, error: type[Exception] = BundleError) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file (any dtype), or ``error`` naming the file: missing, corrupt or
    truncated. No check of names, shapes or values: for a model's components, :func:`load_model`."""
    with WeightsFile(f, error, ANY_DTYPES) as w:
        return w.tensors()


def check_shapes(expected: dict[str, tuple[int, ...]], header: dict, f: Path) -> None:
    """Refuse a weights file whose tensors are not exactly those a config implies (``cfg.state_shapes()``),
    by name and by shape: one ModelError naming the file, the tensor and both shapes."""
    missing, unexpected = sorted(set(expected) - set(header)), sorted(set(header) - set(expected))
    if missing or unexpected:
        raise ModelError(f"{f}: weights do not match the architecture in config.json "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    for k, (_, shape) in header.items():
        if shape != expected[k]:
            raise ModelError(f"{f}: tensor {k} has shape {shape}, config.json implies {expected[k]}")


def _checked_config(folder: Path, meta: dict, name: str):
    cfg = meta.get("components", {}).get(name)
    if cfg is None:
        raise ModelError(f"{folder / 'config.json'}: has no {name!r} component (trained yet?)")
    try:
        cfg = COMPONENTS[name][0].from_dict(cfg)
        return cfg, cfg.state_shapes()
    except ConfigError as e:
        raise ModelError(f"{folder / 'config.json'}: {e}") from None


def _build(folder: Path, name: str, cfg, expected: dict) -> nn.Module:
    try:
        with weights_loaded_next():  # every tensor is overwritten next: no random initialisation
            module = COMPONENTS[name][1](cfg)
    except ConfigError as e:
        raise ModelError(f"{folder / 'config.json'}: {e}") from None
    except (TypeError, ValueError, RuntimeError, ZeroDivisionError, NotImplementedError) as e:
        raise ModelError(f"{folder / 'config.json'}: the {name} component cannot be built from it "
                         f"({type(e).__name__}: {str(e)[:200]})") from None
    if {k: tuple(v.shape) for k, v in module.state_dict().items()} != expected:  # tested against every module
        raise ModelError(f"{folder / name}.safetensors: the {name} module differs from its shape formula "
                         "(world/config.py state_shapes): a bug in this version")
    return module


def load_model(folder: str | os.PathLike, components=("tokenizer", "lam", "dynamics"),
               device: str | torch.device = "cpu") -> WorldModel:
    """The model in ``folder`` with ``components`` built, checked and on ``device``; the one loader (above)."""
    folder = Path(folder)
    meta = _read_config(folder)
    wm = WorldModel(meta=meta, path=folder)
    opened: dict[str, tuple] = {}
    try:
        for name in components:  # every config and header first: nothing is read further or built for a bad one
            cfg, expected = _checked_config(folder, meta, name)
            f = folder / f"{name}.safetensors"
            opened[name] = (cfg, expected, WeightsFile(f))
            check_shapes(expected, opened[name][2].header, f)
        for name, (cfg, expected, weights) in opened.items():
            body = weights.read()
            weights.check_finite(body)
            module = _build(folder, name, cfg, expected)
            with torch.no_grad():
                weights.copy_into(body, module.state_dict())
            setattr(wm, name, module.eval().to(device))
    finally:
        for _, _, weights in opened.values():
            weights.close()
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
