"""Controls: physical inputs (keys, gamepad buttons, d-pad, sticks, triggers, chords) -> latent actions.

No toolkit here: input/ (pygame) and editor/ (Qt) translate their events into the input ids of
:mod:`.inputs`; :class:`HeldInputs` tracks what is held and in which order; :func:`resolve` applies the
documented rule; profiles live in the user config dir (:mod:`.store`). The profile is the only keymap:
the editor, its Controls panel and the player all send what :func:`resolve` picks, and the defaults
(:func:`default_profile`) are ordinary bindings that the panel shows and edits.
"""

from genie_studio.controls.defaults import default_profile, idle_index, label_words
from genie_studio.controls.held import HeldInputs
from genie_studio.controls.inputs import (
                                          DEFAULT_DEADZONE,
                                          DEFAULT_TRIGGER_THRESHOLD,
                                          InputError,
                                          analog_inputs,
                                          describe,
                                          describe_chord,
                                          is_valid,
                                          key,
)
from genie_studio.controls.profile import (
                                          Binding,
                                          Profile,
                                          ProfileError,
                                          active_binding,
                                          conflicts,
                                          key_table,
                                          remap,
                                          resolve,
)
from genie_studio.controls.store import (
                                          export_profile,
                                          import_profile,
                                          load_profile,
                                          profile_path,
                                          read_profile,
                                          save_profile,
)

__all__ = [
    "DEFAULT_DEADZONE", "DEFAULT_TRIGGER_THRESHOLD", "Binding", "HeldInputs", "InputError", "Profile",
    "ProfileError", "active_binding", "analog_inputs", "conflicts", "default_profile", "describe",
    "describe_chord", "export_profile", "idle_index", "import_profile", "is_valid", "key", "key_table", "label_words",
    "load_profile", "profile_path", "read_profile", "remap", "resolve", "save_profile",
]
