"""The play view: the generated world at the largest whole-number scale that fits its panel (nearest
neighbour, every model pixel the same size), transport buttons with Qt's standard icons, quality knobs."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from genie_studio.editor.qt_image import to_qimage
from genie_studio.knobs import DECODERS, Knobs

DECODER_NAMES = ("Keep drawing", "Generate all")  # knobs.DECODERS, as the knob panel names them


class FrameView(QWidget):
    """Paints one frame at the largest whole-number scale that fits, pixels kept square and sharp (below
    1x, when the panel is smaller than the frame, it shrinks to fit); a message when there is none."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.message = ""
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(448, 448)  # a 64-pixel world at 7x

    def scale(self) -> float:
        """The frame's scale in this view: a whole number when the frame fits at 1x or more."""
        if self.image is None:
            return 0.0
        fit = min(self.width() / self.image.width(), self.height() / self.image.height())
        return float(int(fit)) if fit >= 1 else fit

    def frame_rect(self) -> QRectF:
        """Where the frame is drawn: centred, at ``scale()``."""
        if self.image is None:
            return QRectF()
        s = self.scale()
        w, h = self.image.width() * s, self.image.height() * s
        return QRectF((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def set_frame(self, frame: np.ndarray | None) -> None:
        self.image = None if frame is None else to_qimage(frame)
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def paintEvent(self, e):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 25, 28))
        if self.image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(self.frame_rect(), self.image)
        if self.message:
            p.setPen(QColor(235, 235, 235))
            f = QFont(self.font())
            f.setPointSizeF(f.pointSizeF() * 1.05)
            p.setFont(f)
            r = self.rect().adjusted(12, 12, -12, -12)
            if self.image is not None:
                p.fillRect(r.adjusted(-6, r.height() - 56, 6, 6), QColor(0, 0, 0, 170))
                r = r.adjusted(0, r.height() - 50, 0, 0)
            p.drawText(r, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        p.end()


class PlayView(QWidget):
    playToggled = Signal()
    resetClicked = Signal()
    stepClicked = Signal()
    knobsChanged = Signal()
    autoplayToggled = Signal(bool)  # the policy plays (issue #20); editor/autoplay.py drives it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = FrameView(self)
        style = self.style()
        self._icons = {name: style.standardIcon(pixmap) for name, pixmap in (
            ("play", QStyle.StandardPixmap.SP_MediaPlay), ("pause", QStyle.StandardPixmap.SP_MediaPause),
            ("reset", QStyle.StandardPixmap.SP_BrowserReload), ("step", QStyle.StandardPixmap.SP_MediaSkipForward))}
        self.play_btn = QPushButton(self._icons["play"], "Play")  # icons from the style: no glyph a font may lack
        self.play_btn.setToolTip("Play the world from your sketch (Space). Steer with the arrow keys or WASD")
        self.reset_btn = QPushButton(self._icons["reset"], "Reset")
        self.reset_btn.setToolTip("Restart from the current sketch (F5)")
        self.step_btn = QPushButton(self._icons["step"], "Step")
        self.step_btn.setToolTip("Generate one frame with the keys held now (F6)")
        self.autoplay_btn = QPushButton("Autoplay")
        self.autoplay_btn.setCheckable(True)
        self.autoplay_btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.autoplay_btn.setToolTip("Let a policy trained on your play (genie-studio autoplay train) play the "
                                     "world; any game key takes control back at once")
        self.autoplay_btn.toggled.connect(self.autoplayToggled.emit)
        for b in (self.play_btn, self.reset_btn, self.step_btn):
            b.clicked.connect({self.play_btn: self.playToggled, self.reset_btn: self.resetClicked,
                               self.step_btn: self.stepClicked}[b].emit)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys keep steering the world, not pressing buttons
        self.action_label = QLabel("action: –")
        self.action_label.setToolTip("The latent action the model is given this frame")
        self.fps_label = QLabel("0.0 fps")
        self.fps_label.setToolTip("Frames generated per second")
        self.frame_label = QLabel("frame 0")

        self.steps = QSpinBox()
        self.steps.setRange(1, 32)
        self.steps.setToolTip("MaskGIT steps per frame: more is sharper and slower")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 3.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setToolTip("Sampling temperature: 0 is deterministic, higher is wilder")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed: the same sketch, seed and keys give the same world (applies on Reset)")
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setToolTip("Target frame rate (the model may be slower)")
        for w in (self.steps, self.temperature, self.seed, self.fps):
            w.valueChanged.connect(lambda *_: self.knobsChanged.emit())
        self.decoder = QComboBox()
        for dec, text in zip(DECODERS, DECODER_NAMES):
            self.decoder.addItem(text, dec)
        self.decoder.setToolTip("Keep drawing: the whole drawing is the level and only what moves is generated. "
                                "Generate all: the model makes every part of every frame. Applies on Reset")
        self.endless = QCheckBox("Endless")
        self.endless.setToolTip("Let the model invent the level past the drawing's ends (Keep drawing; on Reset)")
        self.decoder.currentIndexChanged.connect(lambda *_: self.knobsChanged.emit())
        self.endless.toggled.connect(lambda *_: self.knobsChanged.emit())

        buttons = QHBoxLayout()
        for b in (self.play_btn, self.reset_btn, self.step_btn, self.autoplay_btn):
            buttons.addWidget(b)
        info = QHBoxLayout()
        info.addWidget(self.action_label, 1)
        info.addWidget(self.frame_label)
        info.addWidget(self.fps_label)
        knobs = QGridLayout()  # one compact row: the frame gets the panel's height
        knobs.setHorizontalSpacing(4)
        for i, (text, w) in enumerate((("Steps", self.steps), ("Temp.", self.temperature), ("Seed", self.seed),
                                        ("FPS", self.fps))):
            lab = QLabel(text)
            lab.setToolTip(w.toolTip())
            knobs.addWidget(lab, 0, i * 2)
            knobs.addWidget(w, 0, i * 2 + 1)
            knobs.setColumnStretch(i * 2 + 1, 1)
        world = QHBoxLayout()
        world.addWidget(QLabel("World"))
        world.addWidget(self.decoder, 1)
        world.addWidget(self.endless)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.view, 1)
        lay.addLayout(info)
        lay.addLayout(buttons)
        lay.addLayout(knobs)
        lay.addLayout(world)
        self.set_knobs(Knobs())

    def set_frame(self, frame, action_label: str | None, fps: float, index: int) -> None:
        self.view.set_frame(frame)
        self.action_label.setText(f"action: {action_label}" if action_label else "action: – (prompt)")
        self.fps_label.setText(f"{fps:.1f} fps")
        self.frame_label.setText(f"frame {index}")

    def set_playing(self, playing: bool) -> None:
        self.play_btn.setText("Pause" if playing else "Play")
        self.play_btn.setIcon(self._icons["pause" if playing else "play"])

    def set_ready(self, ready: bool) -> None:
        for b in (self.play_btn, self.reset_btn, self.step_btn, self.autoplay_btn):
            b.setEnabled(ready)

    def knobs(self) -> dict:
        """The panel's knobs by name (knobs.Knobs fields): MaskGIT steps, temperature, seed, fps, decoder, endless."""
        return {"maskgit_steps": self.steps.value(), "temperature": round(self.temperature.value(), 3),
                "seed": self.seed.value(), "fps": self.fps.value(), "decoder": self.decoder.currentData(),
                "endless": self.endless.isChecked()}

    def set_knobs(self, k: Knobs) -> None:
        """Show ``k``'s panel knobs (no ``knobsChanged``)."""
        for w, setter, value in ((self.steps, self.steps.setValue, k.maskgit_steps),
                                 (self.temperature, self.temperature.setValue, k.temperature),
                                 (self.seed, self.seed.setValue, min(k.seed, self.seed.maximum())),
                                 (self.fps, self.fps.setValue, round(k.fps)),
                                 (self.decoder, self.decoder.setCurrentIndex, DECODERS.index(k.decoder)),
                                 (self.endless, self.endless.setChecked, k.endless)):
            w.blockSignals(True)
            setter(value)
            w.blockSignals(False)
