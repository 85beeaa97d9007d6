"""Load test of the world server: N concurrent clients stepping for D seconds, over loopback.

    python benchmarks/bench_server.py --tiny --clients 32 --seconds 60
    python benchmarks/bench_server.py --model sketchworld-tiny --clients 32 --seconds 60
    python benchmarks/bench_server.py --url ws://127.0.0.1:8765 --token-file t   # a running server
    python benchmarks/bench_server.py --encodings                                  # frame codecs

Unless --url is given it starts `genie-studio serve` in a subprocess (so clients and server do not
share a Python interpreter), with a throwaway token. Each client opens one session and steps random
actions back to back. Reports p50/p95/p99 step latency (client-side round trip), throughput and
sessions lost (a client whose connection dropped or whose step failed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from genie_studio.remote.connection import WorldConnection  # noqa: E402
from genie_studio.remote.wire import ENCODINGS, RemoteError, decode_frame, encode_frame  # noqa: E402


def bench_model(model: str, tiny: bool, tmp: Path) -> tuple[str, tuple[int, int]]:
    """The model folder to serve (a tiny random test model in ``tmp`` with ``tiny``) and its resolution."""
    if tiny:
        import torch

        from genie_studio.world.tiny import save_world, tiny_world

        torch.manual_seed(0)
        save_world(tiny_world(), tmp / "tiny")
        model = str(tmp / "tiny")
    from genie_studio.model_catalog import resolve_model
    from genie_studio.world.bundle import read_meta

    model = str(resolve_model(model))
    return model, tuple(read_meta(model)["components"]["tokenizer"]["image_size"])


def start_server(model: str, workdir: Path, extra: list[str]) -> tuple[subprocess.Popen, str, str]:
    token = secrets.token_urlsafe(24)
    tf = workdir / "token"
    tf.write_text(token)
    os.chmod(tf, 0o600)
    cmd = [sys.executable, "-m", "genie_studio", "serve", "--port", "0", "--token-file", str(tf),
           "--model", model, "--step-rate", "1000", *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit(f"server exited ({proc.wait()}) before listening")
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue
        if ev.get("event") == "listening":
            return proc, ev["url"], token
    proc.kill()
    raise SystemExit("server did not start within 120 s")


async def client(url, token, prompt: bytes, seconds: float, seed: int, lat: list, lost: list, barrier):
    rng = random.Random(seed)
    try:
        conn = await WorldConnection.open(url, token, timeout=60)
        header, _ = await conn.request({"type": "open", "seed": seed}, prompt)
        n = len(header["labels"])
    except RemoteError as e:
        lost.append(f"open: {e}")
        await barrier()
        return
    await barrier()
    end = time.perf_counter() + seconds
    try:
        while time.perf_counter() < end:
            t = time.perf_counter()
            await conn.request({"type": "step", "session": header["session"], "action": rng.randrange(n)})
            lat.append(time.perf_counter() - t)
        await conn.request({"type": "close", "session": header["session"]})
    except RemoteError as e:
        lost.append(f"step: {e}")
    finally:
        await conn.close()


async def load(url, token, prompt, clients, seconds):
    lat, lost, ready, arrived = [], [], asyncio.Event(), [0]

    async def barrier():  # every client has opened its session before anyone steps
        arrived[0] += 1
        if arrived[0] == clients:
            ready.set()
        await ready.wait()

    tasks = [asyncio.create_task(client(url, token, prompt, seconds, i, lat, lost, barrier)) for i in range(clients)]
    await ready.wait()
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    return lat, lost, time.perf_counter() - t0


def prompt_png(resolution) -> bytes:
    import io

    from PIL import Image

    from genie_studio.data.render import render_level_image

    img = Image.fromarray(render_level_image(7, "sketch", resolution))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def bench_encodings(as_json: bool) -> None:
    from genie_studio.data.render import make_episode

    sets = {f"{style} 64x64": make_episode(3, style, (64, 64), 32)[0] for style in ("sketch", "pixel")}
    sets["noise 64x64 (untrained decoder)"] = np.random.default_rng(0).integers(0, 255, (32, 64, 64, 3), np.uint8)
    rows = []
    for name, frames in sets.items():
        for enc in ENCODINGS:
            t = time.perf_counter()
            blobs = [encode_frame(f, enc) for f in frames]
            t_enc = (time.perf_counter() - t) / len(frames)
            t = time.perf_counter()
            for b in blobs:
                decode_frame(b, enc, frames[0].shape)
            t_dec = (time.perf_counter() - t) / len(frames)
            rows.append({"frames": name, "encoding": enc, "bytes": int(np.mean([len(b) for b in blobs])),
                         "encode_us": round(t_enc * 1e6), "decode_us": round(t_dec * 1e6)})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(f"{r['frames']:34s} {r['encoding']:5s} {r['bytes']:6d} B  encode {r['encode_us']:5d} us  "
              f"decode {r['decode_us']:5d} us")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--model", help="model name or folder to serve (default: the bundled model)")
    ap.add_argument("--tiny", action="store_true", help="serve a random 16x16 test model (no trained model needed)")
    ap.add_argument("--url", help="bench a running server instead of starting one")
    ap.add_argument("--token-file")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--batch-window-ms", type=float, default=2.0)
    ap.add_argument("--encodings", action="store_true", help="measure frame encodings instead")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if a.encodings:
        bench_encodings(a.json)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        proc = None
        if a.url:
            url, token = a.url, Path(a.token_file).read_text().strip() if a.token_file else None
            resolution = (64, 64)
        else:
            model, resolution = bench_model(a.model, a.tiny, tmp)
            proc, url, token = start_server(model, tmp, ["--device", a.device,
                                                         "--batch-window-ms", str(a.batch_window_ms),
                                                         "--max-sessions", str(max(64, a.clients))])
        try:
            lat, lost, wall = asyncio.run(load(url, token, prompt_png(resolution), a.clients, a.seconds))
        finally:
            stats = {}
            if proc is not None:
                proc.terminate()
                _, err = proc.communicate(timeout=60)
                for line in err.splitlines():
                    if '"event":"stopped"' in line:
                        stats = json.loads(line)
    ms = np.array(lat) * 1000 if lat else np.zeros(1)
    out = {"clients": a.clients, "seconds": round(wall, 1), "steps": len(lat),
           "throughput_steps_s": round(len(lat) / wall, 1), "p50_ms": round(float(np.percentile(ms, 50)), 1),
           "p95_ms": round(float(np.percentile(ms, 95)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
           "sessions_lost": len(lost), "server_mean_batch": stats.get("mean_batch")}
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        print(" ".join(f"{k}={v}" for k, v in out.items()))
        for reason in lost[:5]:
            print("lost:", reason)
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
