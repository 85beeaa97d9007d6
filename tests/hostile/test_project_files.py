"""Hostile .genie project files: whatever the bytes, loading returns a Project or raises ProjectError,
within bounded time and memory (issue #15, defect 7)."""

import io
import json
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_studio.project import document as prj


def _good() -> bytes:
    sketch = np.random.default_rng(0).integers(0, 255, (16, 24, 3), dtype=np.uint8)
    return prj.project_bytes(prj.Project(sketch=sketch, tracing=sketch[::-1].copy(), settings={"seed": 3}))


GOOD = _good()


def _rezip(doc=None, members=None) -> bytes:
    """GOOD with project.json replaced by ``doc`` (a dict or raw str) and members added/replaced."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(GOOD)) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        files = {n: zin.read(n) for n in zin.namelist()}
        if doc is not None:
            files["project.json"] = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
        files.update(members or {})
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def _doc() -> dict:
    with zipfile.ZipFile(io.BytesIO(GOOD)) as z:
        return json.loads(z.read("project.json"))


def _loads_or_project_error(data: bytes):
    try:
        return prj.load_project_bytes(data, "x.genie")
    except prj.ProjectError as e:
        assert str(e).startswith("x.genie"), e
        return None


@pytest.mark.parametrize("change", [
    {"layers": 5}, {"layers": "sketch"}, {"layers": [{"name": ["sketch"]}]}, {"layers": None},
    {"version": 1.5}, {"version": "1"}, {"format": None},
])
def test_wrong_types_are_project_errors(change):
    with pytest.raises(prj.ProjectError):
        prj.load_project_bytes(_rezip({**_doc(), **change}), "x.genie")


@pytest.mark.parametrize("raw_settings", ['{"seed": NaN}', '{"maskgit_steps": 1e400}', '{"seed": -Infinity}',
                                          '{"fps": 1e308, "temperature": NaN}'])
def test_non_finite_knobs_are_dropped(raw_settings):
    text = json.dumps({**_doc(), "settings": "@@"}).replace('"@@"', raw_settings)
    p = prj.load_project_bytes(_rezip(text), "x.genie")
    assert p.settings == {}


def test_flipped_byte_in_a_layer_is_a_project_error():
    with zipfile.ZipFile(io.BytesIO(GOOD)) as z:
        info = z.getinfo("sketch.png")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in (0, info.compress_size // 2, info.compress_size - 1):
        bad = bytearray(GOOD)
        bad[start + offset] ^= 0xFF
        with pytest.raises(prj.ProjectError, match="sketch.png"):
            prj.load_project_bytes(bytes(bad), "x.genie")


def test_encrypted_member_is_a_project_error():
    data = bytearray(GOOD)
    with zipfile.ZipFile(io.BytesIO(GOOD)) as z:
        info = z.getinfo("sketch.png")
    data[info.header_offset + 6] |= 0x1  # "encrypted" in the local header ...
    central = GOOD.index(b"PK\x01\x02")
    while GOOD[central + 46:central + 46 + len(info.filename)] != info.filename.encode():
        central = GOOD.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1  # ... and in the central directory
    with pytest.raises(prj.ProjectError, match="encrypted"):
        prj.load_project_bytes(bytes(data), "x.genie")


def test_huge_project_json_is_refused_before_it_is_read():
    padded = json.dumps(_doc())[:-1] + " " * (16 * 1024 * 1024) + "}"  # valid JSON, 16 MiB
    data = _rezip(padded)
    assert len(data) < 200_000
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with pytest.raises(prj.ProjectError, match="limit"):
            prj.load_project_bytes(data, "x.genie")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t < 1.0 and peak < 4 * 1024 * 1024


def test_layer_with_too_many_pixels_is_refused():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buf, "PNG")  # small file, 64 Mpx
    with pytest.raises(prj.ProjectError, match="pixels"):
        prj.load_project_bytes(_rezip(members={"sketch.png": buf.getvalue()}), "x.genie")


json_leaf = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=12)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
KEYS = ["format", "version", "layers", "settings", "model", "action_labels", "bindings", "canvas", "created_with"]


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), json_value, max_size=5),
       st.lists(st.dictionaries(st.sampled_from(["name", "file", "opacity", "visible"]),
                                json_value | st.sampled_from(["sketch", "tracing", "sketch.png", "tracing.png"]),
                                max_size=4), max_size=3) | json_value)
def test_generated_documents(changes, layers):
    doc = {**_doc(), "layers": layers, **changes}
    _loads_or_project_error(_rezip(json.dumps(doc)))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(1, 255)), min_size=1, max_size=6),
       st.integers(0, len(GOOD)))
def test_damaged_bytes(flips, cut):
    bad = bytearray(GOOD)
    for i, x in flips:
        bad[i] ^= x
    _loads_or_project_error(bytes(bad[:max(cut, 1)]) if cut < len(GOOD) // 2 else bytes(bad))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.binary(max_size=400))
def test_random_bytes(data):
    _loads_or_project_error(data)
