"""Compiling without holding up play: the graphs a session lacks are built by a process of their own.

:func:`start` is what ``open_session`` calls. It loads the compiled graphs the cache has (those that
pay, in milliseconds: :func:`compiled.prepare` with ``build=False``) and, if some are missing, starts
``python -m genie_studio.session.compile_job MODEL_DIR ...`` at low priority, detached from the
caller's terminal and process group. A ``play`` (``background=False``) would not use graphs built
while it runs, so the job waits until it has exited (it holds an OS lock that the job waits on before
the job even imports torch): a first run is as fast as ``--no-compile``, and the next one finds the
graphs. A caller that keeps running (the editor: ``background=True``) waits for the job on a thread
and then loads the graphs, so play switches to them mid-session. Only one build runs per cache
folder: the job holds the OS lock ``build.lock`` there (:mod:`genie_studio.oslock`), a ``play`` does
not start a second, and a second job waits for it, then finds the packages built. A model that lives
only in memory (no folder to reload it from) is compiled in-process instead: on a thread, or first if
``background`` is false. The job logs to ``build.log`` in the cache folder; a build that failed (no C++
compiler, an unsupported op) is noted in ``failed.json`` there with the packages it was for, and those
are not tried again at every start (delete the note, or the cache folder, to try again).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from genie_studio import oslock

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
_PLAYING: dict = {}  # path -> the lock this process holds while it runs, for a build job waiting on its exit


def _compiled():
    from genie_studio.session import compiled  # torch: imported by the job only once it may work

    return compiled


def _lower_priority(nice: int) -> None:
    """Below the programs a user is running (POSIX nice; on Windows the job is started
    BELOW_NORMAL_PRIORITY_CLASS). Not idle-only scheduling: on a machine that is never idle (the editor
    playing, other people's jobs) the build must still progress."""
    if hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError:
            pass


def build_lock() -> Path:
    return _compiled().cache_folder() / "build.lock"


def failed_note() -> Path:
    return _compiled().cache_folder() / "failed.json"


def _playing_lock() -> Path:
    """Held by this process from its first spawn until it exits (the OS lets go then)."""
    path = _compiled().cache_folder() / "running" / f"{os.getpid()}.lock"
    if path not in _PLAYING:
        held = oslock.try_lock(path)
        if held is not None:
            _PLAYING[path] = held
    return path


def _failed_before(wm, device: str, precision: str, context: int | None) -> str | None:
    """The error of an earlier build of any of the graphs ``wm`` lacks, if one failed."""
    compiled = _compiled()
    try:
        note = json.loads(failed_note().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    wanted = {compiled.package_path(wm, k, device, precision, b, context).name
              for k, b in compiled.missing(wm, device, precision, context=context)}
    tried = set(note.get("packages", [])) if isinstance(note, dict) else set()
    return str(note.get("error")) if wanted & tried else None


def spawn(folder: Path, device: str, precision: str, context: int | None, batches=(1,),
          after: Path | None = None) -> subprocess.Popen:
    """Start the build job for the model in ``folder``; it outlives this process and, given ``after``
    (a lock file some process holds), starts working only once that lock is free."""
    compiled = _compiled()
    cmd = [sys.executable, "-m", "genie_studio.session.compile_job", str(folder), "--device", device,
           "--precision", precision, "--batches", ",".join(str(b) for b in batches), "--lock", str(build_lock())]
    if context is not None:
        cmd += ["--context", str(context)]
    if after is not None:  # nothing else of ours runs then: the lowest priority
        cmd += ["--after", str(after), "--nice", "19"]
    logfile = compiled.cache_folder() / "build.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {}
    if os.name == "nt":
        kwargs["creationflags"] = (subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
                                   | subprocess.BELOW_NORMAL_PRIORITY_CLASS)
    else:
        kwargs["start_new_session"] = True  # a Ctrl+C or a closed terminal does not stop it
    with open(logfile, "ab") as err:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                close_fds=True, **kwargs)


def start(wm, device, precision: str, context: int | None = None, background: bool = False,
          progress: Progress | None = None) -> dict:
    """Load the graphs a session of ``wm`` needs and have the missing ones built without waiting for
    them (see the module's docstring); -> ``compiled.prepare``'s report plus ``"job"``: the build
    process started (a ``Popen``; None if none). ``progress(text, done, total)`` hears about it; ``total == 0``
    announces a build that this caller will not see finish."""
    compiled = _compiled()
    device = str(device)
    report = compiled.prepare(wm, device, precision, context=context, build=False)
    report["job"] = None
    total = report["pending"]
    if total == 0 or report["error"]:
        return report
    folder = Path(wm.path) if getattr(wm, "path", None) else None
    if folder is None or not (folder / "config.json").is_file():
        return _in_process(wm, device, precision, context, background, progress, report)
    failed = _failed_before(wm, device, precision, context)
    if failed is not None:
        report["error"] = f"an earlier build failed ({failed}); see {compiled.cache_folder() / 'build.log'}"
        return report
    if background:
        job = spawn(folder, device, precision, context)
    else:  # built after this process ends: it would not use the graphs, and it keeps the cores meanwhile
        job = None if oslock.is_held(build_lock()) else spawn(folder, device, precision, context,
                                                               after=_playing_lock())
    report["job"] = job
    if not background:
        if progress:
            progress("compiling faster play for this machine in the background (once, about a minute a graph); "
                     "this run plays without waiting", 0, 0)
        return report
    if progress:
        progress("compiling for this machine in a background process (once)", 0, total)

    def wait_then_load():
        job.wait()  # blocks this thread only; the process ends when the graphs are built (or it failed)
        done = compiled.prepare(wm, device, precision, context=context, build=False)
        if progress:
            ready = done["loaded"] + done["slower"]
            progress("ready" if done["pending"] == 0 else "not built (see build.log in the cache folder)",
                     ready if done["pending"] else total, total)

    threading.Thread(target=wait_then_load, name="genie-compile-wait", daemon=True).start()
    return report


def _in_process(wm, device, precision, context, background, progress, report) -> dict:
    compiled = _compiled()

    def job():
        if background and hasattr(os, "setpriority"):
            try:  # Linux: a thread has its own nice value, and the compiler processes it starts inherit it
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
            except OSError:
                pass
        return compiled.prepare(wm, device, precision, context=context, progress=progress)

    if background:
        threading.Thread(target=job, name="genie-compile", daemon=True).start()
        return report
    return {**job(), "job": None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m genie_studio.session.compile_job",
                                description="Build a model's compiled graphs into the user cache (started by "
                                            "genie-studio itself on a first run).")
    p.add_argument("model", help="the model's folder")
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", default="fp32")
    p.add_argument("--context", type=int, default=None)
    p.add_argument("--batches", default="1", help="comma-separated batch sizes")
    p.add_argument("--lock", help="the cache folder's build lock (default: found from torch's version and the CPU)")
    p.add_argument("--after", help="a lock file to wait for first: the process that started this job exits")
    p.add_argument("--nice", type=int, default=10, help="how much to lower the job's priority (POSIX)")
    args = p.parse_args(argv)
    _lower_priority(args.nice)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with oslock.wait_lock(args.lock or build_lock()):  # one build at a time; a second finds the graphs built
        if args.after:
            oslock.wait_lock(args.after).release(remove=True)
        compiled = _compiled()
        from genie_studio.session.open import load_world

        wm = load_world(Path(args.model), device=args.device)
        report = compiled.prepare(wm, args.device, args.precision, batches=[int(b) for b in args.batches.split(",")],
                                  context=args.context)
        if report["error"] is not None:
            from genie_studio.fsutil import atomic_write_json

            names = [compiled.package_path(wm, k, args.device, args.precision, b, args.context).name
                     for k, b in compiled.missing(wm, args.device, args.precision, context=args.context)]
            atomic_write_json(failed_note(), {"packages": names, "error": report["error"]})
    log.info("%s: %s", args.model, json.dumps(report))
    return 0 if report["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
