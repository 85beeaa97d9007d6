"""The append-only chunk files and index of a recording (format: docs/recording-format.md).

A frame is one *record* in a chunk file ``chunks/chunk-NNNNNN.gsr``::

    b"GSRF" | u32 meta_len | u32 payload_len | u32 crc32(meta + payload) | meta (JSON) | payload (zlib RGB)

``index.jsonl`` has one line per record (``{"i", "chunk", "offset", "size"}``), appended after the
record itself is on disk. Readers use the index, then scan the chunks past its end: records written
but not indexed before a crash are recovered, and a torn record (bad length or CRC) ends the scan.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genie_studio.fsutil import atomic_write_text

MAGIC = b"GSRF"
HEAD = struct.Struct("<4sIII")
CHUNK_FRAMES = 256  # records per chunk file
MAX_META = 1 << 20
MAX_PAYLOAD = 1 << 28


class RecordingError(Exception):
    """A recording that cannot be read or changed; the message names the file and what to do."""


@dataclass(frozen=True)
class Entry:
    chunk: int
    offset: int
    size: int


def chunk_path(folder: Path, n: int) -> Path:
    return folder / "chunks" / f"chunk-{n:06d}.gsr"


def encode(meta: dict, frame: np.ndarray) -> bytes:
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"a frame must be an [H, W, 3] uint8 array, got shape {frame.shape}")
    meta = dict(meta, shape=list(frame.shape))
    m = json.dumps(meta, separators=(",", ":")).encode()
    p = zlib.compress(frame.tobytes(), 1)
    return HEAD.pack(MAGIC, len(m), len(p), zlib.crc32(m + p)) + m + p


def decode(buf: bytes, where: str = "record") -> tuple[dict, np.ndarray]:
    meta = decode_meta(buf, where)
    m_len = HEAD.unpack_from(buf)[1]
    raw = zlib.decompress(buf[HEAD.size + m_len:])
    frame = np.frombuffer(raw, dtype=np.uint8).reshape(meta["shape"])
    return meta, frame


def decode_meta(buf: bytes, where: str = "record") -> dict:
    if len(buf) < HEAD.size:
        raise RecordingError(f"{where}: truncated")
    magic, m_len, p_len, crc = HEAD.unpack_from(buf)
    if magic != MAGIC or len(buf) != HEAD.size + m_len + p_len:
        raise RecordingError(f"{where}: not a frame record (damaged file)")
    body = buf[HEAD.size:]
    if zlib.crc32(body) != crc:
        raise RecordingError(f"{where}: checksum mismatch (damaged file)")
    return json.loads(body[:m_len])


def read_entry(folder: Path, e: Entry) -> bytes:
    with open(chunk_path(folder, e.chunk), "rb") as f:
        f.seek(e.offset)
        return f.read(e.size)


def scan_chunk(path: Path, start: int = 0) -> list[tuple[int, int]]:
    """Valid records of one chunk file from ``start``: [(offset, size)], stopping at a torn record."""
    out = []
    try:
        f = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return out
    with f:
        off = start
        while True:
            f.seek(off)
            head = f.read(HEAD.size)
            if len(head) < HEAD.size:
                break
            magic, m_len, p_len, crc = HEAD.unpack(head)
            if magic != MAGIC or m_len > MAX_META or p_len > MAX_PAYLOAD:
                break
            body = f.read(m_len + p_len)
            if len(body) < m_len + p_len or zlib.crc32(body) != crc:
                break
            out.append((off, HEAD.size + m_len + p_len))
            off += HEAD.size + m_len + p_len
    return out


def load_entries(folder: Path) -> tuple[list[Entry], bool]:
    """All durable records in order. Returns (entries, recovered) where ``recovered`` says that
    records past the index or a torn tail were found (the recording was not closed cleanly)."""
    entries: list[Entry] = []
    recovered = False
    index = folder / "index.jsonl"
    if index.exists():
        with open(index, "rb") as f:
            for line in f:
                try:
                    d = json.loads(line)
                    e = Entry(int(d["chunk"]), int(d["offset"]), int(d["size"]))
                except (ValueError, KeyError, TypeError):
                    recovered = True  # a torn last line
                    break
                if d.get("i") != len(entries):
                    recovered = True
                    break
                entries.append(e)
    # Drop index entries whose record is not fully on disk, then scan past the last good one.
    while entries:
        last = entries[-1]
        p = chunk_path(folder, last.chunk)
        if p.exists() and p.stat().st_size >= last.offset + last.size:
            break
        entries.pop()
        recovered = True
    chunk, pos = (entries[-1].chunk, entries[-1].offset + entries[-1].size) if entries else (0, 0)
    while chunk_path(folder, chunk).exists():
        extra = scan_chunk(chunk_path(folder, chunk), pos)
        if extra:
            recovered = True
        entries.extend(Entry(chunk, o, s) for o, s in extra)
        end = extra[-1][0] + extra[-1][1] if extra else pos
        if end < chunk_path(folder, chunk).stat().st_size:
            recovered = True  # torn tail
            break
        chunk, pos = chunk + 1, 0
    return entries, recovered


def write_index(folder: Path, entries: list[Entry]) -> None:
    lines = "".join(json.dumps({"i": i, "chunk": e.chunk, "offset": e.offset, "size": e.size}) + "\n"
                    for i, e in enumerate(entries))
    atomic_write_text(folder / "index.jsonl", lines)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
