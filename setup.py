"""Build hook: the wheel carries the bundled models, the example sketches and the first-party plugins.

They live at the repository root (``models/``, ``examples/sketches/``, ``plugins/``) so that a checkout
runs as it is; when a wheel is built they are copied to ``genie_studio/bundled/`` as package data, where
``genie_studio.resources`` finds them. Everything else is configured in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
MODEL_FILES = {".json", ".safetensors", ".md"}  # config, weights, eval, card; never checkpoints or logs


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in rel.parts)


def shipped_files():
    """(source file, path below genie_studio/bundled/) for every file the wheel carries."""
    models = ROOT / "models"
    for model in sorted(models.iterdir()) if models.is_dir() else []:
        if model.is_dir() and not model.name.startswith(".") and (model / "config.json").is_file():
            for f in sorted(model.iterdir()):
                if f.is_file() and not f.name.startswith(".") and f.suffix in MODEL_FILES:
                    yield f, f"models/{model.name}/{f.name}"
    for f in sorted((ROOT / "examples" / "sketches").glob("*.png")):
        yield f, f"examples/sketches/{f.name}"
    for f in sorted((ROOT / "examples" / "heldout").glob("*.*")):
        if f.suffix in (".png", ".json"):
            yield f, f"examples/heldout/{f.name}"
    plugins = ROOT / "plugins"
    for f in sorted(plugins.rglob("*")):
        rel = f.relative_to(plugins)
        if f.is_file() and not _hidden(rel) and f.suffix != ".pyc":
            yield f, f"plugins/{rel.as_posix()}"


class BuildPyWithBundled(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # editable install: resources reads the checkout
            return
        for src, rel in shipped_files():
            target = Path(self.build_lib, "genie_studio", "bundled", rel)
            self.mkpath(str(target.parent))
            self.copy_file(str(src), str(target))


setup(cmdclass={"build_py": BuildPyWithBundled})
