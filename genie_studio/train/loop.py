"""The training loop shared by the three components.

bf16 autocast (CPU and CUDA), AdamW with warmup + cosine decay, gradient clipping, dead-code reset
for quantizers, atomic periodic checkpoints with exact resume (weights, optimiser, schedule, data
position, RNG), a progress bar and a JSON-lines log with loss, codebook use, tokens/s and achieved
TFLOP/s. Under torchrun it runs DistributedDataParallel (gloo on CPU, nccl on CUDA).
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import time
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.flop_counter import FlopCounterMode

from genie_studio.data.dataset import ClipDataset, ClipLoader
from genie_studio.pathnames import portable_path
from genie_studio.progress import progress_bar
from genie_studio.session import devices
from genie_studio.train import checkpoint
from genie_studio.train.presets import get_preset
from genie_studio.train.tasks import LossModule, build_task, compute_loss
from genie_studio.world.bundle import read_meta, read_weights, save_component

log = logging.getLogger(__name__)


BUDGET_PROBE = 20  # steps timed before a time budget fixes the run's length


def resolve_device(name: str = "auto") -> torch.device:
    return torch.device(devices.resolve_device(name))


def _dist_env() -> tuple[int, int]:
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def _lr_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))


def _optimizer(model: torch.nn.Module, lr: float) -> torch.optim.AdamW:
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    other = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95))


def _merge(base: dict, over: dict | None) -> dict:
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k].update(v)
        else:
            base[k] = v
    return base


def train_component(component: str, data_dirs: list, out, preset: str = "tiny", max_steps: int | None = None,
                    resume: bool = False, device: str = "auto", seed: int = 0, progress: bool = True,
                    overrides: dict | None = None, ckpt_every: int = 100, log_every: int = 10,
                    precision: str = "auto", time_budget_s: float | None = None, init: str | None = None) -> dict:
    """Train one component (resuming from OUT/.train/COMPONENT with ``resume``). With ``time_budget_s``
    the run's length is fitted to the budget once the step rate is known (after ``BUDGET_PROBE`` steps):
    fewer steps, with the whole learning-rate schedule, so that a one-shot run (scripts/train_gpu.sh)
    ends in time; a resumed run keeps the length it was given. ``init``: a model folder whose weights
    for this component start the run (``warm_start``)."""
    out = Path(out)
    rank, world = _dist_env()
    dev = resolve_device(device)
    precision = devices.resolve_precision(precision, dev.type)  # auto: bf16 on CUDA and CPUs with bf16 instructions
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    p = _merge(get_preset(preset, component), overrides)
    datasets = [ClipDataset(d) for d in data_dirs]
    sizes = {tuple(d.resolution) for d in datasets}
    if len(sizes) != 1:
        raise ValueError(f"datasets have different resolutions {sorted(sizes)}; train on one resolution")
    image_size = sizes.pop()
    torch.manual_seed(seed)
    task = build_task(component, p["arch"], image_size, out, dev)
    model = task.model.to(dev)
    warm = warm_start(model, component, init, out) if init and not resume else None
    wrapped = LossModule(model)
    if world > 1:
        wrapped = DDP(wrapped)
    opt = _optimizer(model, p["lr"])
    total = int(max_steps or p["steps"])
    loader = ClipLoader(datasets, p["clip_len"], p["batch"], seed, rank=rank, world_size=world)
    ck_dir = out / ".train" / component
    step, elapsed = 0, 0.0
    # FLOPs are counted once, on a run's first step, and kept in the checkpoint: counting dispatches
    # convolutions differently, so counting again after a resume would break exact resume.
    flops_per_step = None
    if resume and checkpoint.exists(ck_dir):
        state = checkpoint.load(ck_dir, model, opt)
        step, elapsed = state["step"], state.get("elapsed", 0.0)
        flops_per_step = state.get("flops_per_step")
        if max_steps is None:  # the length the run was given (a time budget may have shortened it)
            total = int(state.get("total", total))
        loader.load_state_dict(state["loader"])
        log.info("resumed %s at step %d", component, step)
    out.mkdir(parents=True, exist_ok=True)
    log_file = out / f"train-{component}.jsonl"
    vq = getattr(model, "vq", None)
    reset_every = p.get("reset_every", 0)
    tokens_per_step = p["batch"] * world * p["clip_len"] * _tokens_per_frame(model)
    t_last, n_since = time.monotonic(), 0
    metrics: dict = {}
    # resumed runs start the bar at `step`: tqdm then counts rate and ETA from this run's steps only
    bar = progress_bar(total, f"train {component}", enabled=progress and rank == 0, unit="step", initial=step)
    model.train()
    probe_at = step + BUDGET_PROBE if time_budget_s and not resume else None
    while step < total:
        t0 = time.monotonic()
        for g in opt.param_groups:
            g["lr"] = p["lr"] * _lr_factor(step, p["warmup"], total)
        batch = next(loader)
        gen = torch.Generator().manual_seed(seed * 1_000_003 + step * 101 + rank)
        counter = FlopCounterMode(display=False) if flops_per_step is None else None
        with counter if counter else nullcontext():
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss, metrics, z = compute_loss(component, wrapped, task, batch, dev, generator=gen)
            loss.backward()
        if counter:
            flops_per_step = counter.get_total_flops() * world
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        if vq is not None and reset_every and step % reset_every == 0:
            metrics["reset_codes"] = vq.reset_dead(z, generator=gen)
            if world > 1:
                dist.broadcast(vq.codebook.data, 0)
                dist.broadcast(vq.usage, 0)
        elapsed += time.monotonic() - t0
        n_since += 1
        bar.update(1)
        if step == probe_at:
            total = min(total, max(step, int(time_budget_s / (elapsed / step))))
            bar.total = total
            log.info("%s: %.2f steps/s, %d steps fit the %.0f s budget", component, step / elapsed, total,
                     time_budget_s)
        if rank == 0 and (step % log_every == 0 or step == total):
            dt = max(time.monotonic() - t_last, 1e-9)
            rec = {"step": step, "loss": float(loss.detach()), "lr": opt.param_groups[0]["lr"],
                   "grad_norm": float(gnorm), "tokens_per_s": tokens_per_step * n_since / dt,
                   "tflops": (flops_per_step or 0) * n_since / dt / 1e12, "elapsed_s": elapsed,
                   "steps_per_s": n_since / dt, "eta_s": (total - step) * dt / n_since, **metrics}
            with open(log_file, "a") as f:
                f.write(json.dumps(rec) + "\n")
            bar.set_postfix(loss=f"{rec['loss']:.4f}", refresh=False)
            if bar.disable and progress:
                log.info("%s step %d/%d loss %.4f, %.2f steps/s, ETA %.0f s %s", component, step, total, rec["loss"],
                         rec["steps_per_s"], rec["eta_s"],
                         {k: round(v, 3) if isinstance(v, float) else v for k, v in metrics.items()})
            t_last, n_since = time.monotonic(), 0
        if step % ckpt_every == 0 or step == total:
            if rank == 0:
                checkpoint.save(ck_dir, model, opt, {"step": step, "elapsed": elapsed, "loader": loader.state_dict(),
                                                     "flops_per_step": flops_per_step, "total": total,
                                                     "preset": preset, "component": component})
            if world > 1:
                dist.barrier()
    bar.close()
    summary = {"preset": preset, "steps": total, "wall_time_s": round(elapsed, 1), "processes": world,
               "device": str(dev), "hardware": platform.processor() or platform.machine(),
               "threads": torch.get_num_threads(), "final": metrics,
               **({"init": warm} if warm else {}),
               "data": [{"path": portable_path(p_),  # as given, never this machine's absolute path
                         "styles": d.manifest.get("styles"), "episodes": len(d),
                         "frames": d.manifest.get("frames")} for d, p_ in zip(datasets, data_dirs)]}
    if rank == 0:
        meta = read_meta(out) if (out / "config.json").exists() else {}
        training = dict(meta.get("training", {}))
        training[component] = summary
        save_component(out, component, model, dtype=torch.bfloat16,
                       meta_update={"training": training, "name": meta.get("name", out.name)})
    if world > 1:
        dist.barrier()
    return summary


def warm_start(model: torch.nn.Module, component: str, init, out: Path) -> dict:
    """Copy ``init``'s weights of ``component`` into ``model`` wherever a tensor's name and shape match
    (a new head, a changed size start fresh). The dynamics model's action embedding means the codes of
    the LAM it was trained with: it starts fresh unless ``out`` holds the same LAM weights."""
    src = Path(init) / f"{component}.safetensors"
    if not src.is_file():
        raise FileNotFoundError(f"--init {init}: no {component}.safetensors there")
    state, own = read_weights(src), model.state_dict()
    fresh = set()
    if component == "dynamics":
        mine, theirs = out / "lam.safetensors", Path(init) / "lam.safetensors"
        if not (mine.is_file() and theirs.is_file() and mine.read_bytes() == theirs.read_bytes()):
            fresh = {"act_emb.weight"}
    copied = [k for k, v in state.items() if k in own and k not in fresh and tuple(v.shape) == tuple(own[k].shape)]
    with torch.no_grad():
        for k in copied:
            own[k].copy_(state[k].to(own[k].dtype))
    log.info("%s: %d of %d tensors from %s", component, len(copied), len(own), src)
    return {"from": portable_path(init), "tensors": len(copied), "of": len(own)}


def _tokens_per_frame(model) -> int:
    cfg = model.cfg
    if hasattr(cfg, "tokens_hw"):
        return cfg.tokens_hw[0] * cfg.tokens_hw[1]
    return (cfg.image_size[0] // cfg.patch) * (cfg.image_size[1] // cfg.patch)
