"""The sketch canvas: palette brushes, pencil, line, rectangle, bucket fill, eraser, undo, zoom and pan.

The sketch is an RGB image drawn at a higher resolution than the model's (256 px tall by default)
and painted without antialiasing, so every pixel is exactly a palette colour. An optional tracing
layer (any imported picture) is shown faded under the strokes' outline; the model never sees it.
Every edit is one snapshot command on a QUndoStack.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from genie_studio.data.palette import PALETTE
from genie_studio.editor.qt_image import from_qimage, to_qimage
from genie_studio.project.fill import StrokeSmoother, flood_fill

CANVAS_HEIGHT = 256
TOOLS = ("pencil", "line", "rect", "fill", "eraser")
PAPER = PALETTE["background"]


def blank(height: int, width: int) -> np.ndarray:
    a = np.empty((height, width, 3), dtype=np.uint8)
    a[:] = PAPER
    return a


class SnapshotCommand(QUndoCommand):
    """One edit: the sketch (and tracing layer) before and after."""

    def __init__(self, canvas: SketchCanvas, before, after, text: str):
        super().__init__(text)
        self.canvas, self.before, self.after = canvas, before, after

    def redo(self):
        self.canvas._restore(self.after)

    def undo(self):
        self.canvas._restore(self.before)


class SketchCanvas(QWidget):
    changed = Signal()  # the sketch (what the model sees) changed
    viewChanged = Signal()  # zoom or pan changed

    def __init__(self, parent=None, size: tuple[int, int] = (CANVAS_HEIGHT, CANVAS_HEIGHT)):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 200)
        self.setToolTip("Draw your level. Wheel: scroll, Ctrl+wheel: zoom, right/middle drag: pan")
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(200)
        self.sketch = to_qimage(blank(*size))
        self.tracing: QImage | None = None
        self.tracing_opacity = 0.35
        self.tracing_visible = True
        self.tool = "pencil"
        self.color_name = "ground"
        self.brush_size = 8
        self.smoothing = 0.5
        self.show_grid = False
        self.grid_step = 16  # canvas pixels between grid lines (set to one model patch by the window)
        self.zoom = 1.0
        self.offset = QPointF(0, 0)
        self._auto_fit = True
        self._before = None
        self._drag_start: QPointF | None = None
        self._drag_now: QPointF | None = None
        self._pan_from = None
        self._smoother: StrokeSmoother | None = None
        self._last_pt: QPointF | None = None
        self._hover: QPointF | None = None

    # ---- state ---------------------------------------------------------------------------------------
    def _snapshot(self):
        return (self.sketch.copy(), None if self.tracing is None else self.tracing.copy())

    def _restore(self, snap):
        self.sketch = snap[0].copy()
        self.tracing = None if snap[1] is None else snap[1].copy()
        self.update()
        self.changed.emit()

    def _push(self, before, text: str):
        self.undo_stack.push(SnapshotCommand(self, before, self._snapshot(), text))

    def sketch_array(self) -> np.ndarray:
        return from_qimage(self.sketch)

    def tracing_array(self) -> np.ndarray | None:
        return None if self.tracing is None else from_qimage(self.tracing)

    def load(self, sketch: np.ndarray, tracing: np.ndarray | None = None) -> None:
        """Replace everything (a project was opened): clears the undo history."""
        self.sketch = to_qimage(sketch)
        self.tracing = None if tracing is None else to_qimage(tracing)
        self.undo_stack.clear()
        self.fit_view()
        self.changed.emit()

    def set_sketch(self, sketch: np.ndarray, text: str = "Replace sketch") -> None:
        before = self._snapshot()
        self.sketch = to_qimage(sketch)
        self._push(before, text)
        self.fit_view()

    def set_tracing(self, tracing: np.ndarray | None, text: str = "Tracing layer") -> None:
        before = self._snapshot()
        self.tracing = None if tracing is None else to_qimage(tracing)
        self._push(before, text)

    def clear(self) -> None:
        self.set_sketch(blank(self.sketch.height(), self.sketch.width()), "Clear")

    @property
    def color(self) -> tuple[int, int, int]:
        return PAPER if self.tool == "eraser" else PALETTE[self.color_name]

    # ---- drawing operations (used by the mouse handlers and by tests) ---------------------------------
    def _pen(self) -> QPen:
        pen = QPen(QColor(*self.color), max(1, int(self.brush_size)))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _paint_segment(self, a: QPointF, b: QPointF) -> None:
        p = QPainter(self.sketch)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(self._pen())
        if a == b:
            p.drawPoint(a)
        else:
            p.drawLine(a, b)
        p.end()

    def _rect_of(self, a: QPointF, b: QPointF) -> QRectF:
        return QRectF(a, b).normalized()

    def draw_stroke(self, points, text: str | None = None) -> None:
        """A freehand stroke through canvas points (smoothed for the pencil)."""
        pts = [QPointF(*p) if not isinstance(p, QPointF) else p for p in points]
        if not pts:
            return
        before = self._snapshot()
        self._begin_freehand(pts[0])
        for q in pts[1:]:
            self._continue_freehand(q)
        self._end_freehand()
        self._push(before, text or self.tool.capitalize())

    def _begin_freehand(self, pt: QPointF) -> None:
        strength = self.smoothing if self.tool == "pencil" else 0.0
        self._smoother = StrokeSmoother(pt.x(), pt.y(), strength)
        self._last_pt = QPointF(pt)
        self._paint_segment(pt, pt)

    def _continue_freehand(self, pt: QPointF) -> None:
        nxt = QPointF(*self._smoother.add(pt.x(), pt.y()))
        self._paint_segment(self._last_pt, nxt)
        self._last_pt = nxt
        self.update()

    def _end_freehand(self) -> None:
        end = QPointF(*self._smoother.finish())
        self._paint_segment(self._last_pt, end)
        self._smoother = None
        self.update()
        self.changed.emit()

    def draw_line(self, a, b) -> None:
        before = self._snapshot()
        self._paint_segment(QPointF(*a), QPointF(*b))
        self._push(before, "Line")

    def draw_rect(self, a, b) -> None:
        before = self._snapshot()
        p = QPainter(self.sketch)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(self._rect_of(QPointF(*a), QPointF(*b)).toAlignedRect(), QColor(*self.color))
        p.end()
        self._push(before, "Rectangle")

    def fill_at(self, x: int, y: int) -> int:
        a = self.sketch_array()
        n = flood_fill(a, int(x), int(y), self.color)
        if n:
            before = self._snapshot()
            self.sketch = to_qimage(a)
            self._push(before, "Fill")
        return n

    # ---- view ----------------------------------------------------------------------------------------
    def to_canvas(self, pos: QPointF) -> QPointF:
        return QPointF((pos.x() - self.offset.x()) / self.zoom, (pos.y() - self.offset.y()) / self.zoom)

    def fit_view(self) -> None:
        w, h = self.sketch.width(), self.sketch.height()
        if w <= 0 or h <= 0:
            return
        self.zoom = max(0.05, min(self.width() / w, self.height() / h) * 0.96)
        self.offset = QPointF((self.width() - w * self.zoom) / 2, (self.height() - h * self.zoom) / 2)
        self._auto_fit = True
        self.update()
        self.viewChanged.emit()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        anchor = anchor or QPointF(self.width() / 2, self.height() / 2)
        c = self.to_canvas(anchor)
        self.zoom = float(min(max(self.zoom * factor, 0.1), 40.0))
        self.offset = QPointF(anchor.x() - c.x() * self.zoom, anchor.y() - c.y() * self.zoom)
        self._auto_fit = False
        self.update()
        self.viewChanged.emit()

    def pan_by(self, dx: float, dy: float) -> None:
        self.offset = self.offset + QPointF(dx, dy)
        self._auto_fit = False
        self.update()
        self.viewChanged.emit()

    def resizeEvent(self, e):
        super().resizeEvent(e)
        if self._auto_fit:
            self.fit_view()

    # ---- events --------------------------------------------------------------------------------------
    def mousePressEvent(self, e):
        pos = e.position()
        if e.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_from = pos
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if e.button() != Qt.MouseButton.LeftButton:
            return
        pt = self.to_canvas(pos)
        if self.tool == "fill":
            self.fill_at(int(pt.x()), int(pt.y()))
        elif self.tool in ("pencil", "eraser"):
            self._before = self._snapshot()
            self._begin_freehand(pt)
            self.update()
        else:
            self._drag_start = self._drag_now = pt

    def mouseMoveEvent(self, e):
        pos = e.position()
        self._hover = self.to_canvas(pos)
        if self._pan_from is not None:
            d = pos - self._pan_from
            self._pan_from = pos
            self.pan_by(d.x(), d.y())
        elif self._smoother is not None:
            self._continue_freehand(self._hover)
        elif self._drag_start is not None:
            self._drag_now = self._hover
        self.update()

    def mouseReleaseEvent(self, e):
        if self._pan_from is not None and e.button() != Qt.MouseButton.LeftButton:
            self._pan_from = None
            self.unsetCursor()
            return
        if e.button() != Qt.MouseButton.LeftButton:
            return
        if self._smoother is not None:
            self._continue_freehand(self.to_canvas(e.position()))
            self._end_freehand()
            self._push(self._before, self.tool.capitalize())
            self._before = None
        elif self._drag_start is not None:
            a, b = self._drag_start, self.to_canvas(e.position())
            self._drag_start = self._drag_now = None
            if self.tool == "line":
                self.draw_line((a.x(), a.y()), (b.x(), b.y()))
            elif self.tool == "rect":
                self.draw_rect((a.x(), a.y()), (b.x(), b.y()))

    def leaveEvent(self, e):
        self._hover = None
        self.update()

    def wheelEvent(self, e):
        d = e.angleDelta()
        if e.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.15 ** (d.y() / 120), e.position())
        else:
            self.pan_by(d.x() / 2, d.y() / 2)

    def paintEvent(self, e):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(58, 60, 66))
        p.translate(self.offset)
        p.scale(self.zoom, self.zoom)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 1)
        w, h = self.sketch.width(), self.sketch.height()
        p.drawImage(QRectF(0, 0, w, h), self.sketch)
        if self.tracing is not None and self.tracing_visible:
            p.setOpacity(self.tracing_opacity)
            p.drawImage(QRectF(0, 0, w, h), self.tracing)
            p.setOpacity(1.0)
        if self._drag_start is not None and self._drag_now is not None:
            p.setOpacity(0.7)
            if self.tool == "line":
                p.setPen(self._pen())
                p.drawLine(self._drag_start, self._drag_now)
            else:
                p.fillRect(self._rect_of(self._drag_start, self._drag_now), QColor(*self.color))
            p.setOpacity(1.0)
        if self.show_grid:
            self._paint_grid(p, w, h)
        pen = QPen(QColor(20, 20, 24), 0)
        p.setPen(pen)
        p.drawRect(QRectF(0, 0, w, h))
        if self._hover is not None and self.tool in ("pencil", "eraser"):
            p.setPen(QPen(QColor(30, 30, 30, 180), 0))
            r = self.brush_size / 2
            p.drawEllipse(self._hover, r, r)
        p.end()

    def _paint_grid(self, p: QPainter, w: int, h: int) -> None:
        step = max(1, int(self.grid_step))
        while step * self.zoom < 6:
            step *= 2
        p.setPen(QPen(QColor(0, 0, 0, 40), 0))
        for x in range(step, w, step):
            p.drawLine(QPointF(x, 0), QPointF(x, h))
        for y in range(step, h, step):
            p.drawLine(QPointF(0, y), QPointF(w, y))
