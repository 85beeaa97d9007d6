"""Files that ship with genie-studio: the bundled models, the example sketches and the first-party plugins.

In a built wheel they are package data under ``genie_studio/bundled/`` (``setup.py`` copies them there
when the wheel is built). In a source checkout (``make run``, the editable install) the package has no
``bundled/`` folder and they are the repository's own ``models/``, ``examples/sketches/`` and
``plugins/`` folders, next to the package. Both are found through ``importlib.resources``, so nothing
here depends on where the package was installed. The palette is package data of ``genie_studio.data``.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

SHIPPED = "bundled"  # folder inside the package that a wheel carries
# what ships -> where it lives, the same below bundled/ (wheel) and below the repository root (checkout)
LAYOUT = {"models": "models", "examples": "examples/sketches", "heldout": "examples/heldout", "plugins": "plugins"}

_files = ExitStack()
atexit.register(_files.close)


def _as_path(t: Traversable) -> Path:
    """A real folder for ``t`` (models are read with ``safetensors``, plugins imported from files)."""
    if isinstance(t, Path):
        return t
    return Path(_files.enter_context(resources.as_file(t)))  # e.g. a zipped install: extracted once


def _find(kind: str) -> Path:
    parts = LAYOUT[kind].split("/")
    pkg = resources.files("genie_studio")
    shipped = pkg.joinpath(SHIPPED, *parts)
    if shipped.is_dir():
        return _as_path(shipped)
    return _as_path(pkg).parent.joinpath(*parts)  # source checkout: beside the package


def models_dir() -> Path:
    """The folder of bundled models (one sub-folder per model)."""
    return _find("models")


def examples_dir() -> Path:
    """The folder of example sketches (PNG)."""
    return _find("examples")


def example_sketches() -> list[Path]:
    d = examples_dir()
    return sorted(d.glob("*.png")) if d.is_dir() else []


def first_example() -> Path | None:
    """The sketch the editor opens when it is given none."""
    files = example_sketches()
    return files[0] if files else None


def heldout_dir() -> Path:
    """The held-out drawing set of the world-fidelity evaluation (PNGs and ``drawings.json``)."""
    return _find("heldout")


def plugins_dir() -> Path:
    """The first-party plugins: Python exporter plugins and the Godot addon (``godot/addons``)."""
    return _find("plugins")


def is_installed_copy() -> bool:
    """True when running from a built wheel (package data), False in a source checkout."""
    return resources.files("genie_studio").joinpath(SHIPPED).is_dir()


def find_example(name: str) -> Path | None:
    """A bundled example sketch named by its file name or stem (``sketch_01_256x256``), else None."""
    for p in example_sketches():
        if name in (p.name, p.stem):
            return p
    return None


def prompt_path(prompt: str) -> str:
    """A prompt argument as a file: an existing path as given, else a bundled example of that name."""
    if Path(prompt).exists():
        return prompt
    example = find_example(prompt)
    return str(example) if example else prompt
