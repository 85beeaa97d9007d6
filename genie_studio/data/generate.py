"""Render datasets of platformer episodes, optionally in parallel worker processes.

Episode i gets seed ``episode_seed(seed, i)`` and style ``styles[i % len(styles)]`` (round-robin);
episodes are written in index order, so the bytes do not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import numpy as np

from genie_studio.data.dataset import DatasetWriter
from genie_studio.data.render import STYLES, make_episode, resolve_resolution


def episode_seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(i), 0x6E]).generate_state(1, np.uint32)[0])


def _job(args):
    s, style, res, length = args
    return make_episode(s, style, res, length)


def generate_dataset(out, episodes: int, styles=("sketch",), seed: int = 0, resolution=(64, 64),
                     episode_len: int = 64, workers: int = 1, progress: bool = True,
                     overwrite: bool = False) -> Path:
    """Render ``episodes`` episodes into a new dataset folder ``out`` and return its path."""
    if isinstance(styles, str):
        styles = [s.strip() for s in styles.split(",") if s.strip()]
    styles = list(styles)
    for s in styles:
        if s not in STYLES:
            raise ValueError(f"unknown style {s!r}; known: {', '.join(STYLES)}")
    if episodes < 1 or episode_len < 2:
        raise ValueError("need at least 1 episode of at least 2 frames")
    h, w = resolve_resolution(resolution)
    jobs = [(episode_seed(seed, i), styles[i % len(styles)], (h, w), episode_len) for i in range(episodes)]
    writer = DatasetWriter(out, (h, w), labels=True, overwrite=overwrite)
    from genie_studio.progress import progress_bar

    with progress_bar(episodes, "generate", enabled=progress, unit="ep") as bar:
        if workers > 1:
            with mp.get_context("spawn").Pool(workers) as pool:
                for frames, actions, positions in pool.imap(_job, jobs, chunksize=4):
                    writer.add(frames, actions, positions)
                    bar.update()
        else:
            for job in jobs:
                writer.add(*_job(job))
                bar.update()
    return writer.close(
        source="procedural-platformer",
        styles=styles,
        seed=int(seed),
        seeds=[j[0] for j in jobs] if episodes <= 10000 else None,
        generator={"episode_len": episode_len, "style_assignment": "round-robin",
                   "episode_seed": "SeedSequence([seed, i, 0x6E])", "agent": "ExplorerAgent",
                   "actions": ["noop", "left", "right", "jump", "left+jump", "right+jump"]},
    )
