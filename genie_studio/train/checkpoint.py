"""Training checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint is a folder ``<out>/.train/<component>/`` holding ``model.safetensors``,
``optim.safetensors`` (AdamW moments, flattened), ``rng.safetensors`` and ``state.json`` (step,
optimiser hyper-parameters, data-loader position, metrics). It is written into a sibling temp folder
and swapped in by rename, so an interruption at any moment leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from genie_studio.fsutil import atomic_write_json


class CheckpointError(Exception):
    pass


def _optim_tensors(opt: torch.optim.Optimizer) -> tuple[dict, dict]:
    sd = opt.state_dict()
    tensors, scalars = {}, {"param_groups": sd["param_groups"], "state": {}}
    for pid, st in sd["state"].items():
        scalars["state"][str(pid)] = {}
        for k, v in st.items():
            if torch.is_tensor(v) and v.dim() > 0:
                tensors[f"{pid}.{k}"] = v.detach().cpu().contiguous()
            else:
                scalars["state"][str(pid)][k] = float(v) if torch.is_tensor(v) else v
    return tensors, scalars


def _optim_load(opt: torch.optim.Optimizer, tensors: dict, scalars: dict) -> None:
    state = {}
    for pid, st in scalars["state"].items():
        d = {k: torch.tensor(v, dtype=torch.float32) for k, v in st.items()}
        for name, t in tensors.items():
            p, k = name.split(".", 1)
            if p == pid:
                d[k] = t
        state[int(pid)] = d
    opt.load_state_dict({"state": state, "param_groups": scalars["param_groups"]})


def save(folder: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, state: dict) -> None:
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
              str(tmp / "model.safetensors"))
    tensors, scalars = _optim_tensors(opt)
    save_file(tensors, str(tmp / "optim.safetensors"))
    save_file({"torch": torch.get_rng_state()}, str(tmp / "rng.safetensors"))
    np_state = np.random.get_state()
    full = {**state, "optim": scalars, "python_rng": repr(random.getstate()),
            "numpy_rng": [np_state[0], np_state[1].tolist(), *np_state[2:]]}
    atomic_write_json(tmp / "state.json", full)
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def exists(folder: Path) -> bool:
    folder = Path(folder)
    return (folder / "state.json").exists() or (folder.with_name(folder.name + ".old") / "state.json").exists()


def load(folder: Path, model: torch.nn.Module, opt: torch.optim.Optimizer) -> dict:
    folder = Path(folder)
    if not (folder / "state.json").exists():  # interrupted between the two renames
        folder = folder.with_name(folder.name + ".old")
    try:
        state = json.loads((folder / "state.json").read_text())
        model.load_state_dict(load_file(str(folder / "model.safetensors")))
        _optim_load(opt, load_file(str(folder / "optim.safetensors")), state.pop("optim"))
        torch.set_rng_state(load_file(str(folder / "rng.safetensors"))["torch"])
    except (OSError, json.JSONDecodeError, SafetensorError, RuntimeError, KeyError, ValueError) as e:
        raise CheckpointError(f"{folder}: cannot resume from this checkpoint ({e})") from None
    import ast
    random.setstate(ast.literal_eval(state.pop("python_rng")))
    ns = state.pop("numpy_rng")
    np.random.set_state((ns[0], np.array(ns[1], dtype=np.uint32), *ns[2:]))
    return state
