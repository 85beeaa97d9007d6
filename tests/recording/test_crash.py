"""SIGKILL a real recording process, then reopen what it left."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from genie_studio.recording import Recording

CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from genie_studio.recording import Recorder
    rec = Recorder(sys.argv[1], model={"name": "m", "config_sha256": "0" * 64, "path": None},
                   prompt=np.zeros((8, 8, 3), np.uint8), labels=["noop", "right"], resolution=(8, 8))
    i = 0
    while True:
        rec.add_frame(np.full((8, 8, 3), i % 256, np.uint8), None if i == 0 else 1, [{"key": "d"}])
        print(i, flush=True)
        i += 1
        time.sleep(0.02)
""")


def test_sigkill_loses_at_most_the_last_second(tmp_path):
    folder = tmp_path / "rec"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), OMP_NUM_THREADS="1")
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(folder)], stdout=subprocess.PIPE, env=env, text=True)
    seen = []  # (frame index, time the parent saw it)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            seen.append((int(line), time.monotonic()))
            if len(seen) >= 120:  # about 2.5 s of recording
                break
        os.kill(p.pid, signal.SIGKILL)
        killed_at = time.monotonic()
    finally:
        p.kill()
        p.wait()
    assert len(seen) >= 120, "the recording child did not start"
    safe = max(i for i, t in seen if t <= killed_at - 1.0) + 1  # frames added more than 1 s before the kill
    rec = Recording(folder)
    assert rec.recovered
    assert len(rec) >= safe
    for i in range(len(rec)):
        assert rec.frame(i)[0, 0, 0] == i % 256
    assert rec.metas()[-1]["inputs"] == [{"key": "d"}]
    rec.repair()
    again = Recording(folder)
    assert not again.recovered and len(again) == len(rec) and again.header["closed"]
    assert np.array_equal(again.frame(-1), rec.frame(-1))
