import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

torch.set_num_threads(1)
SKETCHES = sorted((Path(__file__).resolve().parents[2] / "examples" / "sketches").glob("*.png"))


@pytest.fixture
def prompt():
    return SKETCHES[0]
