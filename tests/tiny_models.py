"""The tiny test models moved to ``genie_studio.world.tiny`` (benchmarks use them too; #28): import them
from there. This re-export stays only until the tests written meanwhile elsewhere have moved; delete it then."""

from genie_studio.world.tiny import LABELS, save_world, tiny_world

__all__ = ["LABELS", "save_world", "tiny_world"]
