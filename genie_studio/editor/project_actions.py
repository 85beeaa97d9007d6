"""The File side of the main window: new/open/save, recent files, autosave and crash recovery.

Owned by the :class:`MainWindow` whose canvas, action cards and knobs it reads and fills; the file format
itself lives in ``genie_studio.project`` (no Qt).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from genie_studio.controls import key_table
from genie_studio.editor.canvas import CANVAS_HEIGHT, blank
from genie_studio.knobs import Knobs
from genie_studio.project.document import (
    SUFFIX,
    AutosaveEntry,
    Project,
    ProjectError,
    clear_autosave,
    discard_recoverable,
    find_recoverable,
    image_for_canvas,
    load_project,
    save_project,
    write_autosave,
)
from genie_studio.session.prompt import PromptError

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif);;All files (*)"
PROJECT_FILTER = f"Genie Studio projects (*{SUFFIX});;All files (*)"
MAX_RECENT = 10
AUTOSAVE_MS = 20_000
Btn = QMessageBox.StandardButton


class ProjectActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.win = window
        self.path: Path | None = None  # the open .genie file (None: untitled)
        self.labels: list[str] = []  # the action labels the project renamed
        self._meta_dirty = False
        self.recent_menu = QMenu("Open &Recent", window)
        self.rebuild_recent_menu()
        self.autosave_timer = QTimer(self, interval=AUTOSAVE_MS, timeout=self.autosave)
        self.autosave_timer.start()

    # ---- state ---------------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return self._meta_dirty or not self.win.canvas.undo_stack.isClean()

    def mark_dirty(self) -> None:
        self._meta_dirty = True
        self.win.update_title()

    def mark_clean(self) -> None:
        self._meta_dirty = False
        self.win.canvas.undo_stack.setClean()
        self.win.update_title()

    def current_project(self) -> Project:
        labels = self.win.palette.labels()
        profile = self.win.bindings.profile
        return Project(
            sketch=self.win.canvas.sketch_array(), tracing=self.win.canvas.tracing_array(),
            tracing_opacity=self.win.canvas.tracing_opacity, tracing_visible=self.win.canvas.tracing_visible,
            model=self.win.model_name or "", action_labels=labels or list(self.labels),
            bindings=key_table(profile, labels) if profile is not None else {}, settings=self.win.knobs().to_dict(),
        )

    def apply_project(self, p: Project, path: Path | None) -> None:
        self.win.canvas.load(p.sketch, p.tracing)
        self.win.canvas.tracing_opacity, self.win.canvas.tracing_visible = p.tracing_opacity, p.tracing_visible
        self.win.toolbox.trace_visible.setChecked(p.tracing_visible)
        self.win.toolbox.trace_opacity.setValue(int(p.tracing_opacity * 100))
        self.labels = list(p.action_labels)
        if self.win.palette.cards:
            self.win.palette.set_labels(self.win.merged_labels())
        if p.settings:
            self.win.play_view.set_knobs(Knobs.from_dict(p.settings, self.win.knobs()))
            self.win.knobs_changed()
        self.path = path
        self.mark_clean()
        if p.model and p.model != self.win.model_name and self._may_load(p.model):
            self.win.load_model(p.model, explicit=False)
        else:
            self.win.reset_world()

    def _may_load(self, model: str) -> bool:
        """A project's model loads by itself when it is a bundled or installed one; a project naming a
        folder elsewhere (``../../../../elsewhere/model``) asks first, and keeps the current model if not."""
        from genie_studio.model_catalog import is_known_model

        if is_known_model(model):
            return True
        r = self.win._ask("Load a model from another folder?",
                          f"This project was made with the model in\n{model[:300]}\nwhich is not a bundled or "
                          "installed model. Load it only if you trust where the project came from.\n\n"
                          "Load that model?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if r == QMessageBox.StandardButton.Yes:
            return True
        self.win.statusBar().showMessage("Kept the current model; the project's model was not loaded "
                                         "(Open Model Folder… loads it)", 10000)
        return False

    # ---- commands --------------------------------------------------------------------------------------
    def new_project(self) -> None:
        if not self.maybe_save():
            return
        h, w = self.win.model_resolution or (1, 1)
        p = Project(sketch=blank(CANVAS_HEIGHT, max(64, round(CANVAS_HEIGHT * w / h))))
        p.model = self.win.model_name or ""
        self.apply_project(p, None)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.win, "Open project or image", self._last_dir(),
                                              f"Projects and images (*{SUFFIX} *.png *.jpg *.jpeg *.webp *.bmp "
                                              f"*.gif);;{PROJECT_FILTER};;{IMAGE_FILTER}")
        if path:
            self.open_path(path)

    def open_path(self, path, ask: bool = True) -> bool:
        """Open a ``.genie`` project, or start a new project from an image. Failures change nothing."""
        path = Path(path)
        if ask and not self.maybe_save():
            return False
        if path.suffix.lower() == SUFFIX:
            try:
                p = load_project(path)
            except ProjectError as e:
                self.win.show_error("Cannot open project", f"{e}\n\nThe file was not changed, and your current "
                                    "work is still open.")
                return False
            self.apply_project(p, path)
        else:
            try:
                sketch = image_for_canvas(path, CANVAS_HEIGHT)
            except PromptError as e:
                self.win.show_error("Cannot open image", f"{e}\n\nYour current work is still open.")
                return False
            self.apply_project(Project(sketch=sketch, model=self.win.model_name or ""), None)
            self.mark_dirty()
        self._add_recent(path)
        self.win.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def import_image(self, path=None, as_tracing: bool = False) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.win, "Import tracing image" if as_tracing else "Import image as prompt", self._last_dir(),
                IMAGE_FILTER)
            if not path:
                return False
        try:
            img = image_for_canvas(path, self.win.canvas.sketch.height() if as_tracing else CANVAS_HEIGHT)
        except PromptError as e:
            self.win.show_error("Cannot import image", str(e))
            return False
        if as_tracing:
            sw = self.win.canvas.sketch.width()
            import numpy as np
            from PIL import Image  # resize the guide to exactly the sketch's size
            img = np.asarray(Image.fromarray(img).resize((sw, self.win.canvas.sketch.height())), dtype=np.uint8)
            self.win.canvas.set_tracing(img, "Import tracing image")
        else:
            self.win.canvas.set_sketch(img, "Import image")
        self.win.statusBar().showMessage(f"Imported {Path(path).name}", 5000)
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self, path=None) -> bool:
        if path is None:
            start = str(self.path or Path(self._last_dir()) / f"level{SUFFIX}")
            path, _ = QFileDialog.getSaveFileName(self.win, "Save project", start, PROJECT_FILTER)
            if not path:
                return False
        path = Path(path)
        if path.suffix.lower() != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        try:
            save_project(path, self.current_project())
        except ProjectError as e:
            self.win.show_error("Cannot save project", f"{e}\n\nNothing was lost: your work is still open.")
            return False
        self.path = Path(path)
        self.mark_clean()
        self._add_recent(path)
        self.autosave(force=True)
        self.win.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.is_dirty():
            return True
        r = self.win._ask("Unsaved changes", "Save the changes to your level before continuing?",
                          Btn.Save | Btn.Discard | Btn.Cancel)
        if r == Btn.Save:
            return self.save()
        return r == Btn.Discard

    # ---- recent files ----------------------------------------------------------------------------------
    def _last_dir(self) -> str:
        recent = self.win.settings.get("recent_files") or []
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _add_recent(self, path) -> None:
        p = str(Path(path).resolve())
        recent = [r for r in self.win.settings.get("recent_files", []) if r != p]
        self.win.settings["recent_files"] = [p, *recent][:MAX_RECENT]
        self.win.persist_settings()
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        m = self.recent_menu
        m.clear()
        recent = self.win.settings.get("recent_files", [])
        for i, r in enumerate(recent):
            a = m.addAction(f"&{i + 1} {Path(r).name}" if i < 9 else Path(r).name)
            a.setToolTip(r)
            a.triggered.connect(lambda _=False, r=r: self.open_path(r))
        m.setEnabled(bool(recent))
        if recent:
            m.addSeparator()
            m.addAction("Clear Recent Files", self._clear_recent)

    def _clear_recent(self) -> None:
        self.win.settings["recent_files"] = []
        self.win.persist_settings()
        self.rebuild_recent_menu()

    # ---- autosave and recovery -------------------------------------------------------------------------
    def autosave(self, force: bool = False) -> None:
        if not (force or self.is_dirty()):
            return
        try:
            write_autosave(self.current_project(), self.path)
        except (OSError, ProjectError) as e:
            self.win.statusBar().showMessage(f"Autosave failed: {e}", 8000)

    def offer_recovery(self) -> bool:
        """On start: offer work left behind by an editor that did not exit cleanly."""
        entries = find_recoverable()
        if not entries:
            return False
        e = entries[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.saved_at))
        what = Path(e.origin).name if e.origin else "an unsaved level"
        r = self.win._ask("Recover unsaved work?",
                          f"Genie Studio did not close normally. Recover your work on {what} from {when}?",
                          Btn.Yes | Btn.No)
        if r != Btn.Yes:
            for old in entries:
                discard_recoverable(old)
            return False
        return self.recover(e, entries)

    def recover(self, e: AutosaveEntry, entries=()) -> bool:
        try:
            p = load_project(e.project_file)
        except ProjectError as err:
            self.win.show_error("Cannot recover", f"{err}\n\nThe autosave file was kept at {e.project_file}.")
            return False
        self.apply_project(p, Path(e.origin) if e.origin else None)
        self.mark_dirty()
        self.autosave(force=True)  # now ours: survives another crash
        for old in entries or [e]:
            discard_recoverable(old)
        self.win.statusBar().showMessage("Recovered unsaved work: save it to keep it", 10000)
        return True

    def clean_exit(self) -> None:
        clear_autosave()
