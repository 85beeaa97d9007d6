"""The drawing toolbox beside the canvas: tools, named palette brushes, sizes, layers, and the
"what the model sees" thumbnail (the sketch reduced with the same ``fit_prompt`` as WorldSession) and, under
it, the whole level the "Keep drawing" world keeps (``fit_strip``) with the first view marked."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genie_studio.data.palette import NAMES, PALETTE
from genie_studio.editor.canvas import SketchCanvas
from genie_studio.editor.play_view import FrameView
from genie_studio.session.prompt import fit_prompt, fit_strip

VIEW_MARK = (231, 76, 60)  # the outline of the first view on the level strip

TOOL_INFO = {  # tool -> (menu text, shortcut, tooltip)
    "pencil": ("&Pencil", "B", "Pencil (B): freehand strokes, smoothed"),
    "line": ("&Line", "L", "Line (L): drag from start to end"),
    "rect": ("&Rectangle", "R", "Rectangle (R): drag to fill a block, e.g. a platform"),
    "fill": ("&Bucket Fill", "G", "Bucket fill (G): fill the touching area of one colour"),
    "eraser": ("&Eraser", "E", "Eraser (E): paint the background back"),
}
BRUSH_HELP = {
    "background": "empty space (sky)", "ground": "solid ground you walk on", "platform": "platforms to jump on",
    "hazard": "spikes, lava: deadly", "collectible": "coins and gems", "player": "the player: draw one small blob",
    "enemy": "enemies", "goal": "the level's goal (flag, door)",
}


def swatch(rgb, size: int = 16) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(*rgb))
    return QIcon(pm)


class SketchToolbox(QWidget):
    def __init__(self, canvas: SketchCanvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.resolution: tuple[int, int] | None = None
        self.tool_group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        tools_box = QGroupBox("Tools")
        tg = QGridLayout(tools_box)
        for i, (tool, (text, key, tip)) in enumerate(TOOL_INFO.items()):
            a = QAction(text, self, checkable=True)
            a.setShortcut(QKeySequence(key))
            a.setToolTip(tip)
            a.setStatusTip(tip)
            a.triggered.connect(lambda _=False, t=tool: self.set_tool(t))
            self.tool_group.addAction(a)
            self.tool_actions[tool] = a
            b = QToolButton()
            b.setDefaultAction(a)
            b.setText(text.replace("&", ""))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding, b.sizePolicy().verticalPolicy())
            tg.addWidget(b, i // 2, i % 2)
        self.tool_actions["pencil"].setChecked(True)

        brush_box = QGroupBox("Brushes")
        bg = QGridLayout(brush_box)
        self.brush_group = QButtonGroup(self)
        self.brush_buttons: dict[str, QToolButton] = {}
        for i, name in enumerate(n for n in NAMES if n != "background"):
            b = QToolButton()
            b.setCheckable(True)
            b.setIcon(swatch(PALETTE[name]))
            b.setText(name)
            b.setToolTip(f"{name}: {BRUSH_HELP.get(name, '')}")
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding, b.sizePolicy().verticalPolicy())
            b.clicked.connect(lambda _=False, n=name: self.set_brush(n))
            self.brush_group.addButton(b)
            self.brush_buttons[name] = b
            bg.addWidget(b, i // 2, i % 2)
        self.brush_buttons[canvas.color_name].setChecked(True)

        opts = QFormLayout()
        self.size = QSpinBox()
        self.size.setRange(1, 96)
        self.size.setValue(canvas.brush_size)
        self.size.setSuffix(" px")
        self.size.setToolTip("Brush size in canvas pixels ([ and ] change it)")
        self.size.valueChanged.connect(lambda v: setattr(canvas, "brush_size", v))
        self.smooth = QSlider(Qt.Orientation.Horizontal)
        self.smooth.setRange(0, 90)
        self.smooth.setValue(int(canvas.smoothing * 100))
        self.smooth.setToolTip("Pencil stroke smoothing: higher removes more hand jitter")
        self.smooth.valueChanged.connect(lambda v: setattr(canvas, "smoothing", v / 100))
        self.grid = QCheckBox("Show grid")
        self.grid.setToolTip("Grid lines at the model's patch size")
        self.grid.toggled.connect(self._grid)
        self.trace_visible = QCheckBox("Show tracing layer")
        self.trace_visible.setChecked(True)
        self.trace_visible.toggled.connect(self._trace)
        self.trace_opacity = QSlider(Qt.Orientation.Horizontal)
        self.trace_opacity.setRange(5, 100)
        self.trace_opacity.setValue(int(canvas.tracing_opacity * 100))
        self.trace_opacity.setToolTip("Opacity of the tracing layer (never sent to the model)")
        self.trace_opacity.valueChanged.connect(self._trace)
        opts.addRow("Size", self.size)
        opts.addRow("Smoothing", self.smooth)
        opts.addRow(self.grid)
        opts.addRow(self.trace_visible)
        opts.addRow("Tracing", self.trace_opacity)

        sees_box = QGroupBox("What the model sees")
        sl = QVBoxLayout(sees_box)
        self.sees = FrameView()
        self.sees.setFixedSize(150, 150)
        self.sees.setToolTip("Your sketch reduced to the model's resolution, exactly as it is sent to the model")
        self.sees_caption = QLabel("no model")
        self.sees_caption.setStyleSheet("color: gray")
        sl.addWidget(self.sees, 0, Qt.AlignmentFlag.AlignHCenter)
        sl.addWidget(self.sees_caption, 0, Qt.AlignmentFlag.AlignHCenter)
        self.level = FrameView()
        self.level.setMinimumSize(60, 40)
        self.level.setFixedSize(220, 60)
        self.level.setToolTip("The whole level the world keeps (World: Keep drawing): your drawing at the model's "
                              "scale, the first view outlined. Holding right scrolls through it")
        self.level_caption = QLabel("")
        self.level_caption.setStyleSheet("color: gray")
        sl.addWidget(self.level, 0, Qt.AlignmentFlag.AlignHCenter)
        sl.addWidget(self.level_caption, 0, Qt.AlignmentFlag.AlignHCenter)

        lay = QVBoxLayout(self)
        lay.addWidget(tools_box)
        lay.addWidget(brush_box)
        lay.addLayout(opts)
        lay.addWidget(sees_box)
        lay.addStretch(1)
        self.model_sees: np.ndarray | None = None
        self.level_sees: np.ndarray | None = None  # the level strip, first view outlined
        self.patch = 4
        canvas.changed.connect(self.update_thumbnail)

    def set_tool(self, tool: str) -> None:
        self.canvas.tool = tool
        self.tool_actions[tool].setChecked(True)

    def set_brush(self, name: str) -> None:
        self.canvas.color_name = name
        self.brush_buttons[name].setChecked(True)
        if self.canvas.tool == "eraser":
            self.set_tool("pencil")

    def set_resolution(self, resolution: tuple[int, int] | None, patch: int | None = None) -> None:
        self.resolution = tuple(resolution) if resolution else None
        self.patch = int(patch or 4)
        if self.resolution:
            per_px = self.canvas.sketch.height() / self.resolution[0]
            self.canvas.grid_step = max(1, round(per_px * (patch or 1)))
        self.update_thumbnail()

    def _grid(self, on: bool) -> None:
        self.canvas.show_grid = on
        self.canvas.update()

    def _trace(self, *_):
        self.canvas.tracing_visible = self.trace_visible.isChecked()
        self.canvas.tracing_opacity = self.trace_opacity.value() / 100
        self.canvas.update()

    def update_thumbnail(self) -> None:
        if not self.resolution:
            self.model_sees = self.level_sees = None
            self.sees.set_frame(None)
            self.level.set_frame(None)
            self.sees_caption.setText("no model loaded")
            self.level_caption.setText("")
            return
        sketch = self.canvas.sketch_array()
        self.model_sees = fit_prompt(sketch, self.resolution)
        self.sees.set_frame(self.model_sees)
        self.sees_caption.setText(f"{self.resolution[1]}×{self.resolution[0]} px")
        strip, x = fit_strip(sketch, self.resolution, patch=self.patch)
        H, W = self.resolution
        marked = strip.copy()
        marked[[0, H - 1], x:x + W] = VIEW_MARK
        marked[:, [x, x + W - 1]] = VIEW_MARK
        self.level_sees = marked
        self.level.set_frame(marked)
        self.level_caption.setText(f"level: {strip.shape[1] / W:.1f} screens wide")
