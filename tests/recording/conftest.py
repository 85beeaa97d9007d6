import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tiny_models import save_world, tiny_world  # noqa: E402

torch.set_num_threads(1)
SKETCHES = sorted((Path(__file__).resolve().parents[2] / "examples" / "sketches").glob("*.png"))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("models") / "tiny"
    save_world(tiny_world(), d)
    return d


@pytest.fixture
def prompt():
    return SKETCHES[0]
