"""The File side of the main window: new/open/save, recent files, autosave and crash recovery.

A mixin for :class:`MainWindow`; the file format itself lives in ``project.py`` (no Qt).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from genie_studio.config import save_settings
from genie_studio.controls.keymap import default_bindings
from genie_studio.editor.canvas import CANVAS_HEIGHT, blank
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
Btn = QMessageBox.StandardButton


class ProjectActions:
    project_path: Path | None = None
    _meta_dirty = False

    # ---- state ---------------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return self._meta_dirty or not self.canvas.undo_stack.isClean()

    def mark_dirty(self) -> None:
        self._meta_dirty = True
        self._update_title()

    def _mark_clean(self) -> None:
        self._meta_dirty = False
        self.canvas.undo_stack.setClean()
        self._update_title()

    def _update_title(self) -> None:
        name = self.project_path.name if self.project_path else "Untitled"
        self.setWindowTitle(f"{name}[*] — Genie Studio")
        self.setWindowModified(self.is_dirty())

    def current_project(self) -> Project:
        labels = self.palette.labels()
        return Project(
            sketch=self.canvas.sketch_array(), tracing=self.canvas.tracing_array(),
            tracing_opacity=self.canvas.tracing_opacity, tracing_visible=self.canvas.tracing_visible,
            model=self.model_name or "", action_labels=labels or list(self.project_labels),
            bindings=default_bindings(labels) if labels else {}, settings=self.knobs(),
        )

    def apply_project(self, p: Project, path: Path | None) -> None:
        self.canvas.load(p.sketch, p.tracing)
        self.canvas.tracing_opacity, self.canvas.tracing_visible = p.tracing_opacity, p.tracing_visible
        self.toolbox.trace_visible.setChecked(p.tracing_visible)
        self.toolbox.trace_opacity.setValue(int(p.tracing_opacity * 100))
        self.project_labels = list(p.action_labels)
        if self.palette.cards:
            self.palette.set_labels(self._merged_labels())
        if p.settings:
            self.play_view.set_knobs(p.settings)
            self._knobs_changed()
        self.project_path = path
        self._mark_clean()
        if p.model and p.model != self.model_name:
            self.load_model(p.model, explicit=False)
        else:
            self.reset_world()

    # ---- commands --------------------------------------------------------------------------------------
    def new_project(self) -> None:
        if not self.maybe_save():
            return
        h, w = self.model_resolution or (1, 1)
        p = Project(sketch=blank(CANVAS_HEIGHT, max(64, round(CANVAS_HEIGHT * w / h))))
        p.model = self.model_name or ""
        self.apply_project(p, None)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project or image", self._last_dir(),
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
                self.show_error("Cannot open project", f"{e}\n\nThe file was not changed, and your current work "
                                "is still open.")
                return False
            self.apply_project(p, path)
        else:
            try:
                sketch = image_for_canvas(path, CANVAS_HEIGHT)
            except PromptError as e:
                self.show_error("Cannot open image", f"{e}\n\nYour current work is still open.")
                return False
            self.apply_project(Project(sketch=sketch, model=self.model_name or ""), None)
            self._meta_dirty = True
            self._update_title()
        self._add_recent(path)
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def import_image(self, path=None, as_tracing: bool = False) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import tracing image" if as_tracing else "Import image as prompt", self._last_dir(),
                IMAGE_FILTER)
            if not path:
                return False
        try:
            img = image_for_canvas(path, self.canvas.sketch.height() if as_tracing else CANVAS_HEIGHT)
        except PromptError as e:
            self.show_error("Cannot import image", str(e))
            return False
        if as_tracing:
            sw = self.canvas.sketch.width()
            import numpy as np
            from PIL import Image  # resize the guide to exactly the sketch's size
            img = np.asarray(Image.fromarray(img).resize((sw, self.canvas.sketch.height())), dtype=np.uint8)
            self.canvas.set_tracing(img, "Import tracing image")
        else:
            self.canvas.set_sketch(img, "Import image")
        self.statusBar().showMessage(f"Imported {Path(path).name}", 5000)
        return True

    def save(self) -> bool:
        if self.project_path is None:
            return self.save_as()
        return self.save_to(self.project_path)

    def save_as(self, path=None) -> bool:
        if path is None:
            start = str(self.project_path or Path(self._last_dir()) / f"level{SUFFIX}")
            path, _ = QFileDialog.getSaveFileName(self, "Save project", start, PROJECT_FILTER)
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
            self.show_error("Cannot save project", f"{e}\n\nNothing was lost: your work is still open.")
            return False
        self.project_path = Path(path)
        self._mark_clean()
        self._add_recent(path)
        self.autosave(force=True)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.is_dirty():
            return True
        r = self._ask("Unsaved changes", "Save the changes to your level before continuing?",
                      Btn.Save | Btn.Discard | Btn.Cancel)
        if r == Btn.Save:
            return self.save()
        return r == Btn.Discard

    def _ask(self, title: str, text: str, buttons) -> QMessageBox.StandardButton:
        return QMessageBox.question(self, title, text, buttons)

    # ---- recent files ----------------------------------------------------------------------------------
    def _last_dir(self) -> str:
        recent = self.settings.get("recent_files") or []
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _add_recent(self, path) -> None:
        p = str(Path(path).resolve())
        recent = [r for r in self.settings.get("recent_files", []) if r != p]
        self.settings["recent_files"] = [p, *recent][:MAX_RECENT]
        self._persist_settings()
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        m = self.recent_menu
        m.clear()
        recent = self.settings.get("recent_files", [])
        for i, r in enumerate(recent):
            a = m.addAction(f"&{i + 1} {Path(r).name}" if i < 9 else Path(r).name)
            a.setToolTip(r)
            a.triggered.connect(lambda _=False, r=r: self.open_path(r))
        m.setEnabled(bool(recent))
        if recent:
            m.addSeparator()
            m.addAction("Clear Recent Files", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings["recent_files"] = []
        self._persist_settings()
        self._rebuild_recent_menu()

    def _persist_settings(self) -> None:
        try:
            save_settings(self.settings)
        except OSError as e:
            self.statusBar().showMessage(f"Could not save settings: {e}", 8000)

    # ---- autosave and recovery -------------------------------------------------------------------------
    def autosave(self, force: bool = False) -> None:
        if not (force or self.is_dirty()):
            return
        try:
            write_autosave(self.current_project(), self.project_path)
            self._autosaved_at = time.time()
        except (OSError, ProjectError) as e:
            self.statusBar().showMessage(f"Autosave failed: {e}", 8000)

    def offer_recovery(self) -> bool:
        """On start: offer work left behind by an editor that did not exit cleanly."""
        entries = find_recoverable()
        if not entries:
            return False
        e = entries[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.saved_at))
        what = Path(e.origin).name if e.origin else "an unsaved level"
        r = self._ask("Recover unsaved work?",
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
            self.show_error("Cannot recover", f"{err}\n\nThe autosave file was kept at {e.project_file}.")
            return False
        self.apply_project(p, Path(e.origin) if e.origin else None)
        self._meta_dirty = True
        self._update_title()
        self.autosave(force=True)  # now ours: survives another crash
        for old in entries or [e]:
            discard_recoverable(old)
        self.statusBar().showMessage("Recovered unsaved work: save it to keep it", 10000)
        return True

    def clean_exit(self) -> None:
        clear_autosave()
