"""Microphone voice-over (sounddevice): device listing, level meter, crash-safe WAV recording."""

from genie_studio.audio.devices import AudioUnavailable, InputDevice, input_devices, pick_device, refresh
from genie_studio.audio.voice import VoiceRecorder

__all__ = ["AudioUnavailable", "InputDevice", "VoiceRecorder", "input_devices", "pick_device", "refresh"]
