"""Training data for a policy, and its training loop.

An *episode* here is ``(frames uint8 [T, H, W, 3], actions int64 [T-1])`` where ``actions[t]`` takes
frame t to frame t+1 (-1: unknown, skipped). The policy learns ``actions[t]`` from frames t-K+1..t.

- Unlabelled footage (a clip dataset, imported video): the model's LAM labels every transition
  (``lam_actions``), as in Genie s3.3.
- A recording of play in this model holds the latent action the player chose for every frame; one
  made with another model is relabelled by this model's LAM (its action indices mean nothing here).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from genie_studio.autoplay.policy import Policy, PolicyConfig, model_fingerprint

log = logging.getLogger(__name__)


@torch.no_grad()
def lam_actions(lam, frames: np.ndarray, clip: int = 4, batch: int = 64) -> np.ndarray:
    """Latent actions [T-1] of an episode [T, H, W, 3] uint8: the LAM over windows of ``clip`` frames
    that overlap by one (the clip length the tiny LAM trains on)."""
    T = len(frames)
    if T < 2:
        return np.zeros(0, dtype=np.int64)
    size = tuple(lam.cfg.image_size)
    starts = list(range(0, T - 1, clip - 1))
    windows = []
    for s in starts:
        w = frames[s : s + clip]
        if len(w) < clip:  # pad the tail with its last frame; the padded actions are dropped
            w = np.concatenate([w, np.repeat(w[-1:], clip - len(w), 0)])
        windows.append(w)
    out = np.empty(len(starts) * (clip - 1), dtype=np.int64)
    dev = next(lam.parameters()).device
    for i in range(0, len(windows), batch):
        x = torch.from_numpy(np.stack(windows[i : i + batch])).to(dev).float().div_(255)
        if tuple(x.shape[2:4]) != size:
            B, K, H, W, C = x.shape
            x = F.interpolate(x.reshape(B * K, H, W, C).permute(0, 3, 1, 2), size=size, mode="area")
            x = x.permute(0, 2, 3, 1).reshape(B, K, *size, C)
        a = lam.infer_actions(x).cpu().numpy()
        out[i * (clip - 1) : i * (clip - 1) + a.size] = a.reshape(-1)
    return out[: T - 1]


def episodes_from_dataset(path, lam, max_episodes: int | None = None, progress: bool = False) -> list:
    from genie_studio.data.dataset import ClipDataset

    ds = ClipDataset(path)
    n = len(ds) if max_episodes is None else min(len(ds), int(max_episodes))
    out = []
    for i in range(n):
        frames = np.asarray(ds.episode(i))
        out.append((frames, lam_actions(lam, frames)))
    return out


def episodes_from_recording(path, model) -> tuple[list, str]:
    """-> ([episode], how it was labelled). Frame i of a recording was made by ``metas[i].action``."""
    from genie_studio.recording import Recording, model_identity

    rec = Recording(path)
    frames = np.stack(list(rec.frames()))
    actions = np.array([-1 if m["action"] is None else int(m["action"]) for m in rec.metas()[1:]], dtype=np.int64)
    own = rec.header.get("model") or {}
    same = own.get("config_sha256") and own.get("config_sha256") == model_identity(model)["config_sha256"]
    if same and len(rec.labels) == model.lam.cfg.num_actions:
        return [(frames, actions)], "recorded latent actions"
    return [(frames, lam_actions(model.lam, frames))], f"relabelled by the LAM (recorded with {own.get('name')!r})"


def load_inputs(paths, model, max_episodes: int | None = None) -> tuple[list, list[dict]]:
    """Recordings and datasets -> (episodes, one summary per input)."""
    from genie_studio.recording import is_recording

    episodes, summary = [], []
    for p in paths:
        p = Path(p)
        if is_recording(p):
            eps, how = episodes_from_recording(p, model)
            kind = "recording"
        elif (p / "manifest.json").is_file():
            eps, how, kind = episodes_from_dataset(p, model.lam, max_episodes), "latent actions from the LAM", "dataset"
        else:
            raise ValueError(f"{p}: neither a recording (recording.json) nor a clip dataset (manifest.json)")
        episodes += eps
        summary.append({"path": str(p), "kind": kind, "episodes": len(eps),
                        "transitions": int(sum((e[1] >= 0).sum() for e in eps)), "labels": how})
    return episodes, summary


def _index(episodes) -> np.ndarray:
    rows = []
    for e, (_, acts) in enumerate(episodes):
        t = np.flatnonzero(np.asarray(acts) >= 0)
        rows.append(np.stack([np.full_like(t, e), t], 1))
    return np.concatenate(rows) if rows else np.zeros((0, 2), dtype=np.int64)


def _batch(episodes, rows, K: int) -> tuple[np.ndarray, np.ndarray]:
    frames, targets = [], []
    for e, t in rows:
        f, a = episodes[e]
        idx = np.clip(np.arange(t - K + 1, t + 1), 0, None)
        frames.append(f[idx])
        targets.append(a[t])
    return np.stack(frames), np.asarray(targets, dtype=np.int64)


def train_policy(episodes, num_actions: int, *, steps: int = 1500, batch: int = 64, lr: float = 1e-3,
                 seed: int = 0, cfg: PolicyConfig | None = None, progress: bool = True,
                 desc: str = "policy") -> tuple[Policy, dict]:
    """Behaviour cloning: cross-entropy on (frames -> action). -> (policy in eval mode, summary)."""
    if not episodes:
        raise ValueError("no training episodes")
    H, W = episodes[0][0].shape[1:3]
    cfg = cfg or PolicyConfig(num_actions=int(num_actions), image_size=(min(H, 64), min(W, 64)))
    rows = _index(episodes)
    if len(rows) == 0:
        raise ValueError("no labelled transitions to learn from")
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 0xB0C])
    policy = Policy(cfg)
    opt = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    counts = np.bincount(np.array([episodes[e][1][t] for e, t in rows]), minlength=num_actions)
    from genie_studio.progress import progress_bar

    t0, losses, accs = time.monotonic(), [], []
    policy.train()
    with progress_bar(steps, desc, unit="step", enabled=progress) as bar:
        for _ in range(steps):
            x, y = _batch(episodes, rows[rng.integers(len(rows), size=batch)], cfg.frames)
            logits = policy(torch.from_numpy(x))
            loss = F.cross_entropy(logits, torch.from_numpy(y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            accs.append(float((logits.argmax(-1) == torch.from_numpy(y)).float().mean()))
            bar.update()
    policy.eval()
    summary = {"steps": steps, "batch": batch, "lr": lr, "seed": seed, "transitions": int(len(rows)),
               "episodes": len(episodes), "action_counts": counts.tolist(),
               "final_loss": round(float(np.mean(losses[-50:])), 4),
               "final_train_acc": round(float(np.mean(accs[-50:])), 4),
               "wall_time_s": round(time.monotonic() - t0, 1), "threads": torch.get_num_threads()}
    return policy, summary


def train_for_model(paths, model, **kw) -> tuple[Policy, dict]:
    """Latent-action policy for ``model`` from recordings and datasets."""
    episodes, inputs = load_inputs(paths, model, kw.pop("max_episodes", None))
    policy, summary = train_policy(episodes, model.lam.cfg.num_actions, **kw)
    summary["inputs"] = inputs
    summary["model_fingerprint"] = model_fingerprint(model)
    return policy, summary
