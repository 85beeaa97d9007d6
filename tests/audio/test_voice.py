"""Voice-over against a real JACK dummy server (jackd2), and the silent path without devices."""

import logging
import os
import shutil
import subprocess
import sys
import time

import av
import numpy as np
import pytest

from genie_studio import audio
from genie_studio.audio import devices
from genie_studio.export import ExportOptions, builtin_registry
from genie_studio.recording import Recorder, Recording
from genie_studio.recording.wav import read_wav

JACKD = shutil.which("jackd")


def _recorder(folder, voice):
    return Recorder(folder, model={"name": "m", "config_sha256": "0" * 64, "path": None},
                    prompt=np.zeros((8, 8, 3), np.uint8), labels=["noop", "right"], resolution=(8, 8),
                    fps=20, voice=voice)


@pytest.fixture
def jack_server(monkeypatch):
    if JACKD is None:
        pytest.skip("jackd is not installed (Debian: apt install jackd2)")
    name = f"genie-test-{os.getpid()}"
    monkeypatch.setenv("JACK_DEFAULT_SERVER", name)
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    proc = subprocess.Popen([JACKD, "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "1024",
                             "-C", "2", "-P", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            audio.refresh()
            if any(d.hostapi.startswith("JACK") for d in audio.input_devices()):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jackd did not start: {proc.stderr.read().decode(errors='replace')[-500:]}")
            time.sleep(0.2)
        yield name
    finally:
        devices.suspend()  # close PortAudio's JACK client while the server is still there
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        devices.resume()


def test_voice_over_records_to_wav_and_muxes(jack_server, tmp_path):
    devs = audio.input_devices()
    jack = next(d for d in devs if d.hostapi.startswith("JACK"))
    assert jack.channels >= 1 and jack.samplerate == 48000
    voice = audio.VoiceRecorder(device=jack.index)
    rec = _recorder(tmp_path / "rec", voice)
    for i in range(20):
        rec.add_frame(np.full((8, 8, 3), i * 10, np.uint8), None if i == 0 else 1)
        time.sleep(0.05)
    assert voice.active and voice.level == 0.0  # the dummy driver records silence
    r = rec.close()
    assert r.header["audio"]["samplerate"] == 48000 and 0 <= r.audio_offset < 0.5
    samples, rate = read_wav(r.audio_path)
    assert rate == 48000 and samples.shape[1] == 1
    assert len(samples) / rate == pytest.approx(r.header["duration"] - r.audio_offset, abs=0.25)
    out = builtin_registry().get("mp4").export(Recording(r.folder), tmp_path / "v.mp4", ExportOptions())[0]
    with av.open(str(out)) as c:
        assert c.streams.audio and c.streams.audio[0].rate == 48000
        assert sum(1 for _ in c.decode(video=0)) == 20


def test_no_input_device_records_silently_and_says_why_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", f"genie-absent-{os.getpid()}")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    audio.refresh()
    if audio.input_devices():
        pytest.skip("this machine has a real input device")
    devices._warned.clear()
    with caplog.at_level(logging.WARNING, logger="genie_studio.audio"):
        v1, v2 = audio.VoiceRecorder(), audio.VoiceRecorder()
        assert not v1.start(tmp_path / "a.wav") and not v2.start()
    assert "no microphone" in v1.reason
    assert len([r for r in caplog.records if "voice-over" in r.getMessage()]) == 1
    rec = _recorder(tmp_path / "rec", audio.VoiceRecorder())
    rec.add_frame(np.zeros((8, 8, 3), np.uint8))
    r = rec.close()
    assert len(r) == 1 and r.audio_path is None
    assert any("no voice-over: no microphone" in n for n in r.header["notes"])


def test_without_portaudio_the_reason_names_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails as if PortAudio were missing
    v = audio.VoiceRecorder()
    assert not v.start(tmp_path / "a.wav")
    assert "PortAudio" in v.reason and not (tmp_path / "a.wav").exists()
    with pytest.raises(audio.AudioUnavailable, match="libportaudio2"):
        audio.input_devices()
