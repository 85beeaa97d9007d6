"""The clip dataset format, its writer, reader and a deterministic, resumable, rank-split loader.

On disk (a folder)::

    manifest.json            format version, resolution [H, W], fps, styles, seeds, counts, settings
    index.npy                int64 [E, 3]: (shard, start row, length) per episode
    frames-00000.npy ...     uint8 [N, H, W, 3] shards (np.load(..., mmap_mode="r"))
    labels/actions-00000.npy int8 [N]   action[t] applied between frame t and t+1, -1 for the last
    labels/positions-00000.npy float32 [N, 2] player screen (x, y) in pixels (NaN while dead)

Labels are for evaluation only (imported footage has none). Every file is written to a temporary name
and renamed; the manifest is written last, so a folder with a manifest is complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from genie_studio.fsutil import atomic_write_json

FORMAT_VERSION = 1
FPS = 15


def _atomic_save(path: Path, arr: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, arr)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DatasetWriter:
    """Append episodes; shards close at ``shard_bytes``; ``close(manifest_extra)`` writes the manifest."""

    def __init__(self, out, resolution, labels: bool, shard_bytes: int = 256 << 20, overwrite: bool = False):
        self.out = Path(out)
        if (self.out / "manifest.json").exists() and not overwrite:
            raise FileExistsError(f"{self.out} already holds a dataset (manifest.json exists)")
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "manifest.json").unlink(missing_ok=True)
        self.h, self.w = resolution
        self.labels = labels
        if labels:
            (self.out / "labels").mkdir(exist_ok=True)
        self.shard_frames = max(1, shard_bytes // (self.h * self.w * 3))
        self.index: list[tuple[int, int, int]] = []
        self._buf: list[np.ndarray] = []
        self._act: list[np.ndarray] = []
        self._pos: list[np.ndarray] = []
        self._rows = 0
        self.shard = 0
        self.frames = 0

    def add(self, frames: np.ndarray, actions=None, positions=None) -> None:
        frames = np.asarray(frames, dtype=np.uint8)
        if frames.ndim != 4 or frames.shape[1:] != (self.h, self.w, 3):
            raise ValueError(f"episode frames must be [T,{self.h},{self.w},3], got {frames.shape}")
        if self._rows and self._rows + len(frames) > self.shard_frames:
            self._flush()
        self.index.append((self.shard, self._rows, len(frames)))
        self._buf.append(frames)
        if self.labels:
            self._act.append(np.asarray(actions, dtype=np.int8))
            self._pos.append(np.asarray(positions, dtype=np.float32))
        self._rows += len(frames)
        self.frames += len(frames)

    def _flush(self) -> None:
        if not self._buf:
            return
        name = f"{self.shard:05d}.npy"
        _atomic_save(self.out / f"frames-{name}", np.concatenate(self._buf))
        if self.labels:
            _atomic_save(self.out / "labels" / f"actions-{name}", np.concatenate(self._act))
            _atomic_save(self.out / "labels" / f"positions-{name}", np.concatenate(self._pos))
        self._buf, self._act, self._pos = [], [], []
        self._rows = 0
        self.shard += 1

    def close(self, **manifest) -> Path:
        self._flush()
        _atomic_save(self.out / "index.npy", np.array(self.index, dtype=np.int64).reshape(-1, 3))
        lengths = [n for _, _, n in self.index]
        doc = {
            "format": "genie-studio-clips",
            "format_version": FORMAT_VERSION,
            "resolution": [self.h, self.w],
            "fps": FPS,
            "episodes": len(self.index),
            "frames": self.frames,
            "shards": self.shard,
            "episode_length": (lengths[0] if lengths and len(set(lengths)) == 1 else None),
            "has_labels": self.labels,
        }
        doc.update(manifest)
        atomic_write_json(self.out / "manifest.json", doc)
        return self.out


class ClipDataset:
    """Read-only view of a dataset folder; frames are memory-mapped."""

    def __init__(self, path):
        self.path = Path(path)
        mf = self.path / "manifest.json"
        if not mf.exists():
            raise FileNotFoundError(f"{self.path} is not a clip dataset (no manifest.json)")
        self.manifest = json.loads(mf.read_text())
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{self.path}: unsupported dataset format version "
                             f"{self.manifest.get('format_version')!r} (expected {FORMAT_VERSION})")
        self.resolution = tuple(self.manifest["resolution"])
        self.index = np.load(self.path / "index.npy")
        self.has_labels = bool(self.manifest.get("has_labels"))
        self._shards: dict[tuple[str, int], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.index)

    def _shard(self, kind: str, k: int) -> np.ndarray:
        key = (kind, k)
        if key not in self._shards:
            p = self.path / (f"frames-{k:05d}.npy" if kind == "frames" else f"labels/{kind}-{k:05d}.npy")
            self._shards[key] = np.load(p, mmap_mode="r")
        return self._shards[key]

    def length(self, i: int) -> int:
        return int(self.index[i, 2])

    def _slice(self, kind: str, i: int) -> np.ndarray:
        k, s, n = (int(v) for v in self.index[i])
        return self._shard(kind, k)[s : s + n]

    def episode(self, i: int) -> np.ndarray:
        return self._slice("frames", i)

    def actions(self, i: int) -> np.ndarray | None:
        return self._slice("actions", i).astype(np.int64) if self.has_labels else None

    def positions(self, i: int) -> np.ndarray | None:
        return np.asarray(self._slice("positions", i), dtype=np.float32) if self.has_labels else None

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    # pickling for worker processes: drop the open memmaps
    def __getstate__(self):
        d = dict(self.__dict__)
        d["_shards"] = {}
        return d


class ClipLoader:
    """Infinite iterator of {"frames": uint8 [B,T,H,W,3], "actions": int64 [B,T]} batches.

    Step k draws a global batch of ``batch_size * world_size`` clips from ``rng([seed, k])``: a dataset
    by ``weights``, an episode proportional to its number of valid clip starts, a uniform offset.
    Rank r keeps rows r*B..(r+1)*B, so the global stream does not depend on the number of processes.
    """

    def __init__(self, datasets, clip_len: int, batch_size: int, seed: int, weights=None,
                 rank: int = 0, world_size: int = 1):
        if not datasets:
            raise ValueError("ClipLoader needs at least one dataset")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world_size {world_size}")
        res = {tuple(d.resolution) for d in datasets}
        if len(res) != 1:
            raise ValueError(f"datasets have different resolutions: {sorted(res)}")
        self.datasets = list(datasets)
        self.clip_len, self.batch_size, self.seed = int(clip_len), int(batch_size), int(seed)
        self.rank, self.world_size = rank, world_size
        w = np.ones(len(datasets)) if weights is None else np.asarray(weights, dtype=np.float64)
        self._eps, self._cum = [], []
        for d in self.datasets:
            starts = np.maximum(d.index[:, 2] - self.clip_len + 1, 0).astype(np.float64)
            self._eps.append(np.flatnonzero(starts > 0))
            self._cum.append(np.cumsum(starts[starts > 0]))
        usable = np.array([len(e) > 0 for e in self._eps])
        if not usable.any():
            raise ValueError(f"no episode is at least clip_len={clip_len} frames long")
        w = np.where(usable, w, 0.0)
        self.weights = w / w.sum()
        self.step = 0

    def __iter__(self):
        return self

    def draw(self, step: int) -> list[tuple[int, int, int]]:
        """The global batch of step ``step``: (dataset, episode, offset) per row."""
        rng = np.random.default_rng([self.seed, step])
        g = self.batch_size * self.world_size
        ds = rng.choice(len(self.datasets), size=g, p=self.weights)
        u = rng.random((g, 2))
        rows = []
        for j in range(g):
            d = int(ds[j])
            cum = self._cum[d]
            k = int(np.searchsorted(cum, u[j, 0] * cum[-1], side="right"))
            ep = int(self._eps[d][min(k, len(cum) - 1)])
            n = self.datasets[d].length(ep) - self.clip_len + 1
            rows.append((d, ep, int(u[j, 1] * n)))
        return rows

    def __next__(self) -> dict:
        rows = self.draw(self.step)[self.rank * self.batch_size : (self.rank + 1) * self.batch_size]
        self.step += 1
        T = self.clip_len
        h, w = self.datasets[0].resolution
        frames = np.empty((len(rows), T, h, w, 3), dtype=np.uint8)
        actions = np.full((len(rows), T), -1, dtype=np.int64)
        for b, (d, ep, off) in enumerate(rows):
            ds = self.datasets[d]
            frames[b] = ds.episode(ep)[off : off + T]
            if ds.has_labels:
                actions[b] = ds.actions(ep)[off : off + T]
        return {"frames": frames, "actions": actions}

    def state_dict(self) -> dict:
        return {"step": self.step, "seed": self.seed, "clip_len": self.clip_len,
                "global_batch": self.batch_size * self.world_size}

    def load_state_dict(self, d: dict) -> None:
        if int(d["seed"]) != self.seed or int(d["clip_len"]) != self.clip_len:
            raise ValueError("loader state was saved with a different seed or clip length")
        if int(d.get("global_batch", self.batch_size * self.world_size)) != self.batch_size * self.world_size:
            raise ValueError("loader state was saved with a different global batch size")
        self.step = int(d["step"])
