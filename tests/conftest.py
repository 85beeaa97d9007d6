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


_COMPILE_FILES = ("tests/session/test_compile_job.py", "tests/session/test_compiled.py")


def _work_unit(nodeid: str) -> str:
    """A test's unit of work on pytest-xdist: its file; the two compile files are one unit, sharing their
    one build (tests/session/conftest.py)."""
    path = nodeid.split("::", 1)[0]
    return "compile" if path in _COMPILE_FILES else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pyproject's ``-n auto``: each worker takes a whole file at a time, so a file's module fixtures (servers,
    windows, installed wheels) are built once (xdist's own loadgroup does not group under pytest 9)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    config.option.loadscopereorder = False  # keep the collection's order: the longest units first
    return ByFile(config, log)


# The longest units go first (the durations every run prints), so that no worker ends alone on one of them.
_LONGEST = ("compile", "tests/wheel/test_wheel.py", "tests/train/test_training.py", "tests/test_signals.py",
            "tests/autoplay/test_autoplay.py", "tests/cli/test_cli_helps.py", "tests/world/test_model_core.py",
            "tests/editor/test_window.py", "tests/models/test_default_model.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        unit = _work_unit(item.nodeid)
        return _LONGEST.index(unit) if unit in _LONGEST else len(_LONGEST)

    items.sort(key=rank)  # stable: the rest keep their order
