"""Progress bars (tqdm): live only on a terminal, never on stdout, right rate and ETA after a resume."""

import io
import json

from genie_studio.progress import describe, progress_bar


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_quiet_when_not_a_terminal_or_disabled():
    plain = io.StringIO()
    with progress_bar(10, "x", file=plain) as bar:
        bar.update(10)
    assert plain.getvalue() == ""
    tty = Tty()
    with progress_bar(10, "x", file=tty, enabled=False) as bar:  # what commands pass under --json
        bar.update(10)
    assert tty.getvalue() == ""
    with progress_bar(10, "work", file=tty, unit="step") as bar:
        bar.update(10)
    assert "work" in tty.getvalue() and "10/10" in tty.getvalue() and "step/s" in tty.getvalue()


def test_eta_after_resume_counts_only_this_runs_steps():
    # 90 of 100 steps were done before the resume; 5 more took 5 s: 1 step/s, 5 steps left -> 5 s
    text = describe(95, 100, 5.0, unit="step", initial=90)
    assert "1.00step/s" in text and "<00:05" in text
    bar = progress_bar(100, "t", file=Tty(), unit="step", initial=90)
    assert bar.n == 90
    bar.close()


def test_training_bar_shows_loss_and_rate_and_resumes_at_its_step(tmp_path, monkeypatch):
    import sys

    from genie_studio.data.generate import generate_dataset
    from genie_studio.train.loop import train_component

    over = {"arch": {"patch": 4, "dim": 16, "enc_depth": 1, "dec_depth": 1, "heads": 2, "codebook": 16,
                     "latent": 8, "temporal": False}, "batch": 1, "clip_len": 1, "warmup": 1}
    data = generate_dataset(tmp_path / "ds", 1, ("sketch",), resolution=(32, 32), episode_len=4, progress=False)
    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    train_component("tokenizer", [data], tmp_path / "m", max_steps=2, overrides=over, ckpt_every=2, log_every=1)
    first = tty.getvalue()
    assert "train tokenizer" in first and "loss=" in first and "step/s" in first
    tty.seek(0)
    tty.truncate()
    train_component("tokenizer", [data], tmp_path / "m", max_steps=4, overrides=over, ckpt_every=2, log_every=1,
                    resume=True)
    assert "2/4" in tty.getvalue() and "4/4" in tty.getvalue()  # starts where the checkpoint was
    meta = json.loads((tmp_path / "m" / "config.json").read_text())
    assert not any(d["path"].startswith("/") for d in meta["training"]["tokenizer"]["data"])
