"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys


class CommandError(Exception):
    """A user-facing error: ``cli.main`` prints it without a traceback, exit status 1."""


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def add_model_arg(p) -> None:
    p.add_argument("--model", "-m", default=None, help="model name or folder (default: the bundled model)")


def add_compile_arg(p) -> None:
    p.add_argument("--no-compile", action="store_true",
                   help="step with the eager modules; by default the first run compiles the model for this machine "
                        "(about a minute, once) and later runs load it from the cache folder")
