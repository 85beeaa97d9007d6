"""Autosave ownership through an OS lock file (genie_studio/oslock.py), not process ids (issue #27 item 6).

A second process plays the other editor: while it runs and holds its autosave's lock, its work is
not offered; once it is gone (killed, so nothing cleaned up), the same autosave is offered, recovered
and its files discarded, the stale lock file included.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import genie_studio
from genie_studio import oslock
from genie_studio.project import document as prj

# autosaves, waits until its stdin closes or it is killed; never cleans up
EDITOR = ("import sys, numpy as np; from genie_studio.project import document as p; "
          "pr = p.Project(sketch=np.full((8, 8, 3), 9, np.uint8), action_labels=['hop']); "
          "p.write_autosave(pr, sys.argv[1]); print('saved', flush=True); sys.stdin.read()")


def test_running_editors_work_is_not_offered_until_it_is_gone(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", EDITOR, str(tmp_path / "level.genie")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stdout.readline().strip() == "saved"
        lock = prj.autosave_dir() / f"autosave-{proc.pid}.lock"
        assert oslock.is_held(lock) and prj.owner_running(proc.pid)
        assert prj.find_recoverable() == []  # the other editor still runs
        assert oslock.try_lock(lock) is None
    finally:
        proc.kill()  # a crash: no clean-up code runs
        proc.wait(30)
    assert not oslock.is_held(lock)  # the OS let go of the dead process's lock
    found = prj.find_recoverable()
    assert [e.pid for e in found] == [proc.pid] and found[0].origin == str(tmp_path / "level.genie")
    assert prj.load_project(found[0].project_file).action_labels == ["hop"]
    prj.discard_recoverable(found[0])
    assert prj.find_recoverable() == [] and not list(prj.autosave_dir().iterdir())


def test_own_autosave_holds_its_lock_until_a_clean_exit():
    saved = prj.write_autosave(prj.Project(sketch=np.zeros((4, 4, 3), np.uint8)), None)
    lock = prj.autosave_dir() / f"autosave-{os.getpid()}.lock"
    assert saved.exists() and oslock.is_held(lock)  # another open of the file cannot take it
    assert prj.find_recoverable() == []
    prj.write_autosave(prj.Project(sketch=np.ones((4, 4, 3), np.uint8)), None)  # the lock is kept, not retaken
    prj.clear_autosave()
    assert not lock.exists() and not list(prj.autosave_dir().iterdir())


def test_a_lock_is_exclusive_and_freed_on_release(tmp_path):
    path = tmp_path / "sub" / "x.lock"
    assert not oslock.is_held(path) and not path.exists()  # asking creates nothing
    with oslock.try_lock(path) as held:
        assert held.held and oslock.is_held(path) and oslock.try_lock(path) is None
    assert not held.held and not oslock.is_held(path)
    again = oslock.try_lock(path)
    again.release(remove=True)
    assert not path.exists()


def test_desktop_code_makes_no_posix_only_calls():
    """os.kill(pid, 0) interrupts the process on Windows (signal 0 is CTRL_C_EVENT); the rest do not exist there."""
    root = Path(genie_studio.__file__).parent
    offenders = []
    for f in [root / "oslock.py", *(root / "project").glob("*.py"), *(root / "editor").glob("*.py")]:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                    and node.attr in ("kill", "killpg", "fork", "getuid", "setpriority", "nice"):
                offenders.append(f"{f.name}: os.{node.attr}")
    assert offenders == []
