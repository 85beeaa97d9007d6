"""Open the editor on a project or image (default: the bundled model and an example sketch)."""

from genie_studio.commands._common import not_landed


def add_arguments(p):
    p.add_argument("project", nargs="?", help="a .genie project or an image to use as the prompt")


def run(args):
    return not_landed("the editor", 7)
