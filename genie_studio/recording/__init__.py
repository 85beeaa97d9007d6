"""Recordings of playthroughs: frames, latent actions, physical inputs, timestamps, model id, seed,
prompt and knobs, in a crash-safe folder format (docs/recording-format.md)."""

from genie_studio.recording.chunks import RecordingError
from genie_studio.recording.manage import ReplayError, delete, rename, replay, replay_session, trim
from genie_studio.recording.meta import model_identity
from genie_studio.recording.reader import Recording, is_recording, list_recordings
from genie_studio.recording.recorder import Recorder

__all__ = ["Recorder", "Recording", "RecordingError", "ReplayError", "delete", "is_recording",
           "list_recordings", "model_identity", "rename", "replay", "replay_session", "trim"]
