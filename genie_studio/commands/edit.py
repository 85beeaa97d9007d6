"""Open the editor on a project or image (default: the bundled model and an example sketch)."""

from __future__ import annotations

from pathlib import Path

from genie_studio.commands._common import add_model_arg


def add_arguments(p):
    p.add_argument("project", nargs="?", help="a .genie project or an image to use as the prompt")
    add_model_arg(p)


def run(args):
    from genie_studio.commands._common import CommandError

    if args.project is not None and not Path(args.project).exists():
        raise CommandError(f"{args.project}: no such file (give a .genie project or an image)")
    try:
        from genie_studio.editor.app import run_editor
    except ImportError as e:
        raise CommandError(f"the editor needs PySide6 ({e}); install it: pip install pyside6-essentials") from None
    return run_editor(args.project, model=args.model)
