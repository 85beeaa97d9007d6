import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own settings/data folders: never the user's."""
    monkeypatch.setenv("GENIE_STUDIO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GENIE_STUDIO_COMPILE", "0")  # compiling takes ~10 s a graph: only tests/session/test_compiled


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A tiny random model folder (tests.tiny_models), shared read-only by the tests that load models."""
    from tests.tiny_models import save_world, tiny_world

    d = tmp_path_factory.mktemp("models") / "tiny"
    save_world(tiny_world(), d)
    return d
