"""Compiled stepping (session/compiled.py): built once into the user cache, loaded after, same frames.

Compiling costs 15-25 s a graph here, so the tests share one build (``built`` in conftest.py: the tiny
model's step and decode graphs, batch 1, built by a background process as a first run does) and each test
plays from its own copy of that folder (a test may damage or remove a package in its copy). One more graph
is compiled here: a damaged decoder, rebuilt on a thread while play goes on.
"""

import json
import os
import threading

import numpy as np
import pytest
import torch

from genie_studio.knobs import Knobs
from genie_studio.session import compiled
from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.tiny import tiny_world
from tests.session.conftest import HAS_CXX

torch.set_num_threads(1)
pytestmark = pytest.mark.skipif(not HAS_CXX, reason="AOTInductor needs a C++ compiler (without one, play runs eagerly)")


def _prompt():
    return np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)


def _play(wm, acts, seed=3):
    s = WorldSession(wm, precision="fp32", seed=seed)
    s.reset(_prompt())
    frames = [s.step(a) for a in acts]
    return s, frames


@pytest.fixture
def compiling(copy_built):
    """Compiling on, with this test's own copy of the built graphs, each kept as paying: these tests are
    about what a graph plays, not the verdict of a build on a busy machine (test_compile_job.py)."""
    for package in copy_built.glob("*.pt2"):
        v = compiled.verdict_path(package)
        v.write_text(json.dumps({**json.loads(v.read_text()), "compiled_ms": 1.0, "eager_ms": 10.0}))
    return copy_built


def test_compile_once_then_load_and_play_the_same_frames(built, compiling):
    acts = [2, 2, 1, 3, 0, 2, 1]  # past the 4-frame context: the padded window slides
    eager_s, eager_frames = _play(tiny_world(), acts)  # a model object without compiled graphs
    assert built["missing_before"] == [("step", 1), ("decode", 1)]
    assert built["report"]["error"] is None

    wm = tiny_world()  # a later run: same weights, a fresh process's model object
    assert compiled.missing(wm, "cpu", "fp32") == []
    report = compiled.prepare(wm, "cpu", "fp32", batches=[1])
    assert report == {**report, "loaded": 2, "compiled": 0, "measured": 0, "error": None}
    assert compiled.frame_step(wm, "cpu", "fp32", 1, wm.dynamics.cfg.context)[0].compiled
    assert compiled.frame_decoder(wm, "cpu", "fp32", 1)[0].compiled
    s, frames = _play(wm, acts)  # the loaded graphs play the eager frames
    assert [f.tokens.tolist() for f in s.history] == [f.tokens.tolist() for f in eager_s.history]
    assert all(np.array_equal(a, b) for a, b in zip(frames, eager_frames))
    other = tiny_world(seed=1)  # other weights are other packages
    assert compiled.missing(other, "cpu", "fp32") == [("step", 1), ("decode", 1)]

    # a batch of 3 pads to the 4-row graph when one is there; eager otherwise, with the same frames
    three = [WorldSession(wm, precision="fp32", seed=i) for i in range(3)]
    for x in three:
        x.reset(_prompt())
    assert compiled.frame_step(wm, "cpu", "fp32", 3, 4)[1] == 3


def test_a_slower_graph_is_not_used_and_compile_can_be_turned_off(compiling, monkeypatch):
    monkeypatch.setattr(compiled, "SLOWER", 0.0)  # as if every compiled graph lost to eager here
    slow = tiny_world()
    report = compiled.prepare(slow, "cpu", "fp32", batches=[1])
    assert report["slower"] == 2 and report["error"] is None and report["compiled"] == 0
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


def test_a_damaged_package_is_rebuilt_while_play_goes_on(compiling, monkeypatch):
    from genie_studio.session.open import SessionSettings, open_local

    monkeypatch.setattr(compiled, "SLOWER", float("inf"))  # the rebuilt graph is used whatever its timing
    # the build thread lowers its own priority (an OS call, the boundary): here it keeps the test's, or it
    # would wait on the other pytest-xdist worker's tests
    monkeypatch.setattr(os, "setpriority", lambda *a: None, raising=False)

    path = compiled.package_path(tiny_world(), "decode", "cpu", "fp32", 1)
    assert path.is_relative_to(compiling)
    path.write_bytes(path.read_bytes()[:100])  # truncated on disk: rebuilt on a thread while the world plays
    acts = [2, 1, 3, 0, 2, 1, 1, 2, 3, 0, 2, 2]
    _, reference = _play(tiny_world(), acts)
    heard, built = [], threading.Event()

    def on_compile(text, done, total):
        heard.append((done, total))
        if done == total:
            built.set()

    s = open_local(SessionSettings(Knobs(precision="fp32", seed=3), loaded=tiny_world(), compile_in_background=True,
                                   on_compile=on_compile))
    s.reset(_prompt())
    frames, graph_seen = [], []
    for a in acts:  # the eager modules step while export traces (a copy of) them on the other thread
        frames.append(s.step(a))
        graph_seen.append(compiled.frame_decoder(s.model, "cpu", "fp32", 1)[0].compiled)
    assert built.wait(120), heard
    assert heard[-1] == (2, 2)
    assert compiled.frame_step(s.model, "cpu", "fp32", 1, s.context)[0].compiled
    assert compiled.frame_decoder(s.model, "cpu", "fp32", 1)[0].compiled
    assert all(np.array_equal(a, b) for a, b in zip(frames, reference))
    assert not graph_seen[0]  # the first frames did not wait for the compiler
