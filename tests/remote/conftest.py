"""Fixtures for the remote tests: a tiny model folder and world servers on 127.0.0.1 (port 0)."""

import io
import json
import time

import numpy as np
import pytest
import torch
from PIL import Image
from websockets.sync.client import connect

from genie_studio.remote.engine import Engine
from genie_studio.remote.limits import ServerConfig
from genie_studio.remote.thread import ServerThread
from genie_studio.remote.wire import VERSION, dumps, pack, parse

torch.set_num_threads(1)
TOKEN = "test-token-0123456789abcdef"


def prompt_png(seed=0) -> bytes:
    arr = np.random.default_rng(seed).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def make_server(model_dir):
    """make_server(**config) -> a started ServerThread (stopped at the end of the test)."""
    started = []

    def make(**kw):
        kw.setdefault("port", 0)
        kw.setdefault("token", TOKEN)
        engine = Engine.from_paths([model_dir], precision="fp32")
        st = ServerThread(engine, ServerConfig(**kw)).start()
        started.append(st)
        return st

    yield make
    for st in started:
        st.stop()


def ws_connect(url, **kw):
    """A synchronous websocket (closed when garbage collected or by the server)."""
    return connect(url, compression=None, proxy=None, **kw).__enter__()  # the context-manager form


def raw_client(url, token=TOKEN, **kw):
    """A synchronous websocket that has said hello; returns (ws, welcome)."""
    ws = ws_connect(url, **kw)
    ws.send(dumps({"type": "hello", "version": VERSION, "token": token, "id": 0}))
    welcome, _ = parse(ws.recv(timeout=10))
    return ws, welcome


def ask(ws, msg=None, payload=None, raw=None, timeout=20):
    """Send one message (dict, dict + payload, or raw str/bytes) and return the parsed reply."""
    if raw is not None:
        ws.send(raw)
    elif payload is not None:
        ws.send(pack(msg, payload))
    else:
        ws.send(dumps(msg))
    return parse(ws.recv(timeout=timeout))


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def last_json(lines, event):
    for line in reversed(lines):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("event") == event:
            return obj
    return None
