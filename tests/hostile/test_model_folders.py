"""A model folder's config is not trusted (issue #26 D): every field is range-checked, the modules are
compared with the safetensors headers before anything is allocated, and weights must be finite floats.
Whatever the folder holds, loading gives one clear ModelError, quickly."""

from __future__ import annotations

import json
import re
import time

import pytest
import torch
from safetensors.torch import load_file, save_file

from genie_studio.world.bundle import BundleError, ModelError, load_model
from genie_studio.world.tiny import save_world, tiny_world


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "tiny"
    save_world(tiny_world(), folder)
    return folder


def _copy(good, tmp_path):
    dst = tmp_path / "m"
    dst.mkdir()
    for f in good.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def _edit_config(folder, fn):
    cfg = json.loads((folder / "config.json").read_text())
    fn(cfg)
    (folder / "config.json").write_text(json.dumps(cfg))


CONFIGS = {  # the reported configs; before: GBs and tens of seconds, or a raw traceback
    "dim 20000": lambda c: c["components"]["dynamics"].update(dim=20000),
    "dim 10^6": lambda c: c["components"]["dynamics"].update(dim=10**6),
    "dim -5": lambda c: c["components"]["dynamics"].update(dim=-5),
    "dim '32'": lambda c: c["components"]["dynamics"].update(dim="32"),
    "heads 0": lambda c: c["components"]["dynamics"].update(heads=0),
    "patch 0": lambda c: c["components"]["tokenizer"].update(patch=0),
    "labels null": lambda c: c["actions"].update(labels=None),
    "depth 10000": lambda c: c["components"]["dynamics"].update(depth=10000),
    "depth 100 (in range, not in the file)": lambda c: c["components"]["dynamics"].update(depth=100),
    "dim 8192 (in range, not in the file)": lambda c: c["components"]["dynamics"].update(dim=8192, heads=2),
    "components a list": lambda c: c.update(components=[]),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_a_hostile_config_is_one_clear_error_before_any_allocation(good, tmp_path, case):
    folder = _copy(good, tmp_path)
    _edit_config(folder, CONFIGS[case])
    t = time.perf_counter()
    with pytest.raises(ModelError) as e:
        load_model(folder)
    assert time.perf_counter() - t < 2.0
    assert str(folder) in str(e.value)
    assert e.type is ModelError and BundleError is ModelError


def _rewrite(folder, name, fn):
    state = load_file(str(folder / f"{name}.safetensors"))
    save_file(fn(state), str(folder / f"{name}.safetensors"))


@pytest.mark.parametrize("case,fn,match", [
    ("int8", lambda s: {k: v.to(torch.int8) for k, v in s.items()}, "F32, F16 or BF16"),
    ("NaN", lambda s: {k: torch.full_like(v, float("nan")) for k, v in s.items()}, "NaN or infinite"),
    ("one inf", lambda s: {k: v.clone().fill_(float("inf")) if i == 0 else v for i, (k, v) in enumerate(s.items())},
     "NaN or infinite"),
    ("a tensor missing", lambda s: dict(list(s.items())[1:]), "do not match"),
])
def test_bad_weights_are_refused(good, tmp_path, case, fn, match):
    folder = _copy(good, tmp_path)
    _rewrite(folder, "dynamics", fn)
    with pytest.raises(ModelError, match=match):
        load_model(folder)


def test_a_header_that_lies_about_the_file_is_refused(good, tmp_path):
    folder = _copy(good, tmp_path)
    f = folder / "dynamics.safetensors"
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(ModelError, match="truncated"):
        load_model(folder)
    f.write_bytes(b"\xff" * 8 + b"{}")
    with pytest.raises(ModelError, match="corrupt"):
        load_model(folder)


def test_the_good_model_still_loads(good):
    wm = load_model(good)
    assert wm.action_labels == ["noop", "left", "right", "jump"]


def test_a_config_within_the_headers_extents_is_refused_before_any_module_is_built(tmp_path, monkeypatch):
    """The bundled model with dynamics dim 480 (built with 192; every extent still under the file's largest
    dimension): it used to build the modules (8 s, 370 MB) before finding the shapes wrong. The shape formula
    (cfg.state_shapes) refuses it from the headers alone: one ModelError naming the file, a tensor and both
    shapes, and no module built."""
    from genie_studio.resources import models_dir
    from genie_studio.world import bundle

    folder = tmp_path / "m"
    folder.mkdir()
    for f in (models_dir() / "sketchworld-tiny").iterdir():
        if f.name == "config.json" or f.suffix == ".safetensors":
            (folder / f.name).write_bytes(f.read_bytes())
    _edit_config(folder, lambda c: c["components"]["dynamics"].update(dim=480))

    def built(cfg):
        raise AssertionError("a module was built")

    monkeypatch.setattr(bundle, "COMPONENTS", {k: (c, built) for k, (c, _) in bundle.COMPONENTS.items()})
    t = time.perf_counter()
    with pytest.raises(ModelError) as e:
        load_model(folder)
    assert time.perf_counter() - t < 0.5
    message = str(e.value)
    assert message.startswith(f"{folder / 'dynamics.safetensors'}: tensor ")
    assert re.search(r"tensor [\w.]+ has shape \((\d+, )*192\), config.json implies \((\d+, )*480\)$", message), message
