"""Dataset format, generation, loader, import, CLI and probe."""

import json

import numpy as np
import pytest

from genie_studio.data.dataset import ClipDataset, ClipLoader
from genie_studio.data.generate import generate_dataset
from genie_studio.data.probe import level_shift, player_motion, player_position
from genie_studio.data.render import make_episode


@pytest.fixture(scope="module")
def ds_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "d"
    return generate_dataset(out, 6, ["sketch", "pixel", "chalk"], seed=3, episode_len=20, progress=False)


def test_generate_reader(ds_path):
    ds = ClipDataset(ds_path)
    m = json.loads((ds_path / "manifest.json").read_text())
    assert m["resolution"] == [64, 64] and m["fps"] == 15 and m["episodes"] == 6 and m["frames"] == 120
    assert len(ds) == 6 and ds.resolution == (64, 64) and ds.has_labels
    ep = ds.episode(2)
    assert ep.shape == (20, 64, 64, 3) and ep.dtype == np.uint8 and isinstance(ep, np.memmap)
    assert ds.actions(2).dtype == np.int64 and ds.actions(2)[-1] == -1
    assert ds.positions(2).shape == (20, 2)
    assert not list(ds_path.glob("**/*.tmp"))


def test_generate_byte_identical_across_workers(tmp_path, ds_path):
    b = generate_dataset(tmp_path / "b", 6, ["sketch", "pixel", "chalk"], seed=3, episode_len=20,
                         workers=2, progress=False)
    for f in ["frames-00000.npy", "index.npy", "labels/actions-00000.npy", "labels/positions-00000.npy"]:
        assert (ds_path / f).read_bytes() == (b / f).read_bytes(), f
    with pytest.raises(FileExistsError):
        generate_dataset(b, 1, ["pixel"], seed=3, progress=False)


def test_loader_shapes_seed_resume_and_ranks(ds_path):
    ds = ClipDataset(ds_path)
    mk = lambda **kw: ClipLoader([ds], clip_len=8, batch_size=4, seed=1, **kw)  # noqa: E731
    l1, l2 = mk(), mk()
    b = next(l1)
    assert b["frames"].shape == (4, 8, 64, 64, 3) and b["actions"].shape == (4, 8)
    assert b["actions"].dtype == np.int64 and b["frames"].dtype == np.uint8
    assert np.array_equal(b["frames"], next(l2)["frames"])
    next(l1)
    state = json.loads(json.dumps(l1.state_dict()))
    want = next(l1)
    l3 = mk()
    l3.load_state_dict(state)
    assert np.array_equal(next(l3)["frames"], want["frames"])
    # 2 ranks of batch 2 together see what 1 rank of batch 4 sees
    one = next(ClipLoader([ds], 8, 4, seed=5))
    r0 = next(ClipLoader([ds], 8, 2, seed=5, rank=0, world_size=2))
    r1 = next(ClipLoader([ds], 8, 2, seed=5, rank=1, world_size=2))
    assert np.array_equal(np.concatenate([r0["frames"], r1["frames"]]), one["frames"])
    assert np.array_equal(np.concatenate([r0["actions"], r1["actions"]]), one["actions"])
    # a clip is consecutive frames of one episode
    d, ep, off = ClipLoader([ds], 8, 4, seed=5).draw(0)[0]
    assert np.array_equal(one["frames"][0], ds.episode(ep)[off : off + 8])
    with pytest.raises(ValueError):
        ClipLoader([ds], clip_len=50, batch_size=1, seed=0)


def _write_mp4(path, n=30, fps=30, size=(96, 72)):
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=fps)
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(n):
            img = np.zeros((size[1], size[0], 3), np.uint8)
            img[:, (i * 3) % size[0]] = 255
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


def test_import_mp4_png_folder_and_corrupt(tmp_path):
    from PIL import Image

    from genie_studio.data.video_import import import_videos

    mp4 = tmp_path / "a.mp4"
    _write_mp4(mp4, n=30, fps=30)
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i in range(5):
        Image.new("RGB", (40, 30), (i * 40, 0, 0)).save(folder / f"{i:03d}.png")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00not a video" * 50)
    rep = import_videos([mp4, folder, bad], tmp_path / "imp", (64, 64), fps=15, progress=False)
    assert rep.imported == [str(mp4), str(folder)]
    assert len(rep.skipped) == 1 and rep.skipped[0][0] == str(bad) and "cannot read" in rep.skipped[0][1]
    ds = ClipDataset(tmp_path / "imp")
    assert not ds.has_labels and ds.actions(0) is None
    assert len(ds.episode(0)) == 15  # 30 frames at 30 fps -> 15 at 15 fps
    assert ds.episode(1).shape == (5, 64, 64, 3)
    b = next(ClipLoader([ds], 4, 2, seed=0))
    assert (b["actions"] == -1).all()


def test_cli_generate_info_import(tmp_path, capsys):
    from genie_studio.cli import main

    out = tmp_path / "g"
    assert main(["data", "generate", "--out", str(out), "--episodes", "2", "--style", "pixel",
                 "--episode-len", "8"]) == 0
    capsys.readouterr()
    assert main(["data", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["episodes"] == 2 and info["frames"] == 16 and sum(info["action_histogram"].values()) == 14
    assert main(["data", "generate", "--out", str(out), "--episodes", "1"]) == 1
    assert main(["data", "generate", "--out", str(tmp_path / "x"), "--episodes", "1", "--style", "nope"]) == 1
    bad = tmp_path / "bad.gif"
    bad.write_bytes(b"GIF89a broken")
    mp4 = tmp_path / "a.mp4"
    _write_mp4(mp4, n=6)
    assert main(["data", "import", str(mp4), str(bad), "--out", str(tmp_path / "i")]) == 3
    assert "skipped" in capsys.readouterr().err
    assert main(["data", "info", str(tmp_path / "nothing")]) == 1


def test_probe_on_generated_episodes():
    errs, right_motion, shifts_ok, n_shift = [], [], 0, 0
    for seed in range(6):
        frames, actions, pos = make_episode(100 + seed, "sketch", (64, 64), 40)
        for t in range(len(frames)):
            p = player_position(frames[t])
            if np.isnan(pos[t, 0]):
                continue
            assert p is not None
            errs.append(np.hypot(p[0] - pos[t, 0], p[1] - pos[t, 1]))
        motion = player_motion(frames)
        for t in range(len(frames) - 1):
            gt = pos[t + 1] - pos[t]
            if np.isnan(gt).any() or np.isnan(motion[t]).any():
                continue
            if actions[t] in (2, 5):
                right_motion.append(motion[t, 0])
        for t in range(0, len(frames) - 1, 3):
            n_shift += 1
            s = level_shift(frames[t], frames[t + 1])
            shifts_ok += s in (0, 4, -4)
    assert np.median(errs) < 1.5 and np.percentile(errs, 95) < 3.0
    assert np.sum(right_motion) > 2.0 * len(right_motion)
    assert shifts_ok / n_shift > 0.95
    assert player_position(np.full((64, 64, 3), 244, np.uint8)) is None
