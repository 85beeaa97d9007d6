import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
# Set when the test session imports this file, before any fixture runs or any subprocess starts, so that
# module-scoped servers and installed commands inherit them too:
# - compiling (AOTInductor, 10-20 s a graph on 2 cores) is off; tests/session/test_compiled.py turns it on
#   where it asks (its `compile_cache` fixture), and subprocess tests pass --no-compile as well;
# - one thread per process: the tiny test models run no faster on two, and two threads stall badly when
#   another process holds a core.
os.environ["GENIE_STUDIO_COMPILE"] = "0"
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own settings/data folders: never the user's."""
    monkeypatch.setenv("GENIE_STUDIO_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A tiny random model folder (genie_studio.world.tiny), shared read-only by the tests that load models."""
    from genie_studio.world.tiny import save_world, tiny_world

    d = tmp_path_factory.mktemp("models") / "tiny"
    save_world(tiny_world(), d)
    return d
