"""The append-only chunk files and index of a recording (format: docs/recording-format.md).

A frame is one *record* in a chunk file ``chunks/chunk-NNNNNN.gsr``::

    b"GSRF" | u32 meta_len | u32 payload_len | u32 crc32(meta + payload) | meta (JSON) | payload (zlib RGB)

``index.jsonl`` has one line per record (``{"i", "chunk", "offset", "size"}``), appended after the
record itself is on disk. Readers check every record (length, CRC, metadata) and compare with the
index: records written but not indexed before a crash are recovered, and a damaged record costs only
itself (the scan resumes at the next record header), like a damaged page in SQLite.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genie_studio.fsutil import NotRegularFile, atomic_write_text, open_regular

MAGIC = b"GSRF"
HEAD = struct.Struct("<4sIII")
CHUNK_FRAMES = 256  # records per chunk file
MAX_META = 1 << 20
MAX_PAYLOAD = 1 << 26  # bytes of compressed frame
MAX_SIDE = 4096  # frame height or width


class RecordingError(Exception):
    """A recording that cannot be read or changed; the message names the file and what to do."""


@dataclass(frozen=True)
class Entry:
    chunk: int
    offset: int
    size: int


def chunk_path(folder: Path, n: int) -> Path:
    return folder / "chunks" / f"chunk-{n:06d}.gsr"


def check_chunks_dir(folder: Path) -> None:
    """A recording keeps its chunks in a real folder inside it: a ``chunks`` link (which ``repair``
    would write through, to files elsewhere) is refused."""
    d = folder / "chunks"
    try:
        leads_out = d.is_symlink() or (d.exists() and (not d.is_dir() or d.resolve().parent != folder.resolve()))
    except (OSError, RuntimeError):
        leads_out = True
    if leads_out:
        raise RecordingError(f"{d}: not a folder inside the recording (a link or a file); a recording keeps "
                             "its chunks in it: replace the link with the folder it points to")


def encode(meta: dict, frame: np.ndarray) -> bytes:
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"a frame must be an [H, W, 3] uint8 array, got shape {frame.shape}")
    meta = dict(meta, shape=list(frame.shape))
    m = json.dumps(meta, separators=(",", ":")).encode()
    p = zlib.compress(frame.tobytes(), 1)
    return HEAD.pack(MAGIC, len(m), len(p), zlib.crc32(m + p)) + m + p


def decode(buf: bytes, where: str = "record") -> tuple[dict, np.ndarray]:
    """A record -> (meta, frame). Decompression stops at the frame's size: a record that inflates to
    more than its shape says is damaged, not a way to fill memory."""
    meta = decode_meta(buf, where)
    m_len = HEAD.unpack_from(buf)[1]
    h, w, c = meta["shape"]
    want = h * w * c
    try:
        d = zlib.decompressobj()
        raw = d.decompress(buf[HEAD.size + m_len:], want + 1)
    except zlib.error as e:
        raise RecordingError(f"{where}: frame data damaged ({e})") from None
    if len(raw) != want or d.unconsumed_tail or not d.eof:
        raise RecordingError(f"{where}: frame data does not match its shape {meta['shape']} (damaged file)")
    return meta, np.frombuffer(raw, dtype=np.uint8).reshape(h, w, c)


def decode_meta(buf: bytes, where: str = "record") -> dict:
    if len(buf) < HEAD.size:
        raise RecordingError(f"{where}: truncated")
    magic, m_len, p_len, crc = HEAD.unpack_from(buf)
    if magic != MAGIC or len(buf) != HEAD.size + m_len + p_len:
        raise RecordingError(f"{where}: not a frame record (damaged file)")
    body = buf[HEAD.size:]
    if zlib.crc32(body) != crc:
        raise RecordingError(f"{where}: checksum mismatch (damaged file)")
    return check_meta(body[:m_len], where)


def _finite(v, lo: float) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v < float("inf")


def check_meta(raw: bytes, where: str = "record") -> dict:
    """A record's JSON metadata, with the fields readers rely on checked (RecordingError if not)."""
    try:
        m = json.loads(raw)
    except (ValueError, RecursionError):
        raise RecordingError(f"{where}: frame metadata is not JSON (damaged file)") from None
    shape = m.get("shape") if isinstance(m, dict) else None
    ok = (isinstance(shape, list) and len(shape) == 3 and shape[2] == 3
          and all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_SIDE for x in shape[:2])
          and _finite(m.get("t"), 0.0) and _finite(m.get("temperature"), 0.0)
          and isinstance(m.get("steps"), int) and not isinstance(m.get("steps"), bool) and 1 <= m["steps"] <= 1024
          and (m.get("action") is None or isinstance(m["action"], int) and not isinstance(m["action"], bool)
               and 0 <= m["action"] < 1 << 16))
    if not ok:
        raise RecordingError(f"{where}: frame metadata has missing or out-of-range fields (damaged file)")
    return m


def read_entry(folder: Path, e: Entry) -> bytes:
    with open_regular(chunk_path(folder, e.chunk)) as f:
        f.seek(e.offset)
        return f.read(e.size)


@dataclass
class Scan:
    """What reading a recording's chunk files found."""

    entries: list[Entry]
    metas: list[dict]
    dropped: list[str]  # what was skipped and why: damaged records, a torn tail
    recovered: bool  # not what the index says: a crash (records past the index, a torn tail) or damage


def _next_magic(f, start: int) -> int | None:
    """The offset of the next MAGIC at or after ``start`` (re-synchronising after damage)."""
    block = 1 << 16
    pos = start
    while True:
        f.seek(pos)
        data = f.read(block + len(MAGIC) - 1)
        k = data.find(MAGIC)
        if k >= 0:
            return pos + k
        if len(data) < block + len(MAGIC) - 1:
            return None
        pos += block


def scan_chunk(path: Path, number: int) -> tuple[list[tuple[Entry, dict]], list[str], bool]:
    """Every valid record in one chunk file -> ([(entry, meta)], dropped, torn_tail). A damaged
    record costs only itself: the scan resumes at the next record header after it."""
    records, dropped = [], []
    torn = False
    try:
        if path.is_symlink():
            raise NotRegularFile(f"{path.name}: a link")
        f = open_regular(path)
    except OSError as e:  # a pipe would block, a device would never end: skipped, never read
        return [], [f"{path.name}: not a regular file, skipped ({type(e).__name__})"], False
    with f:
        size = os.fstat(f.fileno()).st_size
        off = 0
        while off < size:
            f.seek(off)
            head = f.read(HEAD.size)
            problem = None
            if len(head) < HEAD.size:
                problem = "truncated record header"
            else:
                magic, m_len, p_len, crc = HEAD.unpack(head)
                if magic != MAGIC or m_len > MAX_META or p_len > MAX_PAYLOAD:
                    problem = "not a record header"
                elif off + HEAD.size + m_len + p_len > size:
                    problem = "record runs past the end of the file"
                else:
                    body = f.read(m_len + p_len)
                    if zlib.crc32(body) != crc:
                        problem = "checksum mismatch"
                    else:
                        try:
                            meta = check_meta(body[:m_len])
                        except RecordingError:
                            problem = "bad frame metadata"
            if problem is None:
                records.append((Entry(number, off, HEAD.size + m_len + p_len), meta))
                off += HEAD.size + m_len + p_len
                continue
            nxt = _next_magic(f, off + 1)
            end = size if nxt is None else nxt
            dropped.append(f"{path.name} bytes {off}..{end}: {problem}")
            torn = nxt is None
            if nxt is None:
                break
            off = nxt
    return records, dropped, torn


def chunk_numbers(folder: Path) -> list[int]:
    out = []
    for p in (folder / "chunks").glob("chunk-*.gsr"):
        try:
            out.append(int(p.stem.split("-", 1)[1]))
        except ValueError:
            continue
    return sorted(out)


def _read_index(folder: Path) -> list[Entry]:
    entries: list[Entry] = []
    index = folder / "index.jsonl"
    if not index.is_file():
        return entries
    with open(index, "rb") as f:
        for line in f:
            try:
                d = json.loads(line)
                e = Entry(int(d["chunk"]), int(d["offset"]), int(d["size"]))
            except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
                break  # a torn last line
            if not isinstance(d, dict) or d.get("i") != len(entries):
                break
            entries.append(e)
    return entries


def load_entries(folder: Path) -> Scan:
    """Every intact record in order, found by reading all chunk files (the index is a cross-check).
    ``recovered`` says the recording differs from its index: it was not closed cleanly or is damaged."""
    entries, metas, dropped = [], [], []
    for n in chunk_numbers(folder):
        records, bad, _ = scan_chunk(chunk_path(folder, n), n)
        for e, m in records:
            entries.append(e)
            metas.append(m)
        dropped += bad
    recovered = bool(dropped) or _read_index(folder) != entries
    return Scan(entries, metas, dropped, recovered)


def write_index(folder: Path, entries: list[Entry]) -> None:
    lines = "".join(json.dumps({"i": i, "chunk": e.chunk, "offset": e.offset, "size": e.size}) + "\n"
                    for i, e in enumerate(entries))
    atomic_write_text(folder / "index.jsonl", lines)
