import json
import os
import shutil
import socket

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

from genie_studio.data.generate import generate_dataset
from genie_studio.train.checkpoint import CheckpointError
from genie_studio.train.loop import train_component
from genie_studio.world.bundle import BundleError, load_model

torch.set_num_threads(1)

TINY = {
    # the ST-ViViT tokenizer ("vit"): the loop's tests below compare weights across processes and resumes;
    # the conv tokenizer (the tiny preset's) is covered by the resume test too
    "tokenizer": {"arch": {"arch": "vit", "patch": 4, "dim": 32, "enc_depth": 1, "dec_depth": 1, "heads": 2,
                           "codebook": 32, "latent": 8, "temporal": False}, "batch": 2, "clip_len": 1, "warmup": 2},
    "lam": {"arch": {"patch": 8, "dim": 32, "enc_depth": 1, "dec_depth": 1, "heads": 2, "num_actions": 4,
                     "latent": 8, "conv_width": 8}, "batch": 2, "clip_len": 3, "warmup": 2},
    "dynamics": {"arch": {"dim": 32, "depth": 1, "heads": 2, "context": 3}, "batch": 2, "clip_len": 3,
                 "warmup": 2},
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return generate_dataset(tmp_path_factory.mktemp("d") / "ds", episodes=3, styles=("sketch",), seed=5,
                            resolution=(32, 32), episode_len=12, progress=False)


def _train(component, data, out, steps, resume=False, **kw):
    return train_component(component, [data], out, max_steps=steps, resume=resume, progress=False,
                           overrides=TINY[component], ckpt_every=kw.pop("ckpt_every", 2), **kw)


def _weights(out, component):
    return load_file(str(out / ".train" / component / "model.safetensors"))


def test_train_all_stages_make_a_loadable_model(data, tmp_path):
    out = tmp_path / "m"
    for c in ("tokenizer", "lam", "dynamics"):
        summary = _train(c, data, out, 3)
        assert summary["steps"] == 3
    wm = load_model(out)
    assert wm.dynamics.cfg.vocab == 32 and wm.dynamics.cfg.num_actions == 4
    assert (out / "train-dynamics.jsonl").read_text().count("tflops") >= 1
    assert set(wm.meta["training"]) == {"tokenizer", "lam", "dynamics"}


@pytest.mark.parametrize("arch", ["vit", "conv"])
def test_resume_continues_exactly(data, tmp_path, arch):
    straight, resumed = tmp_path / "a", tmp_path / "b"
    over = {**TINY["tokenizer"], "arch": {**TINY["tokenizer"]["arch"], "arch": arch, "conv_width": 8}}
    train_component("tokenizer", [data], straight, max_steps=4, progress=False, overrides=over, ckpt_every=2)
    train_component("tokenizer", [data], resumed, max_steps=2, progress=False, overrides=over, ckpt_every=2)
    (resumed / "tokenizer.safetensors").unlink()  # an interrupted run: checkpoint at step 2
    summary = train_component("tokenizer", [data], resumed, max_steps=4, resume=True, progress=False,
                              overrides=over, ckpt_every=2)
    assert summary["steps"] == 4
    a, b = _weights(straight, "tokenizer"), _weights(resumed, "tokenizer")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_corrupt_checkpoint_and_bundle_fail_clearly(data, tmp_path):
    out = tmp_path / "m"
    _train("tokenizer", data, out, 2)
    opt = out / ".train" / "tokenizer" / "optim.safetensors"
    opt.write_bytes(opt.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="cannot resume"):
        _train("tokenizer", data, out, 4, resume=True)
    w = out / "tokenizer.safetensors"
    data_ = w.read_bytes()
    w.write_bytes(data_[: len(data_) // 2])
    with pytest.raises(BundleError, match="tokenizer.safetensors.*corrupt or truncated"):
        load_model(out, components=("tokenizer",))
    w.write_bytes(b"not a safetensors file at all")
    with pytest.raises(BundleError, match="tokenizer.safetensors"):
        load_model(out, components=("tokenizer",))
    meta = json.loads((out / "config.json").read_text())
    meta["components"]["tokenizer"]["dim"] = 64
    (out / "config.json").write_text(json.dumps(meta))
    w.write_bytes(data_)
    with pytest.raises(BundleError, match="tokenizer.safetensors.*shape"):
        load_model(out, components=("tokenizer",))
    (out / "config.json").write_text('{"format": "genie-studio-model", "version": 7}')
    with pytest.raises(BundleError, match="version 7"):
        load_model(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank, world, port, data, out):
    os.environ.update({"RANK": str(rank), "WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1",
                       "MASTER_PORT": str(port), "LOCAL_RANK": str(rank)})
    torch.set_num_threads(1)
    over = {**TINY["tokenizer"], "batch": 1}
    train_component("tokenizer", [data], out, max_steps=2, progress=False, overrides=over, ckpt_every=2,
                    precision="fp32")
    torch.distributed.destroy_process_group()


def test_two_process_gloo_ddp_matches_one_process(data, tmp_path):
    one = tmp_path / "one"
    train_component("tokenizer", [data], one, max_steps=2, progress=False, ckpt_every=2,
                    overrides={**TINY["tokenizer"], "batch": 2}, precision="fp32")
    two = tmp_path / "two"
    mp.start_processes(_ddp_worker, args=(2, _free_port(), str(data), str(two)), nprocs=2, join=True,
                       start_method="spawn")
    a, b = _weights(one, "tokenizer"), _weights(two, "tokenizer")
    params = [k for k in a if not k.endswith("usage")]  # usage is a per-rank statistic, not a parameter
    assert len(params) > 10
    for k in params:
        assert torch.allclose(a[k], b[k], atol=1e-5), k


def test_a_time_budget_fits_the_run_and_a_resume_keeps_its_length(data, tmp_path):
    from genie_studio.train.loop import BUDGET_PROBE

    out = tmp_path / "m"
    # a budget far below one probe's time: the run ends right after the probe, with its whole schedule
    s = train_component("tokenizer", [data], out, progress=False, overrides=TINY["tokenizer"], ckpt_every=5,
                        time_budget_s=1e-6)
    assert s["steps"] == BUDGET_PROBE < 1800  # the preset's length
    log = [json.loads(x) for x in (out / "train-tokenizer.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == BUDGET_PROBE and log[-1]["eta_s"] == 0 and log[-1]["steps_per_s"] > 0
    again = train_component("tokenizer", [data], out, resume=True, progress=False, overrides=TINY["tokenizer"])
    assert again["steps"] == BUDGET_PROBE  # resumed: the length the run was given, not the preset's


def test_init_warm_starts_matching_weights_and_a_new_lam_gets_fresh_action_embeddings(data, tmp_path):
    """--init copies a model's weights where names and shapes match; a draft dynamics model gains a camera
    head that starts fresh, and the action embedding starts fresh when the LAM is not the same."""
    from genie_studio.world.bundle import read_weights

    base = tmp_path / "base"
    for c in ("tokenizer", "lam", "dynamics"):
        _train(c, data, base, 2)
    same, other = tmp_path / "same", tmp_path / "other"
    for out in (same, other):
        shutil.copytree(base, out, ignore=shutil.ignore_patterns(".train", "dynamics.safetensors"))
    _train("lam", data, other, 1, seed=3)  # a new LAM: its codes mean something else
    before = read_weights(base / "dynamics.safetensors")
    draft = {**TINY["dynamics"], "arch": {**TINY["dynamics"]["arch"], "draft": True}, "lr": 0.0}
    for out in (same, other):
        s = train_component("dynamics", [data], out, max_steps=1, progress=False, overrides=draft, init=str(base))
        after = read_weights(out / "dynamics.safetensors")
        assert s["init"]["tensors"] == s["init"]["of"] - (3 if out == other else 2)  # camera head (+ act_emb)
        assert "camera.weight" in after and torch.equal(after["head.weight"], before["head.weight"])
        assert torch.equal(after["act_emb.weight"], before["act_emb.weight"]) == (out == same)
    with pytest.raises(FileNotFoundError, match="--init"):
        train_component("dynamics", [data], same, max_steps=1, progress=False, overrides=TINY["dynamics"],
                        init=str(tmp_path))
