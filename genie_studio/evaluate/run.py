"""Evaluate a model on a clip dataset (held-out seeds): tokenizer PSNR/SSIM; LAM NMI and best
one-to-one accuracy against ground-truth actions; dynamics teacher-forced token accuracy,
autoregressive PSNR over 16 frames driven by the LAM's inferred actions, and Genie's ΔtPSNR at t=4
(PSNR with inferred actions minus PSNR with random actions)."""

from __future__ import annotations

import numpy as np
import torch

from genie_studio.data.dataset import ClipDataset
from genie_studio.evaluate.metrics import mapping_accuracy, nmi, psnr, ssim
from genie_studio.pathnames import portable_path
from genie_studio.progress import progress_bar
from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.bundle import WorldModel

BF16 = dict(device_type="cpu", dtype=torch.bfloat16)


def _clips(ds: ClipDataset, n: int, length: int, rng: np.random.Generator):
    eps = [i for i in range(len(ds)) if ds.length(i) >= length]
    if not eps:
        raise ValueError(f"{ds.path}: no episode has {length} frames")
    out, acts = [], []
    for e in rng.choice(eps, size=n, replace=len(eps) < n):
        start = int(rng.integers(0, ds.length(e) - length + 1))
        out.append(np.asarray(ds.episode(e)[start:start + length]))
        a = ds.actions(e)
        acts.append(None if a is None else a[start:start + length])
    return np.stack(out), acts


def _f(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x).float().div(255)


@torch.no_grad()
def evaluate_tokenizer(wm: WorldModel, ds: ClipDataset, frames: int = 256, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    clips, _ = _clips(ds, frames, 1, rng)
    recs, used = [], set()
    for i in range(0, len(clips), 64):
        x = _f(clips[i:i + 64])
        with torch.autocast(**BF16):
            idx = wm.tokenizer.encode(x)
            recs.append(wm.tokenizer.decode(idx).float().clamp(0, 1).numpy())
        used.update(idx.unique().tolist())
    rec = np.concatenate(recs)
    ref = clips.astype(np.float32) / 255
    return {"psnr": psnr(rec, ref), "ssim": ssim(rec[:, 0], ref[:, 0]), "codes_used": len(used),
            "codebook": wm.tokenizer.cfg.codebook, "frames": len(clips)}


@torch.no_grad()
def evaluate_lam(wm: WorldModel, ds: ClipDataset, clips: int = 96, length: int = 8, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed + 1)
    x, acts = _clips(ds, clips, length, rng)
    pred = []
    for i in range(0, len(x), 32):
        with torch.autocast(**BF16):
            pred.append(wm.lam.infer_actions(_f(x[i:i + 32])).numpy())
    pred = np.concatenate(pred)
    out = {"codes_used": int(len(np.unique(pred))), "num_actions": wm.lam.cfg.num_actions,
           "usage": np.bincount(pred.ravel(), minlength=wm.lam.cfg.num_actions).tolist()}
    if acts[0] is not None:
        true = np.stack([a[:-1] for a in acts])
        out["nmi"] = nmi(pred, true)
        acc, mapping = mapping_accuracy(pred, true)
        out["accuracy"], out["mapping"] = acc, {str(k): v for k, v in mapping.items()}
    return out


@torch.no_grad()
def evaluate_dynamics(wm: WorldModel, ds: ClipDataset, clips: int = 16, horizon: int = 16, seed: int = 0,
                      steps: int | None = None, temperature: float | None = None) -> dict:
    rng = np.random.default_rng(seed + 2)
    x, _ = _clips(ds, clips, horizon + 1, rng)
    xf = _f(x)
    with torch.autocast(**BF16):
        inferred = wm.lam.infer_actions(xf)  # [N, horizon]
        tokens = wm.tokenizer.encode(xf)
    dyn = wm.dynamics
    ctx = min(dyn.cfg.context, horizon + 1)
    inp = tokens[:, :ctx].clone()
    inp[:, -1] = dyn.mask_id
    act_in = torch.cat([torch.full((len(x), 1), dyn.no_action), inferred[:, :ctx - 1]], 1)
    with torch.autocast(**BF16):
        logits = dyn(inp, act_in)[:, -1]
    token_acc = float((logits.argmax(-1) == tokens[:, ctx - 1]).float().mean())
    kw = {}
    if steps is not None:
        kw["steps"] = steps
    if temperature is not None:
        kw["temperature"] = temperature
    g = np.random.default_rng(seed + 3)
    random_actions = g.integers(0, dyn.cfg.num_actions, size=inferred.shape)
    result = {"teacher_forced_token_acc": token_acc, "clips": len(x), "horizon": horizon}
    per_t = {}
    for name, acts in (("inferred", inferred.numpy()), ("random", random_actions)):
        sessions = [WorldSession(wm, seed=seed + i, **kw) for i in range(len(x))]
        for s, clip in zip(sessions, x):
            s.reset(clip[0])
        gen = []
        for t in range(horizon):
            gen.append(np.stack(step_many(sessions, [int(a) for a in acts[:, t]])))
        gen = np.stack(gen, 1).astype(np.float32) / 255  # [N, horizon, H, W, 3]
        ref = x[:, 1:].astype(np.float32) / 255
        per_t[name] = [psnr(gen[:, t], ref[:, t]) for t in range(horizon)]
    first = x[:, 0].astype(np.float32) / 255
    copy = [psnr(first, x[:, t + 1].astype(np.float32) / 255) for t in range(horizon)]
    t4 = min(4, horizon) - 1
    result.update({
        "psnr_autoregressive": float(np.mean(per_t["inferred"])),
        "psnr_per_frame": [round(v, 2) for v in per_t["inferred"]],
        "psnr_t4": per_t["inferred"][t4], "psnr_t4_random_actions": per_t["random"][t4],
        "delta_psnr_t4": per_t["inferred"][t4] - per_t["random"][t4],
        "psnr_t4_copy_first_frame": copy[t4],
    })
    return result


def evaluate_model(wm: WorldModel, ds: ClipDataset, seed: int = 0, quick: bool = False,
                   progress: bool = False) -> dict:
    out = {"model": wm.name, "data": portable_path(ds.path), "styles": ds.manifest.get("styles")}
    with progress_bar(3, "dataset metrics", unit="part", enabled=progress) as bar:
        if wm.tokenizer is not None:
            out["tokenizer"] = evaluate_tokenizer(wm, ds, frames=64 if quick else 256, seed=seed)
        bar.update(1)
        if wm.lam is not None:
            out["lam"] = evaluate_lam(wm, ds, clips=16 if quick else 96, seed=seed)
        bar.update(1)
        if wm.dynamics is not None and wm.lam is not None and wm.tokenizer is not None:
            out["dynamics"] = evaluate_dynamics(wm, ds, clips=4 if quick else 16, horizon=16, seed=seed)
        bar.update(1)
    return out
