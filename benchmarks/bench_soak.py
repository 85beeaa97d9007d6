"""Soak test of the world server under attack: 32 honest clients plus 50 hostile connections, on loopback.

    python benchmarks/bench_soak.py --tiny --seconds 60              # a random 16x16 test model, eager
    python benchmarks/bench_soak.py --tiny --seconds 60 --compiled   # with the compiled graphs
    python benchmarks/bench_soak.py --seconds 60                     # the bundled model

Three kinds of process, started by this script with the same priority as itself: `genie-studio serve`
(the server under test), one *honest* process (the clients, each with one session, stepping random
actions back to back) and one *hostile* process (the attack). It measures the server's idle RSS, then
runs two phases of ``--seconds`` each with a fresh honest process: the honest clients alone
(baseline), then the honest clients while the hostile process attacks (it starts 2 s earlier, so the
honest clients connect under attack). It reports steps/s and p50/p95 step latency of the honest
clients in both phases, the server's peak RSS (sampled from /proc, Linux, and its high-water mark),
the CPU seconds each process used in each phase, and the sessions left on the server at the end
(leaked: every honest client closes its sessions, and nothing else should stay).

Hostile kinds: ``silent`` (upgrade, never say hello), ``big_frame`` (announce an 8 MiB frame before
hello, never finish it), ``flood`` (bad messages, replies never read), ``leaver`` (open with a long
replay, disconnect mid-replay), ``bad_auth`` (wrong bearer token, foreign web Origin), and from issue
#26 ``bomb`` (open with a 4000x4000 1-bit PNG of a few KB: 16 megapixels, the server's limit, then
leave) and ``grabber`` (open 8 sessions, hold them a second without stepping, leave). Each hostile
connection reconnects as soon as it is refused or dropped. The hostile process connects from
127.0.0.2 where it can (a different address, as an attacker would be; 127.0.0.1 elsewhere). Targets
(issue #15): no leaked session, peak RSS within 1.5x of idle, honest p95 at most 2x the baseline
(issue #26: 1.5x with the bombs and the grabber).
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
import threading
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_server import bench_model, load, prompt_png  # noqa: E402
from websockets.frames import Frame, Opcode  # noqa: E402

from genie_studio.remote.wire import dumps, pack  # noqa: E402

GRACE = 5.0  # --resume-grace of the server under test
KINDS = ("silent", "big_frame", "flood", "leaver", "bad_auth", "bomb", "grabber")
HOSTILE_ADDR = "127.0.0.2"  # where the attack comes from, when this machine routes it (Linux does)
LEAD = 2.0  # seconds the attack runs before the honest clients start


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


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """Samples a process's RSS every 0.25 s in a thread."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._t.join()
        return max(self.peak, rss_mb(self.pid))


# ---- the hostile process ---------------------------------------------------------------------------
async def upgrade(port: int, headers: dict | None = None):
    """A raw WebSocket upgrade -> (status, reader, writer)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(HOSTILE_ADDR, 0))
    except OSError:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), reader, writer


def bomb_png(side: int = 4000) -> bytes:
    """A 1-bit PNG of side x side white pixels in a few KB (issue #26 A)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + b"\xff" * ((side + 7) // 8)
    body = zlib.compress(row * side, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


async def read_message(reader) -> bytes:
    """One unmasked server frame's payload (enough for this benchmark's replies)."""
    head = await reader.readexactly(2)
    n = head[1] & 0x7F
    if n == 126:
        n = struct.unpack(">H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", await reader.readexactly(8))[0]
    return await reader.readexactly(n)


def frame(data: bytes | str) -> bytes:
    op = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
    return Frame(op, data.encode() if isinstance(data, str) else data).serialize(mask=True, extensions=[])


async def hostile(kind: str, port: int, token: str, prompt: bytes, end: float, counts: dict) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    bomb = bomb_png() if kind == "bomb" else b""
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
            status, reader, writer = await upgrade(port, auth if kind in ("flood", "leaver", "bomb", "grabber")
                                                   else None)
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
            elif kind in ("bomb", "grabber"):
                writer.write(frame(dumps({"type": "hello", "version": 1, "token": token})))
                await asyncio.wait_for(read_message(reader), left)  # welcome
                n = 1 if kind == "bomb" else 8
                for i in range(n):
                    writer.write(frame(pack({"type": "open", "id": i}, bomb or prompt)))
                await writer.drain()
                for _ in range(n):
                    await asyncio.wait_for(read_message(reader), left)  # opened or refused
                await asyncio.sleep(1.0 if kind == "grabber" else 0.0)  # hold them, never step, leave
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
            await asyncio.sleep(0.05)
        finally:
            if writer is not None:
                writer.close()


async def attack(url, token, prompt, seconds, per_kind, kinds) -> dict:
    """Attack until ``seconds`` have passed or stdin closes (the parent's signal to stop)."""
    port = int(url.rsplit(":", 1)[1])
    counts = dict.fromkeys(KINDS, 0)
    end = time.monotonic() + seconds
    tasks = [asyncio.create_task(hostile(k, port, token, prompt, end, counts)) for k in kinds for _ in range(per_kind)]
    stdin_closed = asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await asyncio.wait([*tasks, stdin_closed], return_when=asyncio.FIRST_COMPLETED)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return counts


# ---- the honest process ----------------------------------------------------------------------------
def honest_stats(lat, lost, wall) -> dict:
    ms = np.array(lat) * 1000 if lat else np.zeros(1)
    return {"steps_s": round(len(lat) / wall, 1), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "lost": len(lost), "lost_first": lost[:2]}


def child(a) -> int:
    prompt = prompt_png(tuple(a.resolution))
    if a.role == "honest":
        out = honest_stats(*asyncio.run(load(a.url, a.token, prompt, a.clients, a.seconds)))
    else:
        out = asyncio.run(attack(a.url, a.token, prompt, a.seconds, a.hostile_per_kind, a.kinds.split(",")))
    print(json.dumps(out))
    return 0


def spawn(role: str, a, url: str, token: str, resolution, seconds: float) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--role", role, "--url", url, f"--token={token}", "--seconds", str(seconds),
           "--clients", str(a.clients), "--hostile-per-kind", str(a.hostile_per_kind), "--kinds", a.kinds,
           "--resolution", *map(str, resolution)]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def finish(p: subprocess.Popen) -> tuple[dict, float]:
    """Wait for a child -> (its JSON result, its CPU seconds)."""
    before = os.times()
    out, _ = p.communicate(timeout=600)
    after = os.times()
    if p.returncode:
        raise SystemExit(f"a benchmark process failed ({p.returncode})")
    # children's times are only added once waited for: one child is waited for at a time
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return json.loads(out.strip().splitlines()[-1]), round(cpu, 1)


def run_phase(a, proc, url, token, resolution, with_hostile: bool) -> dict:
    sampler, cpu0, t0 = Sampler(proc.pid), cpu_s(proc.pid), time.monotonic()
    bad = None
    if with_hostile:
        bad = spawn("hostile", a, url, token, resolution, a.seconds + LEAD + 30)
        time.sleep(LEAD)  # the attack is in full swing before the honest clients start
    honest = spawn("honest", a, url, token, resolution, a.seconds)
    res, honest_cpu = finish(honest)
    res["cpu_s"] = {"server": round(cpu_s(proc.pid) - cpu0, 1), "honest_process": honest_cpu}
    if bad is not None:
        res["hostile_attempts"], res["cpu_s"]["hostile_process"] = finish(bad)  # stdin closes: it stops
    res["wall_s"] = round(time.monotonic() - t0, 1)
    res["peak_rss_mb"] = round(sampler.stop(), 1)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--hostile-per-kind", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--model", help="model name or folder (default: the bundled model)")
    ap.add_argument("--tiny", action="store_true", help="serve a random 16x16 test model")
    ap.add_argument("--kinds", default=",".join(KINDS), help="hostile kinds to run (comma-separated)")
    ap.add_argument("--server-log", help="write the server's JSON log lines to this file")
    ap.add_argument("--server-arg", action="append", default=[], help="an extra `serve` argument (repeatable)")
    ap.add_argument("--compiled", action="store_true",
                    help="let the server compile its graphs (serve's default) and wait for them before measuring; "
                         "without it the server runs eagerly (--no-compile), as before graphs existed")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--role", choices=["honest", "hostile"], help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--token", help=argparse.SUPPRESS)
    ap.add_argument("--resolution", type=int, nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.role:
        return child(a)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model, resolution = bench_model(a.model, a.tiny, tmp)
        proc, url, token, logf = start_server(model, tmp, ["--device", "cpu", "--max-sessions", str(max(64, a.clients)),
                                                           "--resume-grace", str(GRACE), *a.server_arg,
                                                           *([] if a.compiled else ["--no-compile"])])
        stats = {}
        try:
            if a.compiled:  # graphs built (or loaded from the user cache) before anything is measured
                deadline = time.monotonic() + 1800
                while '"event":"compiled"' not in logf.read_text() and time.monotonic() < deadline:
                    time.sleep(1.0)
            time.sleep(1.0)
            idle = rss_mb(proc.pid)
            base = run_phase(a, proc, url, token, resolution, False)
            soak = run_phase(a, proc, url, token, resolution, True)
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
    out = {"model": "tiny (random 16x16)" if a.tiny else Path(model).name, "compiled": a.compiled, "clients": a.clients,
           "hostile": a.hostile_per_kind * len(a.kinds.split(",")), "kinds": a.kinds, "seconds": a.seconds,
           "load_avg_1min_at_end": round(os.getloadavg()[0], 2), "idle_rss_mb": round(idle, 1),
           "baseline": base, "soak": soak, "server_peak_rss_mb": round(hwm, 1),
           "sessions_leaked": stats.get("sessions"),
           "server_counters": {k: stats.get(k) for k in ("connections_total", "refused", "auth_failed", "errors",
                                                         "closed_for_bad_messages", "expired",
                                                         "dropped_untouched", "evicted_before_hello",
                                                         "sources_over_budget", "open_jobs_waited")}}
    out["targets"] = {"no_leak": out["sessions_leaked"] == 0,
                      "rss_within_1_5x_idle": out["server_peak_rss_mb"] <= 1.5 * out["idle_rss_mb"],
                      "p95_within_2x_baseline": soak["p95_ms"] <= 2 * base["p95_ms"],
                      "p95_within_1_5x_baseline": soak["p95_ms"] <= 1.5 * base["p95_ms"]}
    print(json.dumps(out, indent=2) if a.json else " ".join(f"{k}={v}" for k, v in out.items()))
    return 0 if all(out["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
