"""List the bundled and user models."""

from genie_studio.commands._common import not_landed


def add_arguments(p):
    p.add_argument("--json", action="store_true")


def run(args):
    return not_landed("models", 4)
