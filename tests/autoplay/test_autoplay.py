"""Autoplay (issue #20): the experiment end to end, training and playing from the CLI, refusing a
policy that belongs to another model, and the editor's toggle giving control back on a key press."""

import json
import shutil

import numpy as np
import pytest
import torch

from genie_studio.autoplay.experiment import fit_mapping, label_mapping, play_levels, run_experiment
from genie_studio.autoplay.policy import (
    Policy,
    PolicyConfig,
    PolicyError,
    find_policies,
    load_policy,
    model_fingerprint,
    save_policy,
)
from genie_studio.cli import main
from genie_studio.data.platformer import ACTIONS
from genie_studio.world.tiny import LABELS, save_world, tiny_world

torch.set_num_threads(1)


def test_tiny_experiment_end_to_end_beats_random():
    """Expert episodes -> LAM labels -> policy -> k-label mapping -> the real game on 2 held-out levels."""
    wm = tiny_world()
    res = run_experiment(wm.lam, LABELS, episodes=4, levels=2, ks=(0, 200), steps=150, batch=32, width_tiles=40,
                         progress=False)
    rows = {r["agent"]: r for r in res["table"]}
    rnd, expert = rows["random"], rows["expert (scripted, goal-seeking)"]
    latent, oracle = rows["latent-action policy, k=200"], rows["BC on true actions (oracle)"]
    assert res["data"]["transitions"] > 100
    assert sum(res["data"]["latent_counts"]) == res["data"]["transitions"]
    assert expert["completion"] == 1.0 and expert["progress"] == 1.0
    assert latent["progress"] > rnd["progress"] + 0.1, rows
    assert oracle["progress"] > rnd["progress"] + 0.1, rows
    assert all(0.0 <= r["progress"] <= 1.0 and len(r["per_level"]) == 2 for r in res["table"])


def test_mapping_from_labels_and_from_k_transitions():
    fallback = label_mapping(["right+jump-2", "other", "left", "noop"])
    assert [ACTIONS[a] for a in fallback] == ["right+jump", "noop", "left", "noop"]
    z = np.array([0, 0, 0, 1, 1, 2])
    true = np.array([2, 2, 5, 1, 1, 0])
    mapping, counts = fit_mapping(z, true, 6, 4, fallback, np.random.default_rng(0))
    assert [ACTIONS[a] for a in mapping] == ["right", "left", "noop", "noop"]  # latent 3 unseen: its label
    assert counts.sum() == 6
    mapping0, _ = fit_mapping(z, true, 0, 4, fallback, np.random.default_rng(0))
    assert (mapping0 == fallback).all()


def test_random_agent_makes_little_progress_and_expert_finishes():
    from genie_studio.autoplay.experiment import RandomAgent

    levels = [39_000_500, 39_000_501]
    rnd = play_levels(RandomAgent(0), levels, (16, 16), width_tiles=40)
    exp = play_levels("expert", levels, (16, 16), width_tiles=40)
    assert exp["completion"] == 1.0 and rnd["progress"] < 0.5


def _policy_for(wm, folder, seed=0):
    torch.manual_seed(seed)
    pol = Policy(PolicyConfig(num_actions=wm.lam.cfg.num_actions, image_size=(16, 16)))
    return save_policy(folder, pol, action_space="latent", labels=wm.action_labels, model=wm)


def test_policy_of_another_model_is_refused(tmp_path):
    mine, other = tiny_world(seed=0), tiny_world(seed=1)
    assert model_fingerprint(mine) != model_fingerprint(other)
    folder = _policy_for(mine, tmp_path / "pol")
    policy, meta = load_policy(folder, mine)
    assert meta["model"]["fingerprint"] == model_fingerprint(mine)
    with pytest.raises(PolicyError, match="belongs to model 'tiny-test'.*latent actions mean different things"):
        load_policy(folder, other)
    bc = save_policy(tmp_path / "bc", policy, action_space="true", labels=list(ACTIONS))
    with pytest.raises(PolicyError, match="true actions"):
        load_policy(bc, mine)
    (folder / "policy.safetensors").write_bytes(b"garbage")
    with pytest.raises(PolicyError, match="corrupt"):
        load_policy(folder)


def test_cli_train_then_play_and_refuse_foreign_policy(tmp_path, model_dir, capsys):
    """autoplay train on a generated dataset and a recording; play --autoplay writes a GIF; a policy
    trained for another model is refused with exit status 1 and a message naming both models."""
    from genie_studio.data.generate import generate_dataset
    from genie_studio.recording import Recorder
    from genie_studio.session.world_session import WorldSession

    data = generate_dataset(tmp_path / "data", episodes=2, resolution=(16, 16), episode_len=12, progress=False)
    sess = WorldSession(model_dir, precision="fp32", seed=0)
    prompt = np.full((16, 16, 3), 240, np.uint8)
    rec = Recorder.for_session(sess, tmp_path / "rec", prompt)
    for a in [2, 2, 3, 0, 1, 2, 2, 2]:
        rec.step(a)
    rec.close()
    pol = tmp_path / "policy"
    assert main(["autoplay", "train", str(data), str(tmp_path / "rec"), "--model", str(model_dir), "--out", str(pol),
                 "--steps", "20", "--batch", "8", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    kinds = {i["kind"]: i for i in summary["inputs"]}
    assert kinds["dataset"]["transitions"] == 2 * 11 and kinds["dataset"]["labels"].startswith("latent actions")
    assert kinds["recording"]["labels"] == "recorded latent actions" and kinds["recording"]["transitions"] == 8
    gif = tmp_path / "clip.gif"
    assert main(["play", str(tmp_path / "rec" / "prompt.png"), "--model", str(model_dir), "--autoplay", str(pol),
                 "--length", "5", "--out", str(gif)]) == 0
    assert "autoplay:" in capsys.readouterr().out
    from PIL import Image

    assert Image.open(gif).n_frames == 6

    other = tmp_path / "other-model"
    save_world(tiny_world(seed=3), other)
    assert main(["play", str(tmp_path / "rec" / "prompt.png"), "--model", str(other), "--autoplay", str(pol),
                 "--length", "2", "--out", str(tmp_path / "x.gif")]) == 1
    err = capsys.readouterr().err
    assert "belongs to model 'tiny-test'" in err and "autoplay train" in err and not (tmp_path / "x.gif").exists()


def test_policies_are_found_next_to_their_model(tmp_path, model_dir):
    d = tmp_path / "model"
    shutil.copytree(model_dir, d)
    from genie_studio.world.bundle import load_model

    wm = load_model(d)
    assert find_policies(wm) == []
    _policy_for(wm, d / "policies" / "mine")
    _policy_for(tiny_world(seed=5), d / "policies" / "foreign")
    assert [p.name for p in find_policies(wm)] == ["mine"]
