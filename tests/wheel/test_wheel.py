"""The built wheel works alone: installed into a fresh venv outside the checkout, run from another folder.

The wheel is built from a copy of the sources (no build/ in the checkout), with this environment's
setuptools and no index; the fresh venv sees this environment's dependencies (torch...) through a .pth
line, so nothing is downloaded and torch is never reinstalled.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "LICENSE", "README.md", "genie_studio", "models",
           "examples/sketches", "plugins"]
MAX_WHEEL_MB = 30
EDITOR_SCRIPT = """
import time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from genie_studio.resources import first_example
from genie_studio.editor.main_window import MainWindow
w = MainWindow()
w.open_initial(None)
w.show()
def wait(cond, s=60):
    end = time.monotonic() + s
    while not cond() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
wait(lambda: w.model_info is not None or w.last_error is not None)
w.toggle_play()
wait(lambda: w.frames_shown >= 3)
print(first_example(), w.model_info is not None, w.last_error, w.frames_shown >= 3)
w.shutdown()
"""

pytestmark = pytest.mark.slow


def _run(cmd, cwd, env, timeout=180):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-4000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    for name in SOURCES:
        s, d = ROOT / name, src / name
        if s.is_dir():
            shutil.copytree(s, d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GENIE_STUDIO_MODELS")}
    env.update(GENIE_STUDIO_HOME=str(base / "home"), OMP_NUM_THREADS="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               GENIE_STUDIO_COMPILE="0")  # the editor and play never compile the bundled model here
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(base / "dist"), str(src)], base, env)
    wheel = next((base / "dist").glob("genie_studio-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base,
                   env).stdout.strip()
    # the dependencies come from this environment; its own genie_studio (editable) does not: a path
    # line in a .pth does not run that folder's .pth files
    Path(purelib, "genie_studio_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
          "--no-compile", str(wheel)], base, env)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    exe = venv / ("Scripts/genie-studio.exe" if os.name == "nt" else "bin/genie-studio")
    return {"wheel": wheel, "venv": venv, "py": py, "exe": exe, "cwd": elsewhere, "env": env,
            "site": Path(purelib)}


def test_wheel_carries_model_examples_plugins_and_spdx_license(installed):
    wheel = installed["wheel"]
    assert wheel.stat().st_size < MAX_WHEEL_MB * 1e6
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for needed in ("genie_studio/bundled/models/sketchworld-tiny/config.json",
                   "genie_studio/bundled/models/sketchworld-tiny/dynamics.safetensors",
                   "genie_studio/bundled/examples/sketches/sketch_01_256x256.png",
                   "genie_studio/bundled/plugins/webp/__init__.py",
                   "genie_studio/data/palette.json"):
        assert needed in names
    assert not any("/.train/" in n or n.endswith((".pyc", ".ckpt")) for n in names)
    assert "License-Expression: MIT" in meta
    assert "Requires-Dist: torch==2.13.0" in meta


def test_installed_commands_run_from_another_folder(installed):
    exe, cwd, env, site = str(installed["exe"]), installed["cwd"], installed["env"], installed["site"]
    where = _run([str(installed["py"]), "-c", "import genie_studio, genie_studio.resources as r; "
                  "print(genie_studio.__file__); print(r.models_dir())"], cwd, env).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where  # the installed copy, not the checkout

    out = _run([exe, "play", "sketch_01_256x256", "--actions", "right*4", "--out", "x.gif", "--no-compile"], cwd, env)
    assert (cwd / "x.gif").stat().st_size > 0 and str(site) in out.stdout

    acts = json.loads(_run([exe, "actions", "--json"], cwd, env).stdout)
    assert len(acts["actions"]) >= 2

    formats = _run([exe, "export", "--format", "list"], cwd, env).stdout
    assert "webp" in formats and "mp4" in formats  # the first-party plugin shipped and loaded

    models = json.loads(_run([exe, "models", "--json"], cwd, env).stdout)
    bundled = [m for m in models if m.get("bundled")]
    assert bundled and Path(bundled[0]["path"]).is_relative_to(site)


def test_installed_editor_opens_an_example_and_plays(installed):
    env = dict(installed["env"], QT_QPA_PLATFORM="offscreen")
    out = _run([str(installed["py"]), "-c", EDITOR_SCRIPT], installed["cwd"], env).stdout.split()
    example, loaded, error, played = out[-4:]
    assert Path(example).is_relative_to(installed["site"]) and example.endswith(".png")
    assert loaded == "True" and error == "None" and played == "True"
