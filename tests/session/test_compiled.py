"""Compiled stepping (session/compiled.py): built once into the user cache, loaded after, same frames."""

import shutil
import time

import numpy as np
import pytest
import torch

from genie_studio.session import compiled
from genie_studio.session.world_session import WorldSession, step_many
from tests.tiny_models import tiny_world

torch.set_num_threads(1)
pytestmark = pytest.mark.skipif(not any(shutil.which(c) for c in ("g++", "c++", "clang++")),
                                reason="AOTInductor needs a C++ compiler (without one, play runs eagerly)")


def _prompt():
    return np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)


def _play(wm, acts, seed=3):
    s = WorldSession(wm, precision="fp32", seed=seed)
    s.reset(_prompt())
    frames = [s.step(a) for a in acts]
    return s, frames


def test_compile_once_then_load_and_play_the_same_frames():
    acts = [2, 2, 1, 3, 0, 2, 1]  # past the 4-frame context: the padded window slides
    wm = tiny_world()
    eager_s, eager_frames = _play(wm, acts)
    assert compiled.missing(wm, "cpu", "fp32") == [("step", 1), ("decode", 1)]

    report = compiled.prepare(wm, "cpu", "fp32", batches=[1])
    assert report["error"] is None and report["compiled"] == 2
    assert compiled.frame_step(wm, "cpu", "fp32", 1, wm.dynamics.cfg.context)[0].compiled
    s, frames = _play(wm, acts)
    assert [f.tokens.tolist() for f in s.history] == [f.tokens.tolist() for f in eager_s.history]
    assert all(np.array_equal(a, b) for a, b in zip(frames, eager_frames))

    again = tiny_world()  # a later run: same weights, a fresh process's model object
    assert compiled.missing(again, "cpu", "fp32") == []
    report = compiled.prepare(again, "cpu", "fp32", batches=[1])
    assert report == {**report, "loaded": 2, "compiled": 0, "error": None}
    other = tiny_world(seed=1)  # other weights are other packages
    assert compiled.missing(other, "cpu", "fp32") == [("step", 1), ("decode", 1)]

    # a batch of 3 pads to the 4-row graph when one is there; eager otherwise, with the same frames
    three = [WorldSession(wm, precision="fp32", seed=i) for i in range(3)]
    for x in three:
        x.reset(_prompt())
    assert compiled.frame_step(wm, "cpu", "fp32", 3, 4)[1] == 3


def test_a_damaged_package_is_rebuilt_and_compile_can_be_turned_off(monkeypatch):
    wm = tiny_world(seed=2)
    assert compiled.prepare(wm, "cpu", "fp32", batches=[1])["compiled"] == 2
    path = compiled.package_path(wm, "decode", "cpu", "fp32", 1)
    path.write_bytes(path.read_bytes()[:100])  # truncated on disk
    fresh = tiny_world(seed=2)
    report = compiled.prepare(fresh, "cpu", "fp32", batches=[1])
    assert report["error"] is None and report["compiled"] == 1 and report["loaded"] == 1
    monkeypatch.setattr(compiled, "SLOWER", 0.0)  # as if every compiled graph lost to eager here
    slow = tiny_world(seed=2)
    report = compiled.prepare(slow, "cpu", "fp32", batches=[1])
    assert report["slower"] == 2 and report["error"] is None
    assert not compiled.frame_step(slow, "cpu", "fp32", 1, 4)[0].compiled  # eager, not the slower graph
    monkeypatch.setenv("GENIE_STUDIO_COMPILE", "0")
    assert not compiled.enabled(True)
    monkeypatch.delenv("GENIE_STUDIO_COMPILE")
    assert compiled.enabled(None) and not compiled.enabled(False)


def test_batches_pad_to_a_bucket():
    assert [compiled.bucket(n) for n in (1, 2, 3, 5, 16, 17, 40)] == [1, 2, 4, 8, 16, 32, 40]
    wm = tiny_world()
    seq = [WorldSession(wm, precision="fp32", seed=i) for i in range(3)]
    bat = [WorldSession(wm, precision="fp32", seed=i) for i in range(3)]
    for s in seq + bat:
        s.reset(_prompt())
    seq[0].step(1)  # one session is a frame ahead: windows of different depth still batch together
    bat[0].step(1)
    for row in ([1, 2, 3], [2, 2, 0], [0, 1, 1]):
        one = [s.step(a) for s, a in zip(seq, row)]
        many = step_many(bat, row)
        assert all(np.array_equal(x, y) for x, y in zip(one, many))


def test_play_goes_on_while_the_graphs_build_in_the_background(monkeypatch):
    from genie_studio.session.open import SessionSettings, open_local

    monkeypatch.delenv("GENIE_STUDIO_COMPILE")
    acts = [2, 1, 3, 0, 2, 1, 1, 2, 3, 0, 2, 2]
    _, reference = _play(tiny_world(seed=4), acts)
    heard = []
    s = open_local(SessionSettings(model=tiny_world(seed=4), precision="fp32", seed=3, compile_in_background=True,
                                   on_compile=lambda text, done, total: heard.append((done, total))))
    s.reset(_prompt())
    frames, graph_seen = [], []
    for a in acts:  # the eager modules step while export traces (a copy of) them on the other thread
        frames.append(s.step(a))
        graph_seen.append(compiled.frame_step(s.model, "cpu", "fp32", 1, s.context)[0].compiled)
    for _ in range(600):
        if heard and heard[-1] == (2, 2):
            break
        time.sleep(0.1)
    assert heard[-1] == (2, 2)
    assert compiled.frame_step(s.model, "cpu", "fp32", 1, s.context)[0].compiled
    assert all(np.array_equal(a, b) for a, b in zip(frames, reference))
    assert not graph_seen[0]  # the first frames did not wait for the compiler
