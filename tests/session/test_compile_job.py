"""Start-up with compiled graphs (#27 item 1): a first run plays eagerly at once while a process of its own
builds the graphs and times them against eager once; later starts read that verdict and load the graphs
that pay in milliseconds, without importing torch._inductor or timing anything.

One build of the tiny model's two graphs (``built`` in conftest.py, in a real background process) serves
every test here and in test_compiled.py; each test works on its own copy of that cache folder.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from genie_studio import oslock
from genie_studio.progress import StageBar
from genie_studio.session import compile_job, compiled
from tests.session.conftest import HAS_CXX, load_tiny, play

pytestmark = pytest.mark.skipif(not HAS_CXX, reason="AOTInductor needs a C++ compiler (without one, play runs eagerly)")


def test_a_first_run_plays_at_once_while_a_process_builds_and_times_the_graphs(built, model_dir):
    report = built["report"]
    assert report["pending"] == 2 and report["loaded"] == 0 and report["job"].returncode == 0
    assert built["at_start"] == [False, False]  # play began eagerly, without waiting
    assert built["heard"][0][1:] == (0, 2) and built["heard"][-1][1:] == (2, 2)
    verdicts = {}
    for kind in ("step", "decode"):  # in the build's cache folder (this test has a home of its own)
        path = built["folder"] / compiled.package_path(built["model"], kind, "cpu", "fp32", 1).name
        verdicts[kind] = compiled.read_verdict(path)
        assert path.exists() and verdicts[kind]["reps"] == compiled.REPS
        assert verdicts[kind]["compiled_ms"] > 0 and verdicts[kind]["eager_ms"] > 0
    assert (built["folder"] / "build.log").exists() and not (built["folder"] / "build.lock").exists() or \
        not oslock.is_held(built["folder"] / "build.lock")
    wm = built["model"]
    assert compiled.frame_step(wm, "cpu", "fp32", 1, wm.dynamics.cfg.context)[0].compiled == \
        compiled.pays(verdicts["step"])  # switched to mid-session if it pays
    frames = play(wm)[1]  # the graphs loaded through the bare package loader play the eager frames
    assert all(np.array_equal(a, b) for a, b in zip(frames, built["eager_frames"]))


def test_a_later_start_reads_the_verdicts_and_loads_without_inductor(copy_built, model_dir):
    for kind, (c, e) in (("step", (1.0, 10.0)), ("decode", (1.0, 10.0))):  # both pay, as kept
        v = compiled.verdict_path(compiled.package_path(load_tiny(model_dir), kind, "cpu", "fp32", 1))
        v.write_text(json.dumps({**json.loads(v.read_text()), "compiled_ms": c, "eager_ms": e}))
    code = ("import sys, json, numpy; from genie_studio.local_or_remote import SessionSettings, open_session; "
            "from genie_studio.session import compiled; from genie_studio.knobs import Knobs; "
            f"s = open_session(SessionSettings(Knobs(model={str(model_dir)!r}, device='cpu', precision='fp32'))); "
            "s.reset(numpy.zeros((16, 16, 3), 'uint8')); s.step(1); "
            "print(json.dumps({'inductor': 'torch._inductor' in sys.modules, "
            "'step': compiled.frame_step(s.model, 'cpu', 'fp32', 1, s.context)[0].compiled, "
            "'decode': compiled.frame_decoder(s.model, 'cpu', 'fp32', 1)[0].compiled}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(),
                         timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["step"] and got["decode"] and not got["inductor"]
    assert "FutureWarning" not in out.stderr and "compiling" not in out.stderr


def test_a_graph_that_lost_to_eager_is_not_even_loaded(copy_built, model_dir, monkeypatch):
    wm = load_tiny(model_dir)
    step = compiled.package_path(wm, "step", "cpu", "fp32", 1)
    v = compiled.verdict_path(step)
    v.write_text(json.dumps({**json.loads(v.read_text()), "compiled_ms": 9.0, "eager_ms": 3.0}))
    loaded = []
    real_load = compiled._load
    monkeypatch.setattr(compiled, "_load", lambda path, *a: loaded.append(path.name) or real_load(path, *a))
    monkeypatch.setattr(compiled, "_measure", lambda *a, **k: pytest.fail("timed again at start"))
    report = compiled.prepare(wm, "cpu", "fp32", build=False)
    assert report == {**report, "loaded": 1, "slower": 1, "measured": 0, "pending": 0, "error": None}
    assert loaded == [compiled.package_path(wm, "decode", "cpu", "fp32", 1).name]
    assert not compiled.frame_step(wm, "cpu", "fp32", 1, wm.dynamics.cfg.context)[0].compiled
    assert compiled.frame_decoder(wm, "cpu", "fp32", 1)[0].compiled
    v.unlink()  # a package kept without times (an older version's) is timed once, and the times are kept
    monkeypatch.setattr(compiled, "_measure", lambda *a, **k: {"compiled_ms": 2.0, "eager_ms": 4.0})
    again = compiled.prepare(load_tiny(model_dir), "cpu", "fp32", build=False)
    assert again["measured"] == 1 and compiled.read_verdict(step)["compiled_ms"] == 2.0


def test_play_announces_the_build_and_never_starts_two(model_dir, monkeypatch, capsys):
    monkeypatch.delenv("GENIE_STUDIO_COMPILE")
    started = []
    monkeypatch.setattr(compile_job, "spawn", lambda *a, **k: started.append((a, k)) or "job")
    monkeypatch.setattr(compiled, "_build", lambda *a: pytest.fail("play compiled in its own process"))
    report = compile_job.start(load_tiny(model_dir), "cpu", "fp32", background=False, progress=StageBar("first run"))
    assert report["pending"] == 2 and report["job"] == "job" and started[0][0][0] == model_dir
    after = started[0][1]["after"]  # the job starts working once this process has exited
    assert oslock.is_held(after) and after.name == f"{os.getpid()}.lock"
    assert "first run: compiling faster play for this machine in the background" in capsys.readouterr().err
    with oslock.try_lock(compile_job.build_lock()):  # another process is building
        report = compile_job.start(load_tiny(model_dir), "cpu", "fp32", background=False)
    assert report["job"] is None and len(started) == 1


def test_a_failed_build_is_not_retried_at_every_start(model_dir, monkeypatch):
    monkeypatch.delenv("GENIE_STUDIO_COMPILE")
    monkeypatch.setattr(compile_job, "spawn", lambda *a, **k: pytest.fail("spawned again"))
    wm = load_tiny(model_dir)
    names = [compiled.package_path(wm, k, "cpu", "fp32", b).name for k, b in compiled.missing(wm, "cpu", "fp32")]
    compile_job.failed_note().parent.mkdir(parents=True)
    compile_job.failed_note().write_text(json.dumps({"packages": names, "error": "CppCompileError: no g++"}))
    report = compile_job.start(wm, "cpu", "fp32", background=True)
    assert report["job"] is None and "an earlier build failed (CppCompileError: no g++)" in report["error"]
    assert not compiled.frame_step(wm, "cpu", "fp32", 1, wm.dynamics.cfg.context)[0].compiled  # eager, playing


def test_the_job_waits_for_the_player_to_exit(tmp_path):
    """Before importing torch, the job takes the build lock and waits on the player's lock."""
    player, build = tmp_path / "player.lock", tmp_path / "build.lock"
    held = oslock.try_lock(player)
    job = subprocess.Popen([sys.executable, "-m", "genie_studio.session.compile_job", str(tmp_path / "no-model"),
                            "--lock", str(build), "--after", str(player)], stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            job.wait(3)  # still waiting while the player runs
        assert oslock.is_held(build)  # ... holding the build lock, so no play starts a second build
    finally:
        held.release()  # the player exits
    assert job.wait(120) == 1 and "no-model" in job.stderr.read()  # then it went to work (on no model)
    assert not player.exists() and not oslock.is_held(build)
