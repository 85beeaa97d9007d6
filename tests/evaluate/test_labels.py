"""Automatic action labels and the control test run end to end on a tiny model."""

import numpy as np

from genie_studio.evaluate.labels import classify, control_action, control_test, label_actions, probe_prompts
from genie_studio.world.tiny import tiny_world


def test_classify_names_the_motion():
    assert classify(10, 0, 4, 6) == "right"
    assert classify(-10, 0, 4, 6) == "left"
    assert classify(0, 9, 4, 6) == "jump"
    assert classify(-10, 9, 4, 6) == "left+jump"
    assert classify(1, 1, 4, 6) == "noop"


def test_labels_are_unique_names_with_confidences():
    wm = tiny_world(size=(32, 32))
    prompts = probe_prompts((32, 32), n=2)
    out = label_actions(wm, prompts=prompts, hold=3, repeats=2, precision="fp32")
    n = wm.dynamics.cfg.num_actions
    assert len(out["labels"]) == n and len(set(out["labels"])) == n
    assert all(0 < c <= 1 for c in out["confidence"])
    assert sum(out["effects"][0]["votes"].values()) == 4  # 2 prompts x 2 seeds
    assert "2 sketch probe prompts x 2 seeds" in out["method"]
    assert "noop" in out["labels"]  # always an idle action for the controls


def test_control_test_counts_trials_and_skips_missing_labels():
    wm = tiny_world(size=(32, 32))
    prompts = probe_prompts((32, 32), n=2)
    out = control_test(wm, ["noop", "right", "jump", "other"], prompts=prompts, hold=3, repeats=3,
                       precision="fp32")
    assert out["left"] == {"available": False}
    assert out["right"]["label"] == "right"
    for name in ("right", "jump"):
        assert out[name]["available"] and out[name]["trials"] == 6
        assert 0.0 <= out[name]["success_rate"] <= 1.0 and np.isfinite(out[name]["displacement_ratio"])


def test_control_uses_the_action_the_default_controls_send():
    labels = ["left+jump", "other", "right", "noop", "right+jump"]
    assert control_action(labels, "left") == 0 and control_action(labels, "right") == 2
    assert control_action(labels, "jump") == 0
    assert control_action(["noop", "right"], "left") is None
