"""A tiny stdlib progress bar on stderr: live on a terminal, one final line otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(
        self, total: int | None, desc: str = "", stream=None, enabled: bool = True, unit: str = "it"
    ):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.n = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._closed = False

    def _line(self) -> str:
        dt = max(time.monotonic() - self.start, 1e-9)
        rate = self.n / dt
        if self.total:
            frac = min(self.n / self.total, 1.0)
            bar = "#" * int(frac * 24)
            eta = (self.total - self.n) / rate if rate > 0 else 0.0
            return (
                f"{self.desc} [{bar:<24}] {self.n}/{self.total} {frac:4.0%} "
                f"{rate:.1f} {self.unit}/s eta {eta:.0f}s"
            )
        return f"{self.desc} {self.n} {self.unit} {rate:.1f} {self.unit}/s"

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if self.tty and (now - self._last > 0.1 or (self.total and self.n >= self.total)):
            self._last = now
            self.stream.write("\r" + self._line())
            self.stream.flush()

    def close(self) -> None:
        if self._closed or not self.enabled:
            return
        self._closed = True
        self.stream.write(
            ("\r" if self.tty else "") + self._line() + f" ({time.monotonic() - self.start:.1f}s)\n"
        )
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
