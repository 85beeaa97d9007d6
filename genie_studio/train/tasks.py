"""What each component trains on: build the module and turn a data batch into a loss."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from genie_studio.world.bundle import load_model
from genie_studio.world.config import DynamicsConfig, LAMConfig, TokenizerConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.lam import LatentActionModel
from genie_studio.world.quantize import VectorQuantizer
from genie_studio.world.tokenizer import make_tokenizer


@dataclass
class Task:
    model: nn.Module
    vq: VectorQuantizer | None
    frozen: dict  # component name -> frozen module used to make inputs


def build_task(component: str, arch: dict, image_size: tuple[int, int], out: Path, device) -> Task:
    if component == "tokenizer":
        return Task(make_tokenizer(TokenizerConfig(image_size=image_size, **arch)), None, {})
    if component == "lam":
        return Task(LatentActionModel(LAMConfig(image_size=image_size, **arch)), None, {})
    if component == "dynamics":
        wm = load_model(out, components=("tokenizer", "lam"), device=device)
        tok, lam = wm.tokenizer, wm.lam
        if tuple(tok.cfg.image_size) != tuple(image_size):
            raise ValueError(f"dataset resolution {image_size} differs from the tokenizer's {tok.cfg.image_size}")
        for m in (tok, lam):
            m.requires_grad_(False).eval()
        cfg = DynamicsConfig(vocab=tok.cfg.codebook, num_actions=lam.cfg.num_actions,
                             tokens_hw=tok.cfg.tokens_hw, **arch)
        return Task(Dynamics(cfg), None, {"tokenizer": tok, "lam": lam})
    raise ValueError(f"unknown component {component!r}")


def frames_to_tensor(frames, device) -> torch.Tensor:
    return torch.from_numpy(frames).to(device).float().div_(255.0)


def compute_loss(component: str, module: nn.Module, task: Task, batch: dict, device,
                 generator: torch.Generator | None = None):
    """``module`` is the trainable model (possibly DDP-wrapped through LossModule)."""
    frames = frames_to_tensor(batch["frames"], device)
    if component in ("tokenizer", "lam"):
        return module(frames)
    with torch.no_grad():
        tokens = task.frozen["tokenizer"].encode(frames)
        actions = task.frozen["lam"].infer_actions(frames)
    return module(tokens, actions, generator=generator)


class LossModule(nn.Module):
    """Makes ``model.loss`` the forward, so DistributedDataParallel can wrap it."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, *args, **kwargs):
        return self.model.loss(*args, **kwargs)
