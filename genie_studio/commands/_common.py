"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys


class CommandError(Exception):
    """A user-facing error: ``cli.main`` prints it without a traceback, exit status 1."""


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


# knob (knobs.Knobs field) -> its flag; each flag defaults to None: the settings' value, which is the knob's default
# unless the settings (the editor) changed it
FLAGS = {"model": "--model", "device": "--device", "precision": "--precision", "maskgit_steps": "--steps",
         "temperature": "--temperature", "seed": "--seed", "fps": "--fps", "decoder": "--decoder",
         "endless": "--endless", "compile": "--no-compile"}
_HELP = {
    "model": "model name or folder",
    "device": "where the model runs",
    "precision": "auto: bf16 on CUDA and on CPUs with bf16 instructions, else fp32",
    "maskgit_steps": "MaskGIT steps per frame: more is sharper and slower",
    "temperature": "sampling temperature, 0 is the most likely frame",
    "seed": "random seed: the same seed plays the same world",
    "fps": "frames per second aimed at",
    "decoder": "copy: the whole drawing is the level and only what moves is generated; free: every token of every "
               "frame is generated",
}


def _fps(text: str):
    v = float(text)
    return int(v) if v.is_integer() else v


def add_knob_args(p, *names: str, help: dict | None = None, settings: bool = True) -> None:
    """Flags for the named knobs (``FLAGS``' keys); ``help`` overrides a help line's first part. Each help
    line ends with the knob's default, read now from knobs.Knobs (the settings' value first, unless the
    command does not read the settings: ``settings=False``, then ``knobs_from_args(args, {})``)."""
    from genie_studio.knobs import DECODERS, DEVICES, PRECISIONS, Knobs

    default = Knobs()
    for name in names:
        text = (help or {}).get(name) or _HELP.get(name, "")
        value = "the bundled model" if name == "model" and default.model == "default" else getattr(default, name)
        note = f"(default: the settings' value, {value} unless changed)" if settings else f"(default: {value})"
        if name == "model":
            p.add_argument("--model", "-m", default=None, help=f"{text} {note}")
        elif name == "endless":
            p.add_argument("--endless", action="store_true", default=None,
                           help="with --decoder copy, let the model invent the level past the drawing's ends")
        elif name == "compile":
            p.add_argument("--no-compile", dest="compile", action="store_false", default=None,
                           help="step with the eager modules, and compile nothing; by default the model is compiled "
                                "for this machine once (about a minute; play goes on eagerly meanwhile, `bench` waits "
                                "for it) and later runs load it from the cache folder in milliseconds")
        else:
            kind = {"device": {"choices": DEVICES}, "precision": {"choices": PRECISIONS},
                    "decoder": {"choices": DECODERS}, "maskgit_steps": {"type": int}, "temperature": {"type": float},
                    "seed": {"type": int}, "fps": {"type": _fps}}[name]
            p.add_argument(FLAGS[name], dest=name, default=None, help=f"{text} {note}", **kind)


def knobs_from_args(args, settings: dict | None = None, names=tuple(FLAGS)):
    """The knobs of a command: its flags (of ``names``) where given, else the settings' (``config.load_settings()``)."""
    from genie_studio.config import load_settings
    from genie_studio.knobs import KnobError, Knobs

    given = {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
    try:
        return Knobs.from_dict(given, Knobs.from_dict(load_settings() if settings is None else settings))
    except KnobError as e:
        raise CommandError(f"{FLAGS.get(e.name, e.name)}: {e}" if e.name in given else str(e)) from None


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
