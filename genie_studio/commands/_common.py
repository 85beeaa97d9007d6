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
                   help="step with the eager modules, and compile nothing; by default the model is compiled for this "
                        "machine once (about a minute; play goes on eagerly meanwhile, `bench` waits for it) and later "
                        "runs load it from the cache folder in milliseconds")


def add_decoder_args(p) -> None:
    from genie_studio.config import DECODERS, DEFAULT_DECODER

    p.add_argument("--decoder", choices=DECODERS, default=None,
                   help="copy: the whole drawing is the level and only what moves is generated; free: every token "
                        f"of every frame is generated (default: the settings' decoder, {DEFAULT_DECODER} unless set)")
    p.add_argument("--endless", action="store_true",
                   help="with --decoder copy, let the model invent the level past the drawing's ends")


def decoder_knobs(args, settings: dict | None = None) -> dict:
    """``decoder``/``endless`` for SessionSettings from the flags, else the settings."""
    from genie_studio.config import DEFAULTS

    settings = settings or DEFAULTS
    return {"decoder": args.decoder or settings.get("decoder", DEFAULTS["decoder"]),
            "endless": bool(args.endless or settings.get("endless", False))}


def add_json_arg(p, what: str = "machine-readable output") -> None:
    p.add_argument("--json", action="store_true", help=what)


def resolve_prompt(prompt: str) -> str:
    """A prompt argument as a file: a path as given, or a bundled example by name (``sketch_01_256x256``).
    Checked before any model loads; the error lists the examples."""
    from pathlib import Path

    from genie_studio.resources import example_sketches, prompt_path

    path = prompt_path(prompt)
    if not Path(path).exists():
        names = ", ".join(p.stem for p in example_sketches()) or "none installed"
        raise CommandError(f"{prompt}: no such image, and no example sketch of that name (examples: {names})")
    if Path(path).is_dir():
        raise CommandError(f"{prompt}: is a folder; give an image (PNG, JPEG...) or an example sketch's name")
    return path


def check_writable_parent(out) -> None:
    """Fail now, not after the model has played, when ``out``'s folder cannot be made or written."""
    import os
    from pathlib import Path

    from genie_studio.fsutil import os_error_text

    parent = Path(out).absolute().parent
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise CommandError(f"{out}: cannot be created, {probe} is a file and not a folder")
    if not os.access(probe, os.W_OK):
        raise CommandError(f"{out}: cannot be written, {probe} is not a writable folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandError(f"{out}: cannot create its folder ({os_error_text(e)})") from None


def exporter_for_output(out: str, registry=None):
    """The exporter that writes ``out`` (a folder of PNGs when it has no extension), checked before any
    model loads; the error lists the extensions that work."""
    from pathlib import Path

    from genie_studio.export.registry import default_registry

    registry = registry or default_registry()
    path = Path(out)
    if not path.suffix:
        exporter = registry.get("png")
    else:
        exporter = next((e for e in registry if path.suffix.lower() in tuple(e.extensions)), None)
        if exporter is None:
            exts = sorted({x for e in registry for x in e.extensions})
            raise CommandError(f"--out {out}: no exporter writes {path.suffix} files; use one of "
                               f"{', '.join(exts)}, or a folder name for PNG frames")
    check_writable_parent(path)
    return exporter
