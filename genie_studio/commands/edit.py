"""Open the editor on a project or image (default: the bundled model and an example sketch)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from genie_studio.commands._common import add_knob_args

HEADLESS_HELP = (
    "the editor needs a display, and none was found ({why}). Without a desktop: play headless with "
    "`genie-studio play SKETCH --out clip.gif` or record with `genie-studio record SKETCH --actions SPEC --out REC`; "
    "or run the editor on a virtual display: `xvfb-run genie-studio edit`, or `QT_QPA_PLATFORM=offscreen` "
    "(draws nowhere, for scripts and tests)")


def add_arguments(p):
    p.add_argument("project", nargs="?", help="a .genie project, an image to use as the prompt, or a bundled "
                   "example sketch by name (e.g. sketch_01_256x256)")
    add_knob_args(p, "model")


def missing_display(env=None, platform: str | None = None) -> str | None:
    """Why Qt would find no display here, or None. Only X11/Wayland desktops need one named in the
    environment; Windows and macOS always have their own (Qt aborts the process when it has none)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("QT_QPA_PLATFORM"):
        return None  # the user chose a platform plugin (offscreen, vnc, eglfs...)
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return "neither DISPLAY nor WAYLAND_DISPLAY is set"


def run(args):
    from genie_studio.commands._common import CommandError
    from genie_studio.resources import prompt_path

    if args.project is not None:
        args.project = prompt_path(args.project)
        if not Path(args.project).exists():
            raise CommandError(f"{args.project}: no such file (give a .genie project, an image, or an example "
                               "sketch's name)")
    why = missing_display()
    if why:
        raise CommandError(HEADLESS_HELP.format(why=why))
    try:
        from genie_studio.editor.app import run_editor
    except ImportError as e:
        raise CommandError(f"the editor needs PySide6 ({e}); install it: pip install pyside6-essentials") from None
    return run_editor(args.project, model=args.model)
