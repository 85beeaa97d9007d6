import json

import numpy as np
import pytest

from genie_studio.recording import Recorder
from genie_studio.recording.wav import write_wav


def make_frames(n=12, size=(16, 20)):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (*size, 3), dtype=np.uint8) for _ in range(n)]


@pytest.fixture
def frames():
    return make_frames()


@pytest.fixture
def recording(tmp_path):
    """A 12-frame recording at a nominal 10 fps with a 440 Hz voice-over starting 0.2 s in."""
    fr = make_frames()
    r = Recorder(tmp_path / "rec", model={"name": "m", "config_sha256": "0" * 64, "path": None},
                 prompt=fr[0], labels=["noop", "right"], resolution=(16, 20), fps=10, clock="nominal")
    for i, f in enumerate(fr):
        r.add_frame(f, None if i == 0 else 1)
    rec = r.close()
    rate = 48000
    t = np.arange(rate) / rate
    write_wav(rec.folder / "voice.wav", (0.5 * np.sin(2 * np.pi * 440 * t))[:, None], rate)
    h = json.loads((rec.folder / "recording.json").read_text())
    h["audio"] = {"file": "voice.wav", "offset": 0.2, "samplerate": rate, "channels": 1}
    (rec.folder / "recording.json").write_text(json.dumps(h))
    from genie_studio.recording import Recording

    return Recording(rec.folder)
