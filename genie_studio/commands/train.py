"""Train Genie's components: tokenizer, then latent action model and dynamics."""

from genie_studio.commands._common import not_landed


def add_arguments(p):
    p.add_argument("component", choices=["tokenizer", "lam", "dynamics", "all"])
    p.add_argument("--data", required=True, action="append", help="dataset folder (repeatable)")
    p.add_argument("--out", required=True, help="model folder")
    p.add_argument("--preset", default="tiny")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])


def run(args):
    return not_landed("training", 4)
