"""Measure interactive speed: frames/s, step latency, cached vs uncached, batched sessions."""

from genie_studio.commands._common import add_model_arg, not_landed


def add_arguments(p):
    add_model_arg(p)
    p.add_argument("--json", action="store_true")


def run(args):
    return not_landed("bench", 5)
