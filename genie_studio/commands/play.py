"""Play a world from a prompt image: headless to a GIF/MP4/PNG folder, or live in a window."""

from genie_studio.commands._common import add_model_arg, not_landed


def add_arguments(p):
    p.add_argument("prompt", help="prompt image (any drawing or photo)")
    add_model_arg(p)
    p.add_argument("--actions", default="right*16", help="action SPEC, e.g. right*8,jump,noop*2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None, help="MaskGIT steps per frame")
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--out", help="output: DIR (PNG frames), X.gif or X.mp4")
    p.add_argument("--window", action="store_true", help="play live in a window")
    p.add_argument("--fps", type=int, default=15)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])


def run(args):
    return not_landed("play", 5)
