"""Model and device picker: bundled and user models (``model_catalog.list_models()``), cpu/cuda, a remote
server; a toolbar and the Model menu (``toolbar``, ``menu``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QInputDialog, QLabel, QMenu, QToolBar

from genie_studio.knobs import Knobs
from genie_studio.model_catalog import list_models
from genie_studio.session.devices import available_devices


class ModelPicker(QObject):
    modelChosen = Signal(str)  # a model name or folder
    deviceChosen = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.toolbar = QToolBar("Model")
        self.toolbar.setObjectName("toolbar-model")
        self.menu = QMenu("&Model", window)
        self.models = QComboBox()
        self.models.setMinimumContentsLength(18)
        self.models.setToolTip("The world model that turns your sketch into a playable world")
        self.devices = QComboBox()
        self.devices.setToolTip("Where the model runs: cpu, or cuda when an NVIDIA GPU is present")
        self.toolbar.addWidget(QLabel(" Model "))
        self.toolbar.addWidget(self.models)
        self.open_act = self.toolbar.addAction("Open Model Folder…", self.open_folder)
        self.open_act.setToolTip("Use a model folder (config.json + *.safetensors) from anywhere")
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel(" Device "))
        self.toolbar.addWidget(self.devices)
        self.entries: list[dict] = []
        self.models.activated.connect(self._model_activated)
        self.devices.activated.connect(self._device_activated)

    def refresh(self, settings: dict) -> None:
        self.entries = list_models()
        self.models.clear()
        for m in self.entries:
            kind = "bundled" if m.get("bundled") else "yours"
            self.models.addItem(f"{m['name']} ({kind})" if m.get("valid") else f"{m['name']} (invalid)", m["path"])
            i = self.models.count() - 1
            tip = m["path"] if m.get("valid") else f"{m['path']}\n{m.get('error', '')}"
            self.models.setItemData(i, tip, role=3)  # Qt.ToolTipRole
        if not self.entries:
            self.models.addItem("no models installed", "")
        self.devices.clear()
        self.devices.addItem(Knobs().device, Knobs().device)  # auto
        for d in available_devices():
            self.devices.addItem(d, d)
        self.devices.addItem("remote server…", "remote")  # genie-studio serve elsewhere (docs/protocol.md)
        remote = settings.get("backend") == "remote"
        i = self.devices.findData("remote" if remote else settings.get("device", Knobs().device))
        self.devices.setCurrentIndex(max(0, i))
        menu = self.menu
        menu.clear()
        for m in self.entries:
            a = menu.addAction(m["name"] + ("" if m.get("valid") else " (invalid)"))
            a.setToolTip(m["path"] if m.get("valid") else m.get("error", ""))
            a.triggered.connect(lambda _=False, p=m["path"]: self.modelChosen.emit(p))
        menu.addSeparator()
        menu.addAction(self.open_act)
        menu.addAction("Rescan Models", lambda: self.refresh(self.window.settings))

    def set_current(self, path: str) -> None:
        for i in range(self.models.count()):
            if path and Path(self.models.itemData(i) or "") == Path(path):
                self.models.setCurrentIndex(i)
                return
        if path:
            self.models.addItem(f"{Path(path).name} (folder)", path)
            self.models.setCurrentIndex(self.models.count() - 1)

    def _model_activated(self, i: int) -> None:
        path = self.models.itemData(i)
        if path:
            self.modelChosen.emit(path)

    def _device_activated(self, i: int) -> None:
        """A local device, or "remote server…": ask for its URL and token file (settings backend)."""
        settings = self.window.settings
        if self.devices.itemData(i) != "remote":
            settings["backend"] = "local"
            self.deviceChosen.emit(self.devices.itemData(i))
            return
        url, ok = QInputDialog.getText(self.window, "Remote server", "Server URL (from `genie-studio serve`):",
                                       text=settings.get("server_url") or "ws://127.0.0.1:8765")
        if not ok or not url.strip():
            self.refresh(settings)
            return
        token, _ = QFileDialog.getOpenFileName(self.window, "Token file (cancel: no token)",
                                               settings.get("server_token_file") or "")
        settings.update(backend="remote", server_url=url.strip(), server_token_file=token or None)
        self.deviceChosen.emit(settings.get("device", Knobs().device))

    def open_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self.window, "Open model folder")
        if d:
            self.modelChosen.emit(d)
