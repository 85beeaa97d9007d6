"""Soak test of the world server under attack: 32 honest clients plus 50 hostile connections, on loopback.

    python benchmarks/bench_soak.py --tiny --seconds 60          # a random 16x16 test model
    python benchmarks/bench_soak.py --seconds 60                 # the bundled model

It starts `genie-studio serve` in a subprocess, measures its idle RSS, then runs two phases of
``--seconds`` each: the honest clients alone (baseline), then the honest clients together with 50
hostile connections (10 of each kind below). It reports steps/s and p95 step latency of the honest
clients in both phases, the server's peak RSS (sampled from /proc, Linux), and the sessions left on
the server at the end (leaked: every honest client closes its sessions, and nothing else should stay).

Hostile kinds: ``silent`` (upgrade, never say hello), ``big_frame`` (announce an 8 MiB frame before
hello, never finish it), ``flood`` (bad messages, replies never read), ``leaver`` (open with a long
replay, disconnect mid-replay), ``bad_auth`` (wrong bearer token, foreign web Origin). Targets
(issue #15): no leaked session, peak RSS within 1.5x of idle, honest p95 at most 2x the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_server import bench_model, load, prompt_png  # noqa: E402
from websockets.frames import Frame, Opcode  # noqa: E402

from genie_studio.remote.protocol import dumps, pack  # noqa: E402

GRACE = 5.0  # --resume-grace of the server under test
KINDS = ("silent", "big_frame", "flood", "leaver", "bad_auth")


def start_server(model: str, workdir: Path, extra: list[str]):
    """`genie-studio serve` with its log in a file (a pipe nobody reads would fill and stall the
    server) -> (process, url, token, log path)."""
    token = secrets.token_urlsafe(24)
    tf = workdir / "token"
    tf.write_text(token)
    os.chmod(tf, 0o600)
    logf = workdir / "server.log"
    cmd = [sys.executable, "-m", "genie_studio", "serve", "--port", "0", "--token-file", str(tf), "--model", model,
           "--step-rate", "1000", *extra]
    with open(logf, "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stderr=err, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        for line in logf.read_text().splitlines():
            if '"event":"listening"' in line:
                return proc, json.loads(line)["url"], token, logf
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {logf.read_text()[-2000:]}")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def sample_rss(pid: int, out: list, stop: asyncio.Event) -> None:
    while not stop.is_set():
        out.append(rss_mb(pid))
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except TimeoutError:
            pass


async def upgrade(port: int, headers: dict | None = None):
    """A raw WebSocket upgrade -> (status, reader, writer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), reader, writer


def frame(data: bytes | str) -> bytes:
    op = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
    return Frame(op, data.encode() if isinstance(data, str) else data).serialize(mask=True, extensions=[])


async def hostile(kind: str, port: int, token: str, prompt: bytes, end: float, counts: dict) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < end:
        writer = None
        try:
            if kind == "bad_auth":
                headers = {"Authorization": "Bearer not-the-token-0123456789"} if counts[kind] % 2 else \
                    {"Origin": "https://evil.example"}
                status, _, writer = await upgrade(port, headers)
                counts[kind] += 1
                await asyncio.sleep(0.05)
                continue
            status, reader, writer = await upgrade(port, auth if kind in ("flood", "leaver") else None)
            counts[kind] += 1
            if status != 101:
                await asyncio.sleep(0.2)  # refused by a cap: try again
                continue
            left = max(0.1, end - time.monotonic())
            if kind == "silent":
                await asyncio.wait_for(reader.read(), left)  # until the server drops us
            elif kind == "big_frame":
                announce = bytes([0x82, 0xFF]) + struct.pack(">Q", 8 * 1024 * 1024 - 100) + os.urandom(4)
                writer.write(announce + b"x" * 1000)
                await asyncio.wait_for(reader.read(), left)
            elif kind == "flood":
                writer.write(frame(dumps({"type": "hello", "version": 1, "token": token})))
                burst = frame("x" * 200) * 200
                while time.monotonic() < end:  # never read a reply
                    writer.write(burst)
                    await asyncio.wait_for(writer.drain(), left)
            elif kind == "leaver":
                writer.write(frame(dumps({"type": "hello", "version": 1, "token": token})))
                writer.write(frame(pack({"type": "open", "replay": ["right"] * 400}, prompt)))
                await writer.drain()
                await asyncio.sleep(0.3)  # the replay is under way: leave
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
            await asyncio.sleep(0.05)
        finally:
            if writer is not None:
                writer.close()


async def phase(url, token, prompt, clients, seconds, pid, with_hostile: bool, per_kind: int, kinds=KINDS):
    port = int(url.rsplit(":", 1)[1])
    rss, stop = [], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, rss, stop))
    counts = dict.fromkeys(KINDS, 0)
    bad = []
    if with_hostile:
        end = time.monotonic() + seconds + 5
        bad = [asyncio.create_task(hostile(k, port, token, prompt, end, counts))
               for k in kinds for _ in range(per_kind)]
        await asyncio.sleep(2.0)  # the attack is in full swing before the honest clients start
    lat, lost, wall = await load(url, token, prompt, clients, seconds)
    for t in bad:
        t.cancel()
    await asyncio.gather(*bad, return_exceptions=True)
    stop.set()
    await sampler
    ms = np.array(lat) * 1000 if lat else np.zeros(1)
    return {"steps_s": round(len(lat) / wall, 1), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "lost": len(lost), "lost_first": lost[:2],
            "peak_rss_mb": round(max(rss), 1), "hostile_attempts": counts if with_hostile else None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--hostile-per-kind", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--model", help="model name or folder (default: the bundled model)")
    ap.add_argument("--tiny", action="store_true", help="serve a random 16x16 test model")
    ap.add_argument("--kinds", default=",".join(KINDS), help="hostile kinds to run (comma-separated)")
    ap.add_argument("--server-log", help="write the server's JSON log lines to this file")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model, resolution = bench_model(a.model, a.tiny, tmp)
        proc, url, token, logf = start_server(model, tmp, ["--device", "cpu", "--max-sessions", str(max(64, a.clients)),
                                                     "--resume-grace", str(GRACE)])
        stats = {}
        try:
            prompt = prompt_png(resolution)
            time.sleep(1.0)
            idle = rss_mb(proc.pid)
            base = asyncio.run(phase(url, token, prompt, a.clients, a.seconds, proc.pid, False, 0))
            soak = asyncio.run(phase(url, token, prompt, a.clients, a.seconds, proc.pid, True, a.hostile_per_kind,
                                     a.kinds.split(",")))
            time.sleep(GRACE + 2.0)  # sessions of dropped connections expire; what is left is leaked
            hwm = rss_mb(proc.pid, "VmHWM")
        finally:
            proc.terminate()
            proc.wait(timeout=120)
            err = logf.read_text()
            if a.server_log:
                Path(a.server_log).write_text(err)
            for line in err.splitlines():
                if '"event":"stopped"' in line:
                    stats = json.loads(line)
    out = {"model": "tiny (random 16x16)" if a.tiny else Path(model).name, "clients": a.clients,
           "hostile": a.hostile_per_kind * len(a.kinds.split(",")), "seconds": a.seconds, "idle_rss_mb": round(idle, 1),
           "baseline": base, "soak": soak, "server_peak_rss_mb": round(hwm, 1),
           "sessions_leaked": stats.get("sessions"), "server_counters": {k: stats.get(k) for k in
                                                                           ("refused", "auth_failed", "errors")}}
    out["targets"] = {"no_leak": out["sessions_leaked"] == 0,
                      "rss_within_1_5x_idle": out["server_peak_rss_mb"] <= 1.5 * out["idle_rss_mb"],
                      "p95_within_2x_baseline": soak["p95_ms"] <= 2 * base["p95_ms"]}
    print(json.dumps(out, indent=2) if a.json else " ".join(f"{k}={v}" for k, v in out.items()))
    return 0 if all(out["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
