"""Synthetic recordings written with the real format helpers (no model needed)."""

import numpy as np
from PIL import Image

from genie_studio.recording import chunks, meta


def frame(i: int, h: int = 8, w: int = 12) -> np.ndarray:
    return np.full((h, w, 3), (i * 37) % 256, dtype=np.uint8)


def make_recording(folder, n: int = 12, per_chunk: int = 4, **header) -> list[np.ndarray]:
    """A closed recording of ``n`` frames, ``per_chunk`` records per chunk file; returns its frames."""
    (folder / "chunks").mkdir(parents=True)
    Image.fromarray(frame(0)).save(folder / meta.PROMPT)
    frames, entries, files = [], [], {}
    for i in range(n):
        f = frame(i)
        rec = chunks.encode({"i": i, "t": i / 15, "action": None if i == 0 else i % 4, "label": "", "inputs": [],
                             "steps": 2, "temperature": 1.0}, f)
        c = i // per_chunk
        entries.append(chunks.Entry(c, len(files.get(c, b"")), len(rec)))
        files[c] = files.get(c, b"") + rec
        frames.append(f)
    for c, data in files.items():
        chunks.chunk_path(folder, c).write_bytes(data)
    chunks.write_index(folder, entries)
    h = meta.new_header(name="t", model={"name": "m", "config_sha256": "0" * 64, "path": None}, seed=1, steps=2,
                        temperature=1.0, precision="fp32", context=None, resolution=(8, 12), labels=["a", "b"],
                        fps=15, clock="nominal")
    h.update({"closed": True, "frames": n, **header})
    meta.write_header(folder, h)
    return frames
