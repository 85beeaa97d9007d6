"""The policy network, its folder format, and the tie between a policy and its world model.

A policy is a folder: ``policy.json`` (format, version, architecture, action space and labels, the
model it belongs to, training summary) plus ``policy.safetensors``. Its actions are the latent
actions of one world model, so ``policy.json`` records that model's *fingerprint*: the SHA-256 of its
dynamics weights (the component that plays the latent actions, trained on its own LAM's codes; it is
loaded wherever the world is played, the LAM is not). ``load_policy(folder, model)`` refuses a policy
whose fingerprint is not the model's, naming both models. Policies trained on a platformer's true
actions (the experiment's behaviour-cloning oracle) have ``action_space == "true"`` and no model.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

from genie_studio.fsutil import atomic_write_json, read_versioned_json
from genie_studio.world.bundle import read_weights

FORMAT = "genie-studio-policy"
VERSION = 1
POLICIES_DIR = "policies"  # policies live in <model folder>/policies/<name>/


class PolicyError(Exception):
    """A policy that cannot be loaded or does not belong to the model; the message says why."""


@dataclass
class PolicyConfig:
    num_actions: int
    image_size: tuple[int, int] = (64, 64)  # frames are resized to this before the network
    frames: int = 2  # the current frame and the previous ones (motion: which way, rising or falling)
    width: int = 32
    hidden: int = 256

    @classmethod
    def from_dict(cls, d: dict) -> PolicyConfig:
        known = set(cls.__dataclass_fields__)
        bad = sorted(set(d) - known)
        if bad:
            raise PolicyError(f"unknown policy config fields {bad}")
        d = dict(d)
        d["image_size"] = tuple(d.get("image_size", (64, 64)))
        return cls(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["image_size"] = list(self.image_size)
        return d


class Policy(nn.Module):
    """frames uint8 [B, K, H, W, 3] (oldest first) -> action logits [B, num_actions].

    A small strided CNN over the K frames stacked as channels; ~0.5M parameters, trains in minutes
    on one CPU core.
    """

    def __init__(self, cfg: PolicyConfig):
        super().__init__()
        self.cfg = cfg
        c, w = 3 * cfg.frames, cfg.width
        self.convs = nn.ModuleList([
            nn.Conv2d(c, w, 5, stride=2, padding=2),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1),
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1),
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1),
        ])
        h, ww = (max(1, s // 16) for s in cfg.image_size)
        self.fc = nn.Linear(2 * w * h * ww, cfg.hidden)
        self.out = nn.Linear(cfg.hidden, cfg.num_actions)

    def prepare(self, frames) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(frames)) if not torch.is_tensor(frames) else frames
        B, K, H, W, _ = x.shape
        x = x.float().div(255.0).permute(0, 1, 4, 2, 3).reshape(B, K * 3, H, W)
        if (H, W) != tuple(self.cfg.image_size):
            x = F.interpolate(x, size=tuple(self.cfg.image_size), mode="area")
        return x * 2 - 1

    def forward(self, frames) -> torch.Tensor:
        x = self.prepare(frames).to(self.out.weight.device)
        for conv in self.convs:
            x = F.gelu(conv(x))
        return self.out(F.gelu(self.fc(x.flatten(1))))

    @torch.no_grad()
    def act(self, frames, generator: torch.Generator | None = None, temperature: float = 1.0) -> np.ndarray:
        """Sample one action per row (temperature 0: the most likely)."""
        logits = self(frames).float()
        if temperature <= 0:
            return logits.argmax(-1).cpu().numpy()
        p = torch.softmax(logits / temperature, -1).cpu()
        return torch.multinomial(p, 1, generator=generator)[:, 0].numpy()


def stack_history(frames: list, k: int) -> np.ndarray:
    """The last ``k`` frames, oldest first; the first frame repeats when there are fewer."""
    hist = list(frames[-k:])
    while len(hist) < k:
        hist.insert(0, hist[0])
    return np.stack(hist)


# ---- the tie to a world model ---------------------------------------------------------------------------
def model_fingerprint(model) -> str:
    """SHA-256 of the weights that give the model's latent actions their meaning: the dynamics (the LAM
    when the model has no dynamics), independent of file names, config edits and action labels."""
    module = model.dynamics if getattr(model, "dynamics", None) is not None else getattr(model, "lam", None)
    if module is None:
        raise PolicyError("the model has neither a latent action model nor a dynamics component")
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _model_name(model) -> str:
    return getattr(model, "name", None) or "unnamed"


# ---- folder format ----------------------------------------------------------------------------------------
def save_policy(folder: str | os.PathLike, policy: Policy, *, action_space: str, labels: list[str],
                model=None, training: dict | None = None) -> Path:
    """Write ``policy.safetensors`` then ``policy.json`` (last: a folder with a json is complete)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if action_space not in ("latent", "true"):
        raise ValueError("action_space is 'latent' (a model's latent actions) or 'true' (game actions)")
    if action_space == "latent" and model is None:
        raise ValueError("a latent-action policy needs the model it belongs to")
    state = {k: v.detach().cpu().contiguous() for k, v in policy.state_dict().items()}
    tmp = folder / ".policy.safetensors.tmp"
    save_file(state, str(tmp), metadata={"format": FORMAT})
    os.replace(tmp, folder / "policy.safetensors")
    doc = {"format": FORMAT, "version": VERSION, "config": policy.cfg.to_dict(), "action_space": action_space,
           "labels": list(labels),
           "model": None if model is None else {"name": _model_name(model), "fingerprint": model_fingerprint(model)},
           "training": training or {}}
    atomic_write_json(folder / "policy.json", doc)
    return folder


def read_policy_meta(folder: str | os.PathLike) -> dict:
    folder = Path(folder)
    if not folder.is_dir():
        raise PolicyError(f"{folder}: not a policy folder (no such directory)")
    return read_versioned_json(folder / "policy.json", FORMAT, VERSION, "Genie Studio policy (policy.json + "
                               "policy.safetensors)", PolicyError)


def check_model(meta: dict, model, where: str = "policy") -> None:
    """Raise ``PolicyError`` unless the policy's latent actions are ``model``'s."""
    if meta.get("action_space") != "latent":
        raise PolicyError(f"{where}: acts in the game's true actions, not a world model's latent actions; "
                          "it cannot drive a world session")
    own = meta.get("model") or {}
    fp = model_fingerprint(model)
    if own.get("fingerprint") != fp:
        raise PolicyError(
            f"{where}: this policy belongs to model {own.get('name')!r} (latent actions "
            f"{str(own.get('fingerprint'))[:12]}), not to {_model_name(model)!r} ({fp[:12]}): latent actions "
            f"mean different things in different models. Train one for this model with "
            f"`genie-studio autoplay train --model {_model_name(model)} ...`.")
    n = getattr(getattr(model, "dynamics", None) or getattr(model, "lam", None), "cfg", None)
    if n is not None and int(meta["config"]["num_actions"]) != int(n.num_actions):
        raise PolicyError(f"{where}: {meta['config']['num_actions']} actions, the model has {n.num_actions}")


def load_policy(folder: str | os.PathLike, model=None, device: str | torch.device = "cpu") -> tuple[Policy, dict]:
    """Load a policy; with ``model``, refuse one that belongs to another model. -> (policy, meta)."""
    folder = Path(folder)
    meta = read_policy_meta(folder)
    if model is not None:
        check_model(meta, model, str(folder))
    try:
        cfg = PolicyConfig.from_dict(meta.get("config") or {})
    except (TypeError, ValueError) as e:
        raise PolicyError(f"{folder / 'policy.json'}: bad config ({e})") from None
    policy = Policy(cfg)
    f = folder / "policy.safetensors"
    state = read_weights(f, PolicyError)
    try:
        policy.load_state_dict(state)
    except RuntimeError as e:
        raise PolicyError(f"{f}: weights do not match policy.json ({str(e).splitlines()[0]})") from None
    return policy.eval().to(device), meta


def find_policies(model) -> list[Path]:
    """Policy folders saved next to ``model`` (``<model>/policies/*``) that belong to it, newest first."""
    path = getattr(model, "path", None)
    root = Path(path) / POLICIES_DIR if path else None
    if root is None or not root.is_dir():
        return []
    fp = model_fingerprint(model)
    out = []
    for d in root.iterdir():
        try:
            meta = read_policy_meta(d)
        except PolicyError:
            continue
        if meta.get("action_space") == "latent" and (meta.get("model") or {}).get("fingerprint") == fp:
            out.append(d)
    return sorted(out, key=lambda d: (d / "policy.json").stat().st_mtime, reverse=True)


def default_policy_dir(model, name: str = "autoplay") -> Path:
    path = getattr(model, "path", None)
    if not path:
        raise PolicyError("the model was not loaded from a folder: say where the policy goes with --out")
    return Path(path) / POLICIES_DIR / name


class AutoplayDriver:
    """Chooses each next latent action of a ``WorldSession`` from its newest frames."""

    def __init__(self, policy: Policy, meta: dict | None = None, seed: int = 0, temperature: float = 1.0):
        self.policy = policy
        self.meta = meta or {}
        self.temperature = float(temperature)
        self.generator = torch.Generator().manual_seed(int(seed))

    @classmethod
    def for_session(cls, folder, session, **kw) -> AutoplayDriver:
        policy, meta = load_policy(folder, session.model)
        return cls(policy, meta, **kw)

    def act(self, session) -> int:
        frames = stack_history(session.frames, self.policy.cfg.frames)
        return int(self.policy.act(frames[None], self.generator, self.temperature)[0])
