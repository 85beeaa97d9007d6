"""What runs a step: the fixed-shape modules, eager or compiled once per machine.

:func:`frame_step` and :func:`frame_decoder` give a session the callables for its model, device,
precision and batch size. Both have fixed shapes (:mod:`genie_studio.world.frame_step`: a padded
cache of ``context - 1`` frame slots), so a session needs one dynamics graph and one decoder graph,
and a batch is padded up to one of a few sizes (:data:`BUCKETS`).

:func:`prepare` compiles them ahead of time with AOTInductor (``torch.export`` then
``aoti_compile_and_package``) into ``<user cache>/compiled/torch-<version>/<cpu>/``, one ``.pt2``
package per graph, named by a hash of the model's weights, of the code that defines the graph, the
batch size, the precision and the device. Compiling costs about 30 s a graph on a 2-core CPU, and
right after it the graph is timed against the eager modules once (the fastest of several interleaved
calls each, which machine load cannot make look faster) and the times are kept with the package in
``<name>.json``: whether a graph pays is decided once per machine, not at every start. A later run
reads that verdict and loads a graph that pays in a few milliseconds, through the package loader
itself rather than ``torch._inductor`` (whose import alone costs ~2-4 s); one that does not pay is
not loaded at all. Packages are written atomically; one that fails to load is deleted and rebuilt.

Compiling never holds up play: ``compile_job.start`` (behind ``open_session``) loads what the cache
has and, for what it lacks, starts ``python -m genie_studio.session.compile_job`` in a process of its
own at the lowest priority, which outlives a short ``play`` so that the next run finds the graphs; the
editor waits for that process on a thread and switches to the graphs when they are ready. Without a
package the eager modules run the same math, so compiling is never required: it is off with
``compile: false`` in the settings, ``--no-compile`` or ``GENIE_STUDIO_COMPILE=0``, and if it fails
the error is logged and play goes on eagerly.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import json
import linecache
import logging
import os
import platform
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from pathlib import Path

import torch
from torch import nn

from genie_studio.world.bundle import WorldModel
from genie_studio.world.frame_step import FrameStep

log = logging.getLogger(__name__)
# torch.export and the package loader's pytree code warn about their own deprecations (LeafSpec...):
# nothing a player can act on
warnings.filterwarnings("ignore", category=FutureWarning, module=r"(torch(\.|$)|copyreg$)")

BUCKETS = (1, 2, 4, 8, 16, 32)  # batch sizes a compiled graph is made for
_LOCK = threading.Lock()


def enabled(setting: bool | None = None) -> bool:
    """Compilation is wanted unless the setting or ``GENIE_STUDIO_COMPILE=0`` says no."""
    if os.environ.get("GENIE_STUDIO_COMPILE", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    return True if setting is None else bool(setting)


def kv_dtype(precision: str) -> torch.dtype:
    return torch.bfloat16 if precision == "bf16" else torch.float32


def bucket(n: int) -> int:
    return next((b for b in BUCKETS if b >= n), n)


class _Precision(nn.Module):
    """Runs ``inner`` under the session's precision (bf16 autocast, or as is)."""

    def __init__(self, inner: nn.Module, precision: str, device_type: str):
        super().__init__()
        self.inner, self.precision, self.device_type = inner, precision, device_type

    def forward(self, *args):
        ctx = torch.autocast(self.device_type, dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        with ctx:
            return self.inner(*args)


class _DecodeFrames(nn.Module):
    """tokens [B, S] -> RGB uint8 frames [B, H, W, 3] (a frame-wise tokenizer's decoder)."""

    def __init__(self, tokenizer: nn.Module):
        super().__init__()
        self.tok = tokenizer

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.tok.decode(tokens[:, None])[:, 0]
        return (x.float().clamp(0, 1) * 255 + 0.5).to(torch.uint8)


class Graph:
    """A step or decoder callable (eager module or compiled package) with the shapes it takes."""

    def __init__(self, fn: Callable, batch: int | None, cache_shape: Callable[[int], tuple] | None = None,
                 compiled: bool = False):
        self.fn, self.batch, self.compiled = fn, batch, compiled
        self._cache_shape = cache_shape

    def cache_shape(self, batch: int) -> tuple[int, ...]:
        return self._cache_shape(batch)

    def __call__(self, *args):
        return self.fn(*args)


def _eager(wm: WorldModel, kind: str, device: torch.device, precision: str, slots: int = 0) -> Graph:
    key = ("eager", kind, str(device), precision, slots)
    rt = wm.runtime
    if key not in rt:
        if kind == "step":
            fs = FrameStep(wm.dynamics, slots).to(device)
            rt[key] = Graph(_Precision(fs, precision, device.type), None, fs.cache_shape)
        else:
            rt[key] = Graph(_Precision(_DecodeFrames(wm.tokenizer), precision, device.type), None)
    return rt[key]


def _compiled(wm: WorldModel, kind: str, device: torch.device, precision: str, batch: int,
              slots: int = 0) -> Graph | None:
    """The smallest compiled graph that takes ``batch`` rows, if one is loaded."""
    rt = wm.runtime
    for b in BUCKETS:
        if b >= batch:
            g = rt.get(("compiled", kind, str(device), precision, slots, b))
            if g is not None:
                return g
    return None


def frame_step(wm: WorldModel, device, precision: str, batch: int, context: int) -> tuple[Graph, int]:
    """The dynamics step for ``batch`` sessions of ``context`` frames and the batch size it must be
    given (rows past ``batch`` are padding)."""
    device = torch.device(device)
    g = _compiled(wm, "step", device, precision, batch, context - 1)
    return (g, g.batch) if g is not None else (_eager(wm, "step", device, precision, context - 1), batch)


def frame_decoder(wm: WorldModel, device, precision: str, batch: int) -> tuple[Graph, int]:
    device = torch.device(device)
    g = _compiled(wm, "decode", device, precision, batch)
    return (g, g.batch) if g is not None else (_eager(wm, "decode", device, precision), batch)


# ---- compiling and the on-disk cache ------------------------------------------------------------------------
def _weights_hash(module: nn.Module) -> str:
    """A digest of the module's tensors as they are in memory (names, dtypes, shapes, bytes): a package embeds
    the weights it was compiled with, so a graph is only ever found again for the very same weights. The bytes
    are hashed where they lie (no copy): ~5 ms for the bundled model's tokenizer and dynamics."""
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy())
    return h.hexdigest()


def _class_source(cls: type) -> str:
    """``inspect.getsource(cls)`` for an undecorated top-level class, without parsing its whole module (which
    ``inspect`` does for a class before Python 3.13: ~40 ms for this one)."""
    lines = linecache.getlines(inspect.getsourcefile(cls))
    start = next(i for i, line in enumerate(lines) if line.startswith(f"class {cls.__name__}(")) if lines else None
    return "".join(inspect.getblock(lines[start:])) if start is not None else inspect.getsource(cls)


@functools.lru_cache(maxsize=1)
def _code_hash() -> str:
    """The source of everything a graph is traced from: a change there makes new packages. Once per process
    (the code that runs is the code imported)."""
    from genie_studio.world import conv_tokenizer, dynamics, frame_step, layers, maskgit, quantize, tokenizer

    h = hashlib.sha256()
    for mod in (frame_step, layers, maskgit, dynamics, tokenizer, conv_tokenizer, quantize):
        h.update(inspect.getsource(mod).encode())
    h.update(_class_source(_DecodeFrames).encode() + _class_source(_Precision).encode())
    return h.hexdigest()


def cpu_key() -> str:
    """This CPU as the cache folder names it: ATen's vector ISA, the architecture and a hash of the CPU's
    feature flags (Linux) or its name, cheap to read at every start (``torch._inductor``'s own ISA probe
    is an import of ~2-4 s). Packages built with AVX-512 or AMX never load on a CPU without them."""
    import torch.backends.cpu

    try:
        isa = torch.backends.cpu.get_cpu_capability()
    except Exception:  # an older or stripped torch
        isa = "cpu"
    features = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            features = next((line for line in f if line.startswith(("flags", "Features"))), features)
    except OSError:  # not Linux
        pass
    digest = hashlib.sha256(f"{platform.machine()} {features}".encode()).hexdigest()[:8]
    return f"{isa}-{platform.machine() or 'cpu'}-{digest}".replace(" ", "_")


def cache_folder() -> Path:
    from genie_studio.config import paths

    return paths().cache / "compiled" / f"torch-{torch.__version__}" / cpu_key()


def _slots(wm: WorldModel, kind: str, context: int | None) -> int:
    return (context or wm.dynamics.cfg.context) - 1 if kind == "step" else 0


def package_path(wm: WorldModel, kind: str, device, precision: str, batch: int, context: int | None = None) -> Path:
    device = torch.device(device)
    module = wm.dynamics if kind == "step" else wm.tokenizer
    rt = wm.runtime
    if ("hash", kind) not in rt:
        rt[("hash", kind)] = hashlib.sha256((_weights_hash(module) + _code_hash()).encode()).hexdigest()[:20]
    ctx = f"-w{_slots(wm, kind, context)}" if kind == "step" else ""
    return cache_folder() / f"{kind}-{rt[('hash', kind)]}{ctx}-b{batch}-{precision}-{device.type}.pt2"


def _example_inputs(wm: WorldModel, kind: str, device: torch.device, precision: str, batch: int,
                    slots: int) -> tuple:
    dyn = wm.dynamics
    S = dyn.S if dyn is not None else wm.tokenizer.cfg.tokens_hw[0] * wm.tokenizer.cfg.tokens_hw[1]
    tokens = torch.zeros(batch, S, dtype=torch.long, device=device)
    if kind == "decode":
        return (tokens,)
    shape = FrameStep(dyn, slots).cache_shape(batch)
    kv = torch.zeros(shape, dtype=kv_dtype(precision), device=device)
    return (tokens, torch.zeros(batch, dtype=torch.long, device=device), kv, kv.clone(),
            torch.zeros(batch, dtype=torch.long, device=device), torch.rand(batch, S, device=device),
            torch.tensor(1.0, device=device))


def _build(wm: WorldModel, kind: str, device: torch.device, precision: str, batch: int, slots: int,
           path: Path) -> None:
    # Trace a private copy: export swaps a module's parameters for fake ones while it traces, and the
    # shared modules may be stepping on another thread meanwhile (the editor, the server).
    if kind == "step":
        inner = FrameStep(copy.deepcopy(wm.dynamics), slots)
    else:
        inner = _DecodeFrames(copy.deepcopy(wm.tokenizer))
    module = _Precision(inner.to(device), precision, device.type)
    with torch.no_grad():
        program = torch.export.export(module, _example_inputs(wm, kind, device, precision, batch, slots))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".pt2", dir=path.parent)
        os.close(fd)
        try:
            torch._inductor.aoti_compile_and_package(program, package_path=tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class _Runner:
    """A loaded package called with the flat tensors it was traced with: the package loader's ``boxed_run``
    without ``torch._inductor`` (its wrapper also re-parses the call spec at every call)."""

    def __init__(self, loader, single: bool):
        self.loader, self.single = loader, single

    def __call__(self, *args):
        out = self.loader.boxed_run(list(args))
        return out[0] if self.single else tuple(out)


def _load(path: Path, batch: int, kind: str, wm: WorldModel, slots: int) -> Graph:
    loader_cls = getattr(getattr(torch._C, "_aoti", None), "AOTIModelPackageLoader", None)
    if loader_cls is not None:
        runner = _Runner(loader_cls(str(path), "model", False, 1, -1), single=kind == "decode")
    else:  # a torch without the bare loader: its public wrapper
        runner = torch._inductor.aoti_load_package(str(path))
    shape = FrameStep(wm.dynamics, slots).cache_shape if kind == "step" else None
    return Graph(runner, batch, shape, compiled=True)


SLOWER = 1.5  # a compiled graph this many times slower than eager is not used
REPS = 7  # interleaved calls of each when a graph is timed against eager


def _measure(graph: Graph, eager: Graph, inputs: tuple, reps: int = REPS) -> dict:
    """The fastest of ``reps`` interleaved calls of the graph and of the eager modules, in ms: machine load
    only ever adds time, so the minimum is what each costs, and interleaving gives both the same moments."""
    best = {"compiled_ms": float("inf"), "eager_ms": float("inf")}
    with torch.no_grad():
        graph(*inputs)
        eager(*inputs)
        for _ in range(reps):
            for key, fn in (("compiled_ms", graph), ("eager_ms", eager)):
                t = time.perf_counter()
                fn(*inputs)
                best[key] = min(best[key], (time.perf_counter() - t) * 1000)
    return {k: round(v, 3) for k, v in best.items()}


def verdict_path(package: Path) -> Path:
    return package.with_suffix(".json")


def read_verdict(package: Path) -> dict | None:
    """The times kept with a package (``compiled_ms``, ``eager_ms``...), or None if it has none yet."""
    try:
        v = json.loads(verdict_path(package).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(v, dict) and all(isinstance(v.get(k), (int, float)) for k in ("compiled_ms", "eager_ms"))
    return v if ok else None


def pays(verdict: dict) -> bool:
    """Whether a graph with these kept times is worth using (not more than :data:`SLOWER` x eager)."""
    return verdict["compiled_ms"] <= SLOWER * verdict["eager_ms"]


def _decide(wm: WorldModel, kind: str, device: torch.device, precision: str, b: int, slots: int,
            graph: Graph, path: Path) -> dict:
    """Time a graph against eager once and keep the times with its package."""
    from genie_studio.fsutil import atomic_write_json

    v = _measure(graph, _eager(wm, kind, device, precision, slots),
                 _example_inputs(wm, kind, device, precision, b, slots))
    v.update(reps=REPS, measured_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             load_average=round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None)
    atomic_write_json(verdict_path(path), v)
    return v


def graphs_for(wm: WorldModel) -> list[str]:
    """The kinds of graph a model's sessions use ("decode" only for a frame-wise tokenizer)."""
    kinds = ["step"] if wm.dynamics is not None else []
    if wm.tokenizer is not None and not wm.tokenizer.cfg.temporal:
        kinds.append("decode")
    return kinds


def missing(wm: WorldModel, device, precision: str, batches: Iterable[int] = (1,),
            context: int | None = None) -> list[tuple[str, int]]:
    """Graphs that would have to be compiled (not yet in the cache folder)."""
    return [(k, bucket(b)) for b in batches for k in graphs_for(wm)
            if not package_path(wm, k, device, precision, bucket(b), context).exists()]


def prepare(wm: WorldModel, device="cpu", precision: str = "bf16", batches: Iterable[int] = (1,),
            context: int | None = None, progress: Callable[[str, int, int], None] | None = None,
            build: bool = True) -> dict:
    """Load the compiled graphs for ``batches`` (rounded up to :data:`BUCKETS`) that pay on this machine,
    compiling what the cache lacks unless ``build`` is false; ``progress(text, done, total)`` hears about
    each graph. Returns what happened: ``{"loaded": n, "compiled": n, "slower": n, "measured": n,
    "pending": n, "seconds": s, "error": str | None}``: ``slower`` graphs lost to eager when they were
    timed (and are not loaded), ``measured`` were timed in this call (just compiled, or kept without
    times by an older version), ``pending`` are missing and were not built. Never raises for a compile
    failure: the session keeps running eagerly."""
    device = torch.device(device)
    t0 = time.perf_counter()
    todo = [(k, bucket(b)) for b in sorted({bucket(b) for b in batches}) for k in graphs_for(wm)]
    report = {"loaded": 0, "compiled": 0, "slower": 0, "measured": 0, "pending": 0, "seconds": 0.0, "error": None}
    for i, (kind, b) in enumerate(todo):
        slots = _slots(wm, kind, context)
        key = ("compiled", kind, str(device), precision, slots, b)
        if key in wm.runtime:
            report["loaded"] += 1
            continue
        path = package_path(wm, kind, device, precision, b, context)
        try:
            with _LOCK:  # one compile at a time per process: they would only fight for the cores
                graph, verdict = None, read_verdict(path) if path.exists() else None
                if verdict is not None and not pays(verdict):
                    report["slower"] += 1  # decided when it was built: not even loaded
                    continue
                if path.exists():
                    try:
                        graph = _load(path, b, kind, wm, slots)
                        report["loaded"] += 1
                    except Exception as e:  # a truncated or foreign package: rebuild it
                        log.warning("compiled graph %s did not load (%s); rebuilding it", path.name, e)
                        path.unlink(missing_ok=True)
                        verdict_path(path).unlink(missing_ok=True)
                        verdict = None
                if not path.exists():
                    if not build:
                        report["pending"] += 1
                        continue
                    if progress:
                        progress(f"compiling the {kind} graph for batch {b} (once per machine)", i, len(todo))
                    _build(wm, kind, device, precision, b, slots, path)
                    graph = _load(path, b, kind, wm, slots)
                    report["compiled"] += 1
                if verdict is None:
                    verdict = _decide(wm, kind, device, precision, b, slots, graph, path)
                    report["measured"] += 1
                if pays(verdict):
                    wm.runtime[key] = graph
                else:
                    log.warning("the compiled %s graph for batch %d is slower than the eager modules on this "
                                "machine (%.1f ms against %.1f ms): playing without it", kind, b,
                                verdict["compiled_ms"], verdict["eager_ms"])
                    report["slower"] += 1
        except Exception as e:  # no C++ compiler, an unsupported op or device: stay eager
            log.warning("compiling the %s graph failed, playing without it: %s", kind, e)
            report["error"] = f"{type(e).__name__}: {e}"
            break
        if progress:
            progress(f"{kind} graph for batch {b} ready", i + 1, len(todo))
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


__all__ = ["BUCKETS", "Graph", "bucket", "cpu_key", "enabled", "frame_decoder", "frame_step", "kv_dtype", "missing",
           "package_path", "pays", "prepare", "read_verdict"]
