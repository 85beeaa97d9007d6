"""Progress bars for long work, by tqdm: on stderr, live on a terminal, silent when stderr is not one.

Every long job (training, data generation and import, play, record, export) makes its bar here, so
they look alike and follow the same rules: a bar never writes to stdout (where ``--json`` goes),
commands pass ``enabled=False`` under ``--json``, and a resumed job passes ``initial`` so that the
rate and the ETA count only the work done in this run. The editor shows the same text with
``describe`` (tqdm's own meter) next to its progress bars.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int | None, desc: str = "", *, unit: str = "it", enabled: bool = True, initial: int = 0,
                 file=None) -> tqdm:
    """A tqdm bar on ``file`` (stderr); disabled unless ``enabled`` and ``file`` is a terminal."""
    stream = sys.stderr if file is None else file
    live = enabled and hasattr(stream, "isatty") and stream.isatty()
    return tqdm(total=total, desc=desc, unit=unit, initial=initial, file=stream, disable=not live,
                dynamic_ncols=True, mininterval=0.2, smoothing=0.1)


def describe(n: int, total: int | None, elapsed: float, unit: str = "it", initial: int = 0) -> str:
    """The bar's text without the bar: ``12/48 [00:03<00:09, 3.95frames/s]`` (for the editor)."""
    return tqdm.format_meter(n, total, elapsed, unit=unit, initial=initial,
                             bar_format="{n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]")


class StageBar:
    """A progress callback ``(text, done, total)`` drawn as one bar (a first run's compilation); a call
    with ``total == 0`` is an announcement, printed as a line."""

    def __init__(self, desc: str = "", enabled: bool = True):
        self.desc, self.enabled, self.bar = desc, enabled, None

    def __call__(self, text: str, done: int, total: int) -> None:
        if total == 0:
            if self.enabled:
                print(f"{self.desc}: {text}" if self.desc else text, file=sys.stderr, flush=True)
            return
        if self.bar is None:
            self.bar = progress_bar(total, self.desc, unit="graph", enabled=self.enabled)
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()
