"""Interactive-speed benchmark (``genie-studio bench``): what a player feels.

All figures come from one run on one machine, so ratios are meaningful:
- bf16 matmul peak (a large square matmul) and the achieved GFLOP/s of a cached step;
- frames/s and p50/p95 step latency at default settings (KV cache, default MaskGIT steps);
- cached vs uncached (every MaskGIT iteration recomputes all context frames, as public Genie
  implementations do) at a full context of ``context`` frames;
- throughput of 1, 4 and 16 sessions stepped together (one batched forward) vs one after another.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.bundle import WorldModel


def matmul_peak(n: int = 2048, reps: int = 5) -> float:
    a = torch.randn(n, n, dtype=torch.bfloat16)
    b = torch.randn(n, n, dtype=torch.bfloat16)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def _pcts(xs: list[float]) -> dict:
    a = np.asarray(xs) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2),
            "mean_ms": round(float(a.mean()), 2)}


def _warm(s: WorldSession, prompt, frames: int):
    s.reset(prompt)
    for i in range(frames):
        s.step(i % len(s.labels))


def time_steps(s: WorldSession, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        s.step(i % len(s.labels))
        out.append(time.perf_counter() - t)
    return out


def step_flops(s: WorldSession) -> float:
    probe = s.fork()
    with FlopCounterMode(display=False) as c:
        probe.step(0)
    return float(c.get_total_flops())


def run_bench(wm: WorldModel, prompt, frames: int = 48, context: int = 16, quick: bool = False) -> dict:
    steps_default = WorldSession(wm).steps
    res: dict = {"model": wm.name, "threads": torch.get_num_threads(), "maskgit_steps": steps_default}
    res["bf16_matmul_peak_gflops"] = round(matmul_peak(1024 if quick else 2048), 1)

    s = WorldSession(wm, seed=0)
    _warm(s, prompt, 4)
    lat = time_steps(s, frames)
    flops = step_flops(s)
    res["default"] = {"frames_per_s": round(len(lat) / sum(lat), 2), **_pcts(lat),
                      "gflop_per_step": round(flops / 1e9, 3),
                      "achieved_gflops": round(flops / np.median(lat) / 1e9, 1)}
    res["default"]["fraction_of_peak"] = round(res["default"]["achieved_gflops"] / res["bf16_matmul_peak_gflops"], 3)

    n_ctx = max(4, frames // 4)
    cmp = {}
    for cached in (True, False):
        s = WorldSession(wm, seed=0, context=context, cached=cached)
        _warm(s, prompt, context)  # a full window of context
        lat = time_steps(s, n_ctx)
        cmp["cached" if cached else "uncached"] = {"frames_per_s": round(len(lat) / sum(lat), 2), **_pcts(lat)}
    cmp["speedup"] = round(cmp["uncached"]["p50_ms"] / cmp["cached"]["p50_ms"], 2)
    cmp["context_frames"] = context
    res["cached_vs_uncached"] = cmp

    batched = {}
    for n in ((1, 4) if quick else (1, 4, 16)):
        sess = [WorldSession(wm, seed=i) for i in range(n)]
        for x in sess:
            _warm(x, prompt, 2)
        reps = max(2, 24 // n)
        t = time.perf_counter()
        for r in range(reps):
            step_many(sess, [r % len(sess[0].labels)] * n)
        t_batch = time.perf_counter() - t
        t = time.perf_counter()
        for r in range(reps):
            for x in sess:
                x.step(r % len(x.labels))
        t_seq = time.perf_counter() - t
        batched[str(n)] = {"batched_frames_per_s": round(n * reps / t_batch, 2),
                           "sequential_frames_per_s": round(n * reps / t_seq, 2),
                           "ratio": round(t_seq / t_batch, 2)}
    res["batched_sessions"] = batched
    return res
