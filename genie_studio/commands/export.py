"""Export a recording for a game engine: gif, mp4, png sequence, sprite sheet, Godot SpriteFrames."""

from genie_studio.commands._common import not_landed


def add_arguments(p):
    p.add_argument("recording", help="recording folder")
    p.add_argument("--format", "-f", required=True, help="exporter name (see --format list)")
    p.add_argument("--out", required=True)
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--fps", type=int, default=None)
    p.add_argument("--frames", default=None, help="A:B frame range")


def run(args):
    return not_landed("export", 9)
