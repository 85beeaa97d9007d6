"""The one build of compiled graphs that the compile tests share (test_compile_job.py, test_compiled.py).

Compiling costs 15-25 s a graph here. ``built`` builds the tiny model's two graphs (step and decode, batch 1)
once per test session, the way a designer's first run does: ``compile_job.start(background=True)`` plays
eagerly at once while a process of its own compiles and times the graphs, and a thread loads them when
they are ready. ``tiny_world()`` and ``model_dir`` hold the same weights, so both files' models find these
packages. Each test copies the folder (``copy_built``) and may damage its copy. tests/conftest.py keeps the
two files on one pytest-xdist worker, so the build happens once.
"""

import shutil
import threading

import numpy as np
import pytest

from genie_studio.session import compile_job, compiled
from genie_studio.session.world_session import WorldSession
from genie_studio.world.bundle import load_model

ACTS = [2, 2, 1, 3, 0, 2, 1]
HAS_CXX = any(shutil.which(c) for c in ("g++", "c++", "clang++"))


def load_tiny(model_dir):
    return load_model(model_dir, components=("tokenizer", "dynamics"))


def play(wm, acts=ACTS, seed=3):
    s = WorldSession(wm, precision="fp32", seed=seed)
    s.reset(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8))
    return s, [s.step(a) for a in acts]


@pytest.fixture(scope="session")
def built(tmp_path_factory, model_dir):
    """-> what the build said (``heard``, ``report``), the model that switched to the graphs, its cache folder,
    whether graphs were in use when play began, and the eager frames played meanwhile."""
    if not HAS_CXX:
        pytest.skip("AOTInductor needs a C++ compiler (without one, play runs eagerly)")
    home = tmp_path_factory.mktemp("job-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENIE_STUDIO_HOME", str(home))
        mp.delenv("GENIE_STUDIO_COMPILE")
        wm = load_tiny(model_dir)
        missing_before = compiled.missing(wm, "cpu", "fp32")
        heard, ready = [], threading.Event()

        def progress(text, done, total):
            heard.append((text, done, total))
            if total and done >= total:
                ready.set()
        report = compile_job.start(wm, "cpu", "fp32", background=True, progress=progress)
        graphs_at_start = [compiled.frame_step(wm, "cpu", "fp32", 1, wm.dynamics.cfg.context)[0].compiled,
                           compiled.frame_decoder(wm, "cpu", "fp32", 1)[0].compiled]
        eager_frames = play(load_tiny(model_dir))[1]
        assert ready.wait(600), heard
        report["job"].wait(60)
        folder = compiled.cache_folder()
    return {"report": report, "heard": heard, "model": wm, "folder": folder, "at_start": graphs_at_start,
            "eager_frames": eager_frames, "missing_before": missing_before}


@pytest.fixture
def copy_built(built, monkeypatch):
    """Compiling on, with this test's own copy of the built cache folder (under its own home)."""
    monkeypatch.delenv("GENIE_STUDIO_COMPILE")
    folder = compiled.cache_folder()
    shutil.copytree(built["folder"], folder)
    return folder
