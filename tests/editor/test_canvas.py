"""The sketch canvas: strokes, undo/redo, fill, import, the model's-eye thumbnail, a reference render."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from genie_studio.data.palette import PALETTE
from genie_studio.editor.canvas import PAPER, SketchCanvas, blank
from genie_studio.editor.qt_image import from_qimage
from genie_studio.editor.toolbox import SketchToolbox
from genie_studio.session.prompt import fit_prompt

REFERENCE = Path(__file__).with_name("reference") / "canvas.png"


@pytest.fixture
def canvas(qtbot):
    c = SketchCanvas(size=(64, 96))
    qtbot.addWidget(c)
    c.resize(300, 220)
    return c


def test_stroke_changes_canvas_and_undo_redo_restore_it(canvas):
    before = canvas.sketch_array()
    assert (before == PAPER).all()
    canvas.color_name = "platform"
    canvas.draw_stroke([(5, 5), (30, 20), (60, 40)])
    after = canvas.sketch_array()
    changed = (after != before).any(axis=-1)
    assert changed.sum() > 50
    assert set(map(tuple, after[changed])) == {PALETTE["platform"]}  # exact palette colour, no antialiasing
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.sketch_array(), before)
    canvas.undo_stack.redo()
    assert np.array_equal(canvas.sketch_array(), after)


def test_mouse_drawing_with_each_tool(canvas, qtbot):
    canvas.show()
    qtbot.waitExposed(canvas)
    start = canvas.sketch_array()
    for tool in ("pencil", "line", "rect"):
        canvas.tool = tool
        a, b = QPoint(100, 80), QPoint(180, 140)
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=a)
        qtbot.mouseMove(canvas, pos=b)
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=b)
    assert canvas.undo_stack.count() == 3
    assert (canvas.sketch_array() != start).any()
    canvas.tool = "eraser"
    canvas.brush_size = 200
    canvas.draw_stroke([(0, 0), (95, 63)])
    assert (canvas.sketch_array() == PAPER).all()


def test_bucket_fill(canvas):
    canvas.color_name = "ground"
    canvas.brush_size = 2
    canvas.draw_line((0, 32), (95, 32))  # split the canvas in two
    canvas.color_name = "hazard"
    n = canvas.fill_at(10, 10)
    a = canvas.sketch_array()
    assert n > 0 and (a[:30] == PALETTE["hazard"]).all() and (a[40:] == PAPER).all()
    assert canvas.fill_at(10, 10) == 0  # same colour: nothing to do, no undo entry
    assert canvas.undo_stack.count() == 2


def test_clear_is_undoable(canvas):
    canvas.draw_rect((0, 0), (20, 20))
    drawn = canvas.sketch_array()
    canvas.clear()
    assert (canvas.sketch_array() == PAPER).all()
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.sketch_array(), drawn)


def test_zoom_and_pan(canvas):
    canvas.fit_view()
    z = canvas.zoom
    canvas.zoom_by(2.0)
    assert canvas.zoom == pytest.approx(2 * z)
    o = canvas.offset
    canvas.pan_by(10, -5)
    assert canvas.offset.x() == pytest.approx(o.x() + 10) and canvas.offset.y() == pytest.approx(o.y() - 5)


def test_thumbnail_is_fit_prompt_of_canvas(qtbot):
    c = SketchCanvas(size=(256, 456))
    qtbot.addWidget(c)
    tb = SketchToolbox(c)
    qtbot.addWidget(tb)
    tb.set_resolution((16, 16))
    c.color_name = "player"
    c.draw_rect((300, 100), (330, 160))  # player far right: the crop follows it
    expected = fit_prompt(c.sketch_array(), (16, 16))
    assert np.array_equal(tb.model_sees, expected)
    assert tb.model_sees.shape == (16, 16, 3)
    c.undo_stack.undo()
    assert np.array_equal(tb.model_sees, fit_prompt(blank(256, 456), (16, 16)))


def _render(qtbot):
    c = SketchCanvas(size=(64, 96))
    qtbot.addWidget(c)
    c.resize(200, 140)
    c.fit_view()
    c.color_name = "ground"
    c.draw_rect((0, 50), (96, 64))
    c.color_name = "platform"
    c.draw_rect((40, 30), (70, 34))
    c.color_name = "player"
    c.brush_size = 6
    c.draw_stroke([(15, 44), (15, 46)])
    c.color_name = "hazard"
    c.tool = "fill"
    c.fill_at(50, 55)  # turns the ground red
    c.show_grid = True
    return from_qimage(c.grab().toImage())


def test_canvas_matches_reference_image(qtbot):
    """Screenshot test (in the manner of pyqtgraph's image_testing): compare with a tolerance."""
    got = _render(qtbot)
    if os.environ.get("GENIE_STUDIO_UPDATE_REFERENCE") or not REFERENCE.exists():
        REFERENCE.parent.mkdir(exist_ok=True)
        Image.fromarray(got).save(REFERENCE)
        if not os.environ.get("GENIE_STUDIO_UPDATE_REFERENCE"):
            pytest.fail(f"no reference image; wrote {REFERENCE}: check it and commit it")
    ref = np.asarray(Image.open(REFERENCE).convert("RGB"))
    assert got.shape == ref.shape
    diff = np.abs(got.astype(int) - ref.astype(int)).max(axis=-1)
    assert (diff > 40).mean() < 0.01, f"{(diff > 40).mean():.2%} of pixels differ from {REFERENCE}"
    assert diff.mean() < 3


def test_the_toolbox_shows_the_whole_level_with_the_first_view_marked(qtbot):
    from genie_studio.editor.toolbox import VIEW_MARK
    from genie_studio.session.prompt import fit_strip

    canvas = SketchCanvas(size=(128, 1024))
    qtbot.addWidget(canvas)
    tb = SketchToolbox(canvas)
    qtbot.addWidget(tb)
    tb.set_resolution((16, 16), 4)
    canvas.color_name = "player"
    canvas.draw_rect((40, 90), (48, 110))  # near the left end
    strip, x = fit_strip(canvas.sketch_array(), (16, 16))
    assert tb.level_sees.shape == strip.shape and strip.shape[1] > 16  # more than one view
    assert (tb.level_sees[0, x:x + 16] == VIEW_MARK).all() and (tb.level_sees[:, x] == VIEW_MARK).all()
    assert "screens" in tb.level_caption.text()
