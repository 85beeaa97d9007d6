"""The play view fills its panel at the largest crisp whole-number scale (#27 item 5), drawn by real Qt."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from genie_studio.editor.play_view import PlayView  # noqa: E402


def _frame():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)


@pytest.mark.parametrize("size", [(470, 520), (900, 700), (320, 360)])
def test_frame_fills_the_panel_at_the_largest_whole_scale(qtbot, size):
    view = PlayView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    frame = _frame()
    view.set_frame(frame, "right", 15.0, 3)
    fv = view.view
    s = fv.scale()
    assert s == int(min(fv.width(), fv.height()) // 64) and s >= 3
    assert fv.height() >= 0.7 * view.height()  # the controls take one compact band: the frame gets the rest
    r = fv.frame_rect()
    assert (r.width(), r.height()) == (64 * s, 64 * s)
    img = fv.grab().toImage()  # what is on screen: each model pixel an s x s square of its colour
    assert img.width() == fv.width() or img.devicePixelRatio() != 1
    x0, y0 = int(r.x()), int(r.y())
    for (py, px) in [(0, 0), (10, 37), (63, 63)]:
        for dy, dx in [(0, 0), (int(s) - 1, int(s) - 1)]:
            c = img.pixelColor(x0 + px * int(s) + dx, y0 + py * int(s) + dy)
            assert (c.red(), c.green(), c.blue()) == tuple(frame[py, px]), (py, px, dy, dx)


def test_a_panel_smaller_than_the_frame_shrinks_it(qtbot):
    view = PlayView()
    qtbot.addWidget(view)
    view.view.resize(160, 160)
    big = np.zeros((256, 256, 3), np.uint8)
    view.view.set_frame(big)
    assert view.view.scale() == pytest.approx(160 / 256)


def test_buttons_use_style_icons_not_font_glyphs(qtbot):
    view = PlayView()
    qtbot.addWidget(view)
    for b in (view.play_btn, view.reset_btn, view.step_btn):
        assert not b.icon().isNull() and b.text().isascii()
    view.set_playing(True)
    assert view.play_btn.text() == "Pause" and not view.play_btn.icon().isNull()
