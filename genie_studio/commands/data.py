"""Generate, import and inspect clip datasets."""

from genie_studio.commands._common import not_landed


def add_arguments(p):
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    g = sub.add_parser("generate", help="render episodes of the procedural platformer")
    g.add_argument("--out", required=True)
    g.add_argument("--episodes", type=int, required=True)
    g.add_argument("--style", default="sketch", help="comma-separated styles")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--workers", type=int, default=1)
    i = sub.add_parser("import", help="import gameplay footage (MP4/WebM/GIF/PNG folders)")
    i.add_argument("inputs", nargs="+")
    i.add_argument("--out", required=True)
    n = sub.add_parser("info", help="summarise a dataset")
    n.add_argument("dir")
    n.add_argument("--json", action="store_true")


def run(args):
    return not_landed("datasets", 3)
