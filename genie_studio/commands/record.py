"""Record a headless playthrough to a recording folder."""

from genie_studio.commands._common import add_model_arg, not_landed


def add_arguments(p):
    p.add_argument("prompt", help="prompt image")
    add_model_arg(p)
    p.add_argument("--actions", required=True, help="action SPEC, e.g. right*8,jump")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="recording folder")


def run(args):
    return not_landed("recording", 9)
