"""Autoplay (issue #20): a policy learned from unlabelled play through latent actions.

A policy maps the last frames to one of a world model's latent actions (Genie s3.3 / s4.3). It is
trained on footage labelled by the model's latent action model, or on recordings, which already hold
the latent actions a player chose; it then drives a ``WorldSession`` (``genie-studio play --autoplay``,
the editor's Autoplay toggle). ``experiment`` reproduces the paper's agent experiment on the
procedural platformer, where the true actions and the real game are known.

No UI toolkit here (docs/architecture.md, "Layers"): the editor and the CLI drive this package.
"""

from genie_studio.autoplay.policy import (
    AutoplayDriver,
    Policy,
    PolicyConfig,
    PolicyError,
    find_policies,
    load_policy,
    model_fingerprint,
    save_policy,
)

__all__ = ["AutoplayDriver", "Policy", "PolicyConfig", "PolicyError", "find_policies", "load_policy",
           "model_fingerprint", "save_policy"]
