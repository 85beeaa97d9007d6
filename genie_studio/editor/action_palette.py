"""The latent action palette: one card per latent action, with its editable label and a looping preview."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from genie_studio.editor.qt_image import to_qimage


class PreviewLoop(QWidget):
    """Cycles through a short list of frames (nearest-neighbour scaled)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.frames = []
        self.index = 0
        self.setFixedSize(96, 96)

    def set_frames(self, frames) -> None:
        self.frames = [to_qimage(f) for f in frames]
        self.index = 0
        self.update()

    def advance(self) -> None:
        if self.frames:
            self.index = (self.index + 1) % len(self.frames)
            self.update()

    def paintEvent(self, e):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(36, 37, 41))
        if self.frames:
            img = self.frames[self.index]
            s = min(self.width() / img.width(), self.height() / img.height())
            w, h = img.width() * s, img.height() * s
            p.drawImage(QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h), img)
        else:
            p.setPen(QColor(160, 160, 160))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "preview…")
        p.end()


class ActionCard(QFrame):
    def __init__(self, index: int, label: str, auto_label: str, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview = PreviewLoop(self)
        self.edit = QLineEdit(label)
        self.edit.setPlaceholderText(auto_label)
        self.edit.setToolTip(f"Name latent action {index} (the model called it {auto_label!r}); "
                             "saved with the project")
        self.key = QLabel("")  # the keys the controls profile binds to this action (ActionPalette.set_keys)
        self.key.setStyleSheet("color: gray")
        self.key.setWordWrap(True)
        self.key.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.edit)
        lay.addWidget(self.key, 0, Qt.AlignmentFlag.AlignHCenter)

    def set_active(self, on: bool) -> None:
        self.setStyleSheet("ActionCard { border: 2px solid #1F6FEB; }" if on else "")


class ActionPalette(QWidget):
    labelsEdited = Signal(list)  # the full list of labels after a user edit
    refreshRequested = Signal()

    def __init__(self, parent=None, columns: int = 2):
        super().__init__(parent)
        self.columns = columns
        self.cards: list[ActionCard] = []
        self.auto_labels: list[str] = []
        self.grid = QGridLayout()
        self.refresh_btn = QPushButton("Refresh previews")
        self.refresh_btn.setToolTip("Generate a short clip of each latent action from the current sketch")
        self.refresh_btn.clicked.connect(self.refreshRequested.emit)
        self.status = QLabel("No model loaded")
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addLayout(self.grid)
        lay.addWidget(self.refresh_btn)
        lay.addStretch(1)
        self._active = -1
        self._timer = QTimer(self)
        self._timer.setInterval(125)  # 8 fps loops
        self._timer.timeout.connect(self._advance)
        self._timer.start()

    def set_actions(self, auto_labels: list[str], labels: list[str] | None = None) -> None:
        for c in self.cards:
            self.grid.removeWidget(c)
            c.deleteLater()
        self.auto_labels = list(auto_labels)
        labels = list(labels or [])
        labels = labels[:len(auto_labels)] + auto_labels[len(labels):]
        self.cards = []
        for i, (auto, lab) in enumerate(zip(auto_labels, labels)):
            card = ActionCard(i, lab, auto, self)
            card.edit.editingFinished.connect(self._edited)
            self.grid.addWidget(card, i // self.columns, i % self.columns)
            self.cards.append(card)
        self.status.setText(f"{len(self.cards)} latent actions learned by the model. Click a name to rename it.")

    def labels(self) -> list[str]:
        return [c.edit.text().strip() or c.edit.placeholderText() for c in self.cards]

    def set_labels(self, labels: list[str]) -> None:
        for c, l in zip(self.cards, labels):
            c.edit.setText(l)

    def set_keys(self, keys: list[list[str]]) -> None:
        """Show under each card the keys that send its action (one list of key names per action)."""
        for c, ks in zip(self.cards, keys):
            c.key.setText("keys " + ", ".join(ks) if ks else "no key (Controls panel)")

    def set_previews(self, clips) -> None:
        for c, frames in zip(self.cards, clips):
            c.preview.set_frames(frames)

    def set_active(self, index: int) -> None:
        if index != self._active:
            for i, c in enumerate(self.cards):
                c.set_active(i == index)
            self._active = index

    def _edited(self) -> None:
        self.labelsEdited.emit(self.labels())

    def _advance(self) -> None:
        if self.isVisible():
            for c in self.cards:
                c.preview.advance()
