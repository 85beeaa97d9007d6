"""Data-generation throughput per style at 64x64, single process (frames/s per core).

Includes everything make_episode does per episode: level generation, strip rendering, agent, physics
and per-frame composition.  Usage: python benchmarks/bench_data.py [--episodes N] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from genie_studio.data.render import STYLES, make_episode


def bench(style: str, episodes: int, length: int, resolution=(64, 64)) -> float:
    make_episode(0, style, resolution, 4)  # warm imports
    t = time.perf_counter()
    for s in range(episodes):
        make_episode(1000 + s, style, resolution, length)
    return episodes * length / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--episode-len", type=int, default=64)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res = {s: round(bench(s, a.episodes, a.episode_len), 1) for s in STYLES}
    if a.json:
        print(json.dumps({"resolution": [64, 64], "episode_len": a.episode_len, "frames_per_s": res}))
    else:
        for s, v in res.items():
            print(f"{s:<8} {v:10.0f} frames/s (64x64, episode_len {a.episode_len}, 1 process)")


if __name__ == "__main__":
    main()
