"""The pygame player: a WorldSession in a window, played with a keyboard or a gamepad.

In the spirit of DIAMOND's ``src/game`` loop: each tick reads input, steps the world once with the
action the controls profile resolves, shows the frame scaled up with nearest neighbour, and waits on
a clock for the target fps. Stepping is synchronous and input is read right before each step, so an
action always reaches the very next frame; when a step costs more than the frame budget the loop
simply runs slower and the overlay shows the fps actually measured.

Keys: Esc or closing the window quits, F5 resets to the prompt, Backspace rewinds one step; every
other key and every gamepad goes through the profile (default: the model's profile from the user
config dir, see :mod:`genie_studio.controls.store`). SIGTERM, SIGINT (Ctrl-C) and SIGHUP quit like
Esc: the loop ends after the step in progress, the window closes and ``run_player`` returns 0.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import pygame

import genie_studio.input  # noqa: F401  (sets SDL hints before pygame starts SDL)
from genie_studio.controls import Profile, describe_chord, load_profile, remap
from genie_studio.input.gamepads import Gamepads
from genie_studio.input.state import InputState
from genie_studio.knobs import Knobs

log = logging.getLogger(__name__)
TARGET_WINDOW = 512  # default scale: the frame's longer side becomes about this many pixels
QUIT_KEYS = (pygame.K_ESCAPE,)


def default_scale(resolution: tuple[int, int]) -> int:
    return max(1, TARGET_WINDOW // max(resolution))


def _profile_for(session, profile: Profile | None) -> Profile:
    labels = list(session.labels)
    if profile is None:
        name = session.model.name or "default"
        profile, warnings = load_profile(name, labels)
    elif [x.lower() for x in profile.labels] != [x.lower() for x in labels]:
        profile, warnings = remap(profile, labels)
    else:
        warnings = []
    for w in warnings:
        print(f"genie-studio: controls: {w}", file=sys.stderr)
    return profile


def _surface(frame: np.ndarray, size: tuple[int, int]):
    h, w = frame.shape[:2]
    img = pygame.image.frombuffer(np.ascontiguousarray(frame[..., :3], dtype=np.uint8).tobytes(), (w, h), "RGB")
    return pygame.transform.scale(img, size)  # pygame's plain scale is nearest neighbour


def _overlay(screen, font, lines: list[str]) -> None:
    y = 4
    for text in lines:
        shadow = font.render(text, True, (0, 0, 0))
        fg = font.render(text, True, (255, 255, 255))
        screen.blit(shadow, (7, y + 1))
        screen.blit(fg, (6, y))
        y += fg.get_height() + 2


@contextlib.contextmanager
def _quit_signals():
    """While playing, SIGTERM and SIGINT (and SIGHUP) set the returned flag instead of killing the
    process or raising KeyboardInterrupt mid-step; the loop checks it once per tick."""
    flag: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    names = ("SIGTERM", "SIGINT", "SIGHUP")
    old = {s: signal.signal(s, lambda n, _f: flag.append(n))
           for s in (getattr(signal, n) for n in names if hasattr(signal, n))}
    try:
        yield flag
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_player(session, fps: float | None = None, scale: int | None = None, profile: Profile | None = None,
               max_frames: int | None = None,
               record: Callable[[np.ndarray, int | None], None] | None = None, prompt=None) -> int:
    """Play ``session`` (already reset to a prompt) in a window until Esc/close or ``max_frames`` ticks.

    ``record(frame, action)`` is called with the prompt (action None), with each new frame and the
    action that made it, and after F5 (the prompt again, action None). F5 calls
    ``session.reset(prompt)`` when the original ``prompt`` image is given; otherwise it rewinds to the
    oldest frame the session keeps (the prompt for the session's first 255 steps). Returns 0. ``fps``:
    the frames per second aimed at (None: the default knob).
    """
    if session.frame is None:
        raise ValueError("reset the session with a prompt before playing (session.reset(image))")
    fps = Knobs().fps if fps is None else fps
    if fps <= 0:
        raise ValueError(f"fps must be positive, not {fps}")
    h, w = session.resolution
    scale = int(scale or default_scale((h, w)))
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    profile = _profile_for(session, profile)

    with _quit_signals() as stop_signal:
        pygame.display.init()
        pygame.font.init()
        return _play(session, fps, scale, profile, max_frames, record, prompt, h, w, stop_signal)


def _play(session, fps, scale, profile, max_frames, record, prompt, h, w, stop_signal) -> int:
    gamepads = None
    try:
        screen = pygame.display.set_mode((w * scale, h * scale))
        name = session.model.name
        pygame.display.set_caption(f"Genie Studio - {name} - Esc quits, F5 resets, Backspace rewinds")
        font = pygame.font.Font(None, max(16, min(28, w * scale // 20)))
        gamepads = Gamepads()
        state = InputState(profile, gamepads)
        print(f"genie-studio: playing {name} in a window: Esc or Ctrl-C quits, F5 resets, Backspace rewinds",
              file=sys.stderr, flush=True)
        clock = pygame.time.Clock()
        size = (w * scale, h * scale)
        if record is not None:
            record(session.frame, None)
        ticks, step_ms = 0, 0.0
        while True:
            acted = False
            quit_now = False
            for ev in pygame.event.get():
                if ev.type == pygame.QUIT or (ev.type == pygame.KEYDOWN and ev.key in QUIT_KEYS):
                    quit_now = True
                elif ev.type == pygame.KEYDOWN and ev.key == pygame.K_F5:
                    if prompt is not None:
                        session.reset(prompt)
                    else:
                        session.rewind(len(session.frames) - 1)
                    acted = True
                    if record is not None:
                        record(session.frame, None)
                elif ev.type == pygame.KEYDOWN and ev.key == pygame.K_BACKSPACE:
                    if len(session.frames) > 1:
                        session.rewind(1)
                    acted = True
                else:
                    state.handle_event(ev)
            if quit_now or stop_signal:
                break
            action = state.update()
            if not acted:
                t0 = time.perf_counter()
                frame = session.step(action)
                step_ms = (time.perf_counter() - t0) * 1000
                if record is not None:
                    record(frame, action)
            screen.blit(_surface(session.frame, size), (0, 0))
            b = state.binding
            _overlay(screen, font, [
                f"{clock.get_fps():4.1f} fps (target {fps})  step {step_ms:.0f} ms",
                f"{session.labels[action]}" + (f"  [{describe_chord(b.inputs)}]" if b else ""),
            ])
            pygame.display.flip()
            ticks += 1
            if max_frames is not None and ticks >= max_frames:
                break
            clock.tick(fps)
    finally:
        if gamepads is not None:
            gamepads.close()
        pygame.display.quit()
    return 0
