"""Training throughput of the `tiny` presets: tokens/s and achieved TFLOP/s as a fraction of this
machine's bf16 matmul peak, measured in the same run.

    python benchmarks/bench_train.py [--steps 6] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from genie_studio.session.bench import matmul_peak
from genie_studio.train.presets import get_preset
from genie_studio.world.config import DynamicsConfig, LAMConfig, TokenizerConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.lam import LatentActionModel
from genie_studio.world.tokenizer import Tokenizer


def _component(name: str):
    p = get_preset("tiny", name)
    B, T = p["batch"], p["clip_len"]
    if name == "tokenizer":
        m = Tokenizer(TokenizerConfig(**p["arch"]))
        x = torch.rand(B, T, 64, 64, 3)
        return m, (lambda: m.loss(x)[0]), B * T * 256
    if name == "lam":
        m = LatentActionModel(LAMConfig(**p["arch"]))
        x = torch.rand(B, T, 64, 64, 3)
        return m, (lambda: m.loss(x)[0]), B * T * 64
    m = Dynamics(DynamicsConfig(**p["arch"]))
    tok = torch.randint(0, 512, (B, T, 256))
    act = torch.randint(0, 8, (B, T - 1))
    return m, (lambda: m.loss(tok, act, generator=torch.Generator().manual_seed(0))[0]), B * T * 257


def bench(name: str, steps: int) -> dict:
    m, loss_fn, tokens = _component(name)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = loss_fn()
        loss.backward()
        opt.step()
        opt.zero_grad()

    with FlopCounterMode(display=False) as c:
        step()
    flops = c.get_total_flops()
    step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t) / steps
    return {"step_s": round(dt, 3), "tokens_per_s": round(tokens / dt), "tflops": round(flops / dt / 1e12, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    peak = matmul_peak() / 1000
    res = {"threads": torch.get_num_threads(), "bf16_matmul_peak_tflops": round(peak, 3)}
    for name in ("tokenizer", "lam", "dynamics"):
        r = bench(name, args.steps)
        r["fraction_of_peak"] = round(r["tflops"] / peak, 3)
        res[name] = r
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"bf16 matmul peak {peak:.3f} TFLOP/s ({res['threads']} threads)")
        for name in ("tokenizer", "lam", "dynamics"):
            r = res[name]
            print(f"  {name:9} {r['tokens_per_s']:>8} tokens/s  {r['tflops']:.3f} TFLOP/s  "
                  f"{r['fraction_of_peak']:.0%} of peak  ({r['step_s']} s/step)")


if __name__ == "__main__":
    main()
