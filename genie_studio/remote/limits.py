"""A world server's settings and limits, the token bucket its budgets are made of, and budgets kept by
source address."""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

from genie_studio.remote.auth import MIN_TOKEN
from genie_studio.remote.wire import DEFAULT_ENCODING, MAX_HEADER

MAX_SOURCES = 4096  # source addresses whose budgets are remembered (the least recently seen go)


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765  # 0 picks a free port
    token: str | None = None  # None: no authentication (loopback only)
    tls_cert: str | None = None
    tls_key: str | None = None
    max_sessions: int = 64  # open + detached (awaiting resume) sessions, whole server
    max_sessions_per_client: int = 8  # per connection
    max_sessions_per_address: int = 32  # open, opening and detached sessions of one source address
    max_connections: int = 128  # every connection, before and after hello
    max_unauthenticated: int = 16  # connections still waiting for hello (see docs/security.md)
    source_rate: float = 10.0  # upgrades without a valid bearer token per second per source address ...
    source_burst: int = 20  # ... with this burst; past it they are refused (HTTP 503)
    connect_rate: float = 10.0  # upgrades with a valid bearer token per second per source address ...
    connect_burst: int = 64  # ... with this burst (a full server's clients at once); past it refused (HTTP 503)
    refusal_delay: float = 1.0  # seconds a refusal to an address over its budget waits before the answer ...
    max_delayed: int = 64  # ... at most this many at once (more are answered at once)
    hello_max_message: int = MAX_HEADER + 1024  # bytes a message may have until hello succeeds
    allowed_origins: tuple[str, ...] = ()  # browser Origin values let in (requests without Origin always are)
    max_message: int = 8 * 1024 * 1024  # bytes; bigger messages close the connection (1009)
    max_prompt: int = 4 * 1024 * 1024  # bytes of prompt image in an open request
    max_prompt_pixels: int = 16_000_000  # pixels of a prompt image (the desktop takes 64 M)
    prompt_work_pixels: int = 262_144  # a prompt is reduced to at most this many while decoded
    prompt_megapixel_cost: float = 1.0  # steps of the step budget an open spends per megapixel past the first
    prompt_rate: float = 4.0  # megapixels of prompt images decoded per second per source address ...
    prompt_burst: float = 32.0  # ... with this burst (two of the largest prompts); past it opens wait
    max_replay: int = 4096  # steps replayed in one open
    max_opening: int = 2  # jobs of opens (prompt encoding, a replayed step) queued at once, whole server
    open_share: float = 0.1  # engine seconds per second the opens (resets, replays) of one source address take ...
    open_burst_s: float = 2.0  # ... with this burst; past it the address's open jobs wait (docs/security.md)
    background_share: float = 0.25  # engine time opens may take while steps wait (StepBatcher)
    max_rewind: int = 16  # steps a session can rewind; it keeps max_rewind + context - 1 frames
    max_inflight: int = 32  # requests awaiting a reply, per connection
    step_rate: float = 120.0  # steps per second per connection (token bucket) ...
    step_burst: int = 240  # ... with this burst
    bad_rate: float = 20.0  # malformed messages per second a connection may send (token bucket) ...
    bad_burst: int = 100  # ... with this burst; past it the connection is closed (1008)
    idle_timeout: float = 300.0  # seconds without a message before a connection is closed
    error_log_rate: float = 0.1  # server faults logged with a traceback per second per connection ...
    error_log_burst: int = 3  # ... with this burst; the rest are only counted
    hello_timeout: float = 10.0  # seconds to send hello after connecting
    resume_grace: float = 120.0  # seconds a dropped connection's sessions wait for a resume
    batch_window_ms: float = 2.0  # how long the batcher waits for more steps after the first one
    max_batch: int = 64
    default_encoding: str = DEFAULT_ENCODING
    max_steps: int = 32  # MaskGIT steps knob upper bound

    def __post_init__(self):
        if self.token is not None and (not isinstance(self.token, str) or len(self.token.strip()) < MIN_TOKEN):
            raise ValueError(f"a server token must be at least {MIN_TOKEN} characters (None: no token, "
                             f"loopback only)")

    def public_limits(self) -> dict:
        return {"max_sessions_per_client": self.max_sessions_per_client,
                "max_sessions_per_address": self.max_sessions_per_address, "max_message": self.max_message,
                "max_prompt": self.max_prompt, "max_prompt_pixels": self.max_prompt_pixels,
                "max_replay": self.max_replay, "max_inflight": self.max_inflight,
                "step_rate": self.step_rate, "step_burst": self.step_burst, "idle_timeout": self.idle_timeout,
                "resume_grace": self.resume_grace, "max_steps": self.max_steps, "max_rewind": self.max_rewind}


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``take()`` returns 0 or the seconds to wait."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = float(rate), float(burst), clock
        self.tokens, self.t = float(burst), clock()

    def take(self, n: float = 1.0) -> float:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= n:
            self.tokens -= n
            return 0.0
        return (n - self.tokens) / self.rate if self.rate > 0 else float("inf")

    def reserve(self, n: float) -> float:
        """Take ``n`` tokens even into debt; returns the seconds until the debt is paid (0 if none)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate) - n
        self.t = now
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate if self.rate > 0 else float("inf")


def by_source(store: collections.OrderedDict, source: str, make):
    """``source``'s budget in ``store`` (``make()`` on first sight; the least recently seen go first when
    there are more than ``MAX_SOURCES``)."""
    budget = store.pop(source, None) or make()
    store[source] = budget  # most recently seen last
    while len(store) > MAX_SOURCES:
        store.pop(next(iter(store)))
    return budget
