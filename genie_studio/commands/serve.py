"""Serve models to remote editors over websockets (loopback by default)."""

from genie_studio.commands._common import not_landed


def add_arguments(p):
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token-file")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])


def run(args):
    return not_landed("the server", 10)
