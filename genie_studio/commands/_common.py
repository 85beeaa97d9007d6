"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys


def not_landed(what: str, issue: int) -> int:
    """A capability that has not landed yet: say so plainly, exit status 2, no fake output."""
    print(f"genie-studio: {what} has not landed yet (tracked in issue #{issue}).", file=sys.stderr)
    return 2


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def add_model_arg(p) -> None:
    p.add_argument("--model", "-m", default=None, help="model name or folder (default: the bundled model)")
