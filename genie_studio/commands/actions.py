"""List the model's latent actions with their labels and label confidence."""

from genie_studio.commands._common import add_model_arg, not_landed


def add_arguments(p):
    add_model_arg(p)
    p.add_argument("--prompt", help="sketch used to preview each action")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args):
    return not_landed("actions", 6)
