"""Microphone discovery through sounddevice (PortAudio), the only place that imports it.

Every failure becomes :class:`AudioUnavailable` with a message a designer can act on: no PortAudio
library, no input device, a device that vanished. Callers record silently and show the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)
_warned: set[str] = set()


class AudioUnavailable(Exception):
    """Voice-over cannot be recorded; the message says why and what to do."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    hostapi: str
    channels: int
    samplerate: float
    is_default: bool

    @property
    def label(self) -> str:
        return f"{self.name} ({self.hostapi}){' - default' if self.is_default else ''}"


def sd():
    """The sounddevice module, or AudioUnavailable when PortAudio is missing."""
    try:
        import sounddevice
    except (OSError, ImportError) as e:
        raise AudioUnavailable(f"the PortAudio library is not available ({e}); install libportaudio2 "
                               "(Debian/Ubuntu) or portaudio (macOS Homebrew) to record a voice-over") from None
    return sounddevice


def refresh() -> None:
    """Re-scan the audio system (a microphone plugged in, a JACK server started since launch)."""
    m = sd()
    try:
        m._terminate()
        m._initialize()
    except Exception as e:  # noqa: BLE001 (PortAudio errors have no common base worth naming)
        raise AudioUnavailable(f"could not re-scan audio devices: {e}") from None


def suspend() -> None:
    """Release PortAudio (and its JACK client) before the audio server it talks to goes away."""
    sd()._terminate()


def resume() -> None:
    sd()._initialize()


def input_devices() -> list[InputDevice]:
    """Devices that can record, default first; raises AudioUnavailable without PortAudio."""
    m = sd()
    try:
        devices = m.query_devices()
        apis = m.query_hostapis()
        default_in = m.default.device[0]
    except Exception as e:  # noqa: BLE001
        raise AudioUnavailable(f"could not list audio devices: {e}") from None
    out = []
    for i, d in enumerate(devices):
        if d["max_input_channels"] > 0:
            out.append(InputDevice(i, d["name"], apis[d["hostapi"]]["name"], int(d["max_input_channels"]),
                                   float(d["default_samplerate"]), i == default_in))
    out.sort(key=lambda d: not d.is_default)
    return out


def pick_device(device=None) -> InputDevice:
    """``device``: None (the default input), an index, or part of a name."""
    devs = input_devices()
    if not devs:
        raise AudioUnavailable("no microphone or other audio input device was found; plug one in "
                               "(or start your JACK/PulseAudio server) and refresh the device list")
    if device is None:
        return devs[0]
    for d in devs:
        if (isinstance(device, int) and d.index == device) or (
                isinstance(device, str) and device.lower() in d.name.lower()):
            return d
    raise AudioUnavailable(f"input device {device!r} not found; available: "
                           + ", ".join(f"{d.index}: {d.name}" for d in devs))


def warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        log.warning("recording without a voice-over: %s", reason)


def peak_level(block: np.ndarray) -> float:
    """Peak of a block of float samples, 0..1 (for a level meter)."""
    return float(min(1.0, np.abs(block).max())) if block.size else 0.0


def to_dbfs(level: float) -> float:
    return -120.0 if level <= 1e-6 else float(20 * np.log10(level))
