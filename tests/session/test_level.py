"""The drawing is the level: the strip fit, the level memory, the copy-first plan and the "copy" decoder."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from genie_studio.data.palette import PALETTE
from genie_studio.session.level import LevelMemory, build_memory, dynamic_tokens, erase, plan_frame
from genie_studio.session.prompt import fit_prompt, fit_strip
from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.scroll import shift_cols
from genie_studio.world.tiny import tiny_world

torch.set_num_threads(1)


def _level(width=1024, height=128, player_x=40):
    """A level drawn several views wide: ground, the player near the left end, coins and enemies further on."""
    img = Image.new("RGB", (width, height), PALETTE["background"])
    d = ImageDraw.Draw(img)
    d.rectangle([0, height - 16, width, height], fill=PALETTE["ground"])
    d.rectangle([player_x, height - 40, player_x + 8, height - 17], fill=PALETTE["player"])
    for x in range(200, width, 160):
        d.ellipse([x, height - 60, x + 10, height - 50], fill=PALETTE["collectible"])
        d.rectangle([x + 60, height - 26, x + 72, height - 17], fill=PALETTE["enemy"])
    return img


def test_the_strip_is_the_whole_drawing_with_the_prompt_as_its_first_view():
    img = _level()
    strip, x = fit_strip(img, (64, 64))
    assert strip.shape[0] == 64 and strip.shape[1] % 4 == 0 and x % 4 == 0
    # the player is drawn 24 px tall; at the training height (34/256 of the view) the level is
    # 1024 * (64 * 34 / 256) / 24 px wide at the model's scale
    assert abs(strip.shape[1] - 1024 * 64 * 34 / 256 / 24) <= 4
    view = strip[:, x:x + 64]
    prompt = fit_prompt(img, (64, 64))
    assert np.abs(view.astype(int) - prompt.astype(int)).mean() < 8  # the same framing, to a column's snap
    # a drawing no wider than the view has no memory beyond it
    small, x0 = fit_strip(img.crop((0, 0, 128, 128)), (64, 64))
    assert small.shape[1] == 64 and x0 == 0


def test_absurd_aspect_ratios_keep_a_bounded_strip():
    strip, x = fit_strip(Image.new("RGB", (20000, 2), PALETTE["background"]), (64, 64), max_screens=4)
    assert strip.shape == (64, 256, 3) and 0 <= x <= 192


def test_erase_paints_the_moving_things_as_paper():
    strip, _ = fit_strip(_level(), (64, 64))
    out = erase(strip)
    assert dynamic_tokens(strip, 4).any() and not dynamic_tokens(out, 4).any()
    coin = np.array(PALETTE["collectible"])
    assert (out == coin).all(-1).sum() == (strip == coin).all(-1).sum()  # the still drawing is untouched


def _memory(C=6, hw=(8, 8), seed=0):
    g = torch.Generator().manual_seed(seed)
    full = torch.randint(0, 30, (C, hw[0] * hw[1]), generator=g)
    still = full.clone()
    still[:, 0] = 31  # the still level differs from the full one (an enemy erased) in one cell
    return LevelMemory(np.zeros((hw[0] * 4, (hw[1] + C - 1) * 4, 3), np.uint8), 1, full, still, 4, hw)


def test_the_plan_follows_the_models_guess_of_the_camera_and_opens_only_around_what_moves():
    mem = _memory()
    region = np.zeros((8, 8), bool)
    region[5, 2] = True  # the player
    guess = mem.still[3]  # the model's guess shows the level one column further right
    plan = plan_frame(mem, 2, mem.still[2], region, guess, torch.ones(64), mask_id=32)
    assert plan.camera == 3
    opened = plan.open.view(8, 8)
    assert opened[5, 2] and opened[2, 0] and opened[7, 4]  # around the player, where it may go in a frame
    assert not opened[:2].any() and not opened[:, 6:].any()  # and nowhere else
    draft = plan.draft.view(8, 8)
    assert torch.equal(draft[:, 7], mem.full[3].view(8, 8)[:, 7])  # the column entering the view: full level
    assert torch.equal(draft[:, :7], mem.still[3].view(8, 8)[:, :7])  # the rest: the still level
    # no vote (the guess matches no candidate where they differ): the camera stays
    assert plan_frame(mem, 2, mem.still[2], region, torch.full((64,), 30), None, 32).camera == 2


def test_the_camera_stops_at_the_drawings_ends_unless_endless():
    mem = _memory()
    region = np.zeros((8, 8), bool)
    guess = shift_cols(mem.still[5].view(8, 8), 1, 0).flatten()  # "further right" past the last view
    assert plan_frame(mem, 5, mem.still[5], region, guess, None, 32).camera == 5
    # endless: past the end the previous frame moves with the camera and the entering column is open
    prev = mem.still[5]
    plan = plan_frame(mem, 5, prev, region, shift_cols(prev.view(8, 8), 1, 0).flatten(), None, 32, endless=True)
    assert plan.camera == 6
    assert plan.open.view(8, 8)[:, 7].all()
    assert torch.equal(plan.draft.view(8, 8)[:, :7], prev.view(8, 8)[:, 1:])


def test_memory_holds_the_view_at_every_camera_column():
    wm = tiny_world()
    strip, x = fit_strip(_level(), (16, 16))
    mem = build_memory(wm.tokenizer, strip, x, "cpu", torch.no_grad)
    assert mem.full.shape == ((strip.shape[1] - 16) // 4 + 1, 16) and mem.start == x // 4
    with torch.no_grad():
        c = mem.cameras // 2
        v = torch.from_numpy(erase(strip, ("player",))[:, 4 * c:4 * c + 16].copy()).float().div(255)
        assert torch.equal(mem.full[c], wm.tokenizer.encode(v[None, None])[0, 0])


def test_the_copy_decoder_keeps_the_drawing_outside_what_moves():
    s = WorldSession(tiny_world(size=(32, 32)), precision="fp32", seed=4, decoder="copy")
    first = s.reset(_level())
    assert s.level is not None and s.level.cameras > 1
    assert np.array_equal(first, s.frame)
    for a in [2, 2, 2, 1, 0, 2, 2, 3]:
        prev = s.history[-1]
        s.step(a)
        new = s.history[-1]
        assert 0 <= new.camera < s.level.cameras and abs(new.camera - prev.camera) <= 1
        fixed = ~new.opened
        assert fixed.any()
        level = s.level.still[new.camera].clone()
        if new.camera != prev.camera:  # the entering column shows the full drawing
            col = 7 if new.camera > prev.camera else 0
            level.view(8, 8)[:, col] = s.level.full[new.camera].view(8, 8)[:, col]
        assert torch.equal(new.tokens[fixed], level[fixed])


def test_copy_sessions_rewind_fork_and_batch_exactly():
    wm = tiny_world(size=(32, 32))
    a = WorldSession(wm, precision="fp32", seed=2, decoder="copy")
    b = WorldSession(wm, precision="fp32", seed=2, decoder="copy")
    a.reset(_level())
    b.reset(_level())
    acts = [2, 2, 1, 2, 2, 0]
    for act in acts:
        a.step(act)
    c = WorldSession(wm, precision="fp32", seed=9, decoder="copy")
    c.reset(_level(player_x=300))
    for act in acts:  # batched with another session at another place in another level
        step_many([b, c], [act, 1])
    assert [f.camera for f in a.history] == [f.camera for f in b.history]
    assert all(torch.equal(x.tokens, y.tokens) for x, y in zip(a.history, b.history))
    f = a.fork()
    f.step(2)
    a.step(2)
    assert [x.camera for x in f.history] == [x.camera for x in a.history]
    assert torch.equal(f.history[-1].tokens, a.history[-1].tokens)
    acts.append(2)
    cams = [f.camera for f in a.history]
    a.rewind(3)
    assert a.history[-1].camera == cams[-4]
    for act in acts[-3:]:
        a.step(act)
    assert [f.camera for f in a.history] == cams


def test_an_unknown_decoder_is_refused():
    with pytest.raises(ValueError, match="decoder"):
        WorldSession(tiny_world(), decoder="magic")


def test_the_camera_follows_the_player_when_the_guess_does_not_scroll():
    mem = _memory()
    region = np.zeros((8, 8), bool)
    region[5, 6] = True
    still = mem.still[2]  # the guess keeps the level where it was
    plan = plan_frame(mem, 2, still, region, still, None, 32, player_col=6.5)  # right of the centre
    assert (plan.camera, plan.guess_shift) == (3, 1)
    assert plan_frame(mem, 2, still, region, still, None, 32, player_col=4.2).camera == 2  # near the centre
    assert plan_frame(mem, 0, mem.still[0], region, mem.still[0], None, 32, player_col=0.5).camera == 0  # the end


def test_a_new_decoder_applies_from_the_next_reset():
    s = WorldSession(tiny_world(size=(32, 32)), precision="fp32", seed=1)
    s.reset(_level())
    s.step(2)
    s.decoder = "copy"  # the editor's knob, mid-play
    s.step(2)
    assert s.level is None and s.history[-1].opened is None  # still the free decoder
    s.reset(_level())
    s.step(2)
    assert s.level is not None and s.history[-1].opened is not None
    s.decoder = "free"
    s.step(1)
    assert s.history[-1].opened is not None  # the level stays until the next reset


def _draft_world(shift: int):
    """A tiny model trained on drafts whose camera head always says ``shift``."""
    wm = tiny_world(size=(32, 32), draft=True)
    with torch.no_grad():
        wm.dynamics.camera.weight.zero_()
        wm.dynamics.camera.bias.copy_(torch.tensor([0.0, 0.0, 0.0]))
        wm.dynamics.camera.bias[shift + 1] = 5.0
    return wm


def test_a_draft_model_scrolls_by_its_camera_head_and_edits_the_draft():
    """Copy-first with a model trained on drafts: the camera head moves the view (stopping at the
    drawing's end), and cached and uncached runs agree."""
    wm = _draft_world(+1)
    runs = []
    for cached in (True, False):
        s = WorldSession(wm, precision="fp32", seed=4, decoder="copy", cached=cached)
        s.reset(_level(width=192))
        for _ in range(12):
            prev = s.history[-1]
            s.step(2)
            new = s.history[-1]
            assert new.camera == min(prev.camera + 1, s.level.cameras - 1)
            assert not (new.tokens == wm.dynamics.mask_id).any()
        runs.append(s)
    assert runs[0].history[-1].camera == runs[0].level.cameras - 1  # it stopped at the drawing's right end
    assert [f.camera for f in runs[0].history] == [f.camera for f in runs[1].history]
    same = torch.stack([x.tokens == y.tokens for x, y in zip(runs[0].history, runs[1].history)]).float().mean()
    assert same > 0.98  # a random model's near-uniform logits may round one token differently
    back = WorldSession(_draft_world(-1), precision="fp32", seed=4, decoder="copy")
    back.reset(_level(width=192))
    back.step(1)
    assert back.history[-1].camera == back.history[0].camera - 1 or back.history[0].camera == 0


def test_draft_plan_and_edit_decoding():
    from genie_studio.session.level import draft_plan
    from genie_studio.world.maskgit import decode_edits

    strip = torch.randint(0, 50, (8, 13), generator=torch.Generator().manual_seed(0))
    full = torch.stack([strip[:, c:c + 8].flatten() for c in range(6)])  # the views of a drawn level
    mem = LevelMemory(np.zeros((32, 52, 3), np.uint8), 1, full, full.clone(), 4, (8, 8))
    region = np.zeros((8, 8), bool)
    plan = draft_plan(mem, 2, full[2], region, torch.tensor([0.0, 0.1, 3.0]), 99)
    assert plan.camera == 3 and torch.equal(plan.draft, full[3]) and not plan.open.any()
    plan = draft_plan(mem, 5, full[5], region, torch.tensor([0.0, 0.1, 3.0]), 99)
    assert plan.camera == 5  # the drawing ends: the next most likely shift the drawing allows
    plan = draft_plan(None, 0, full[0], region, torch.tensor([0.0, 0.1, 3.0]), 99, endless=True)
    assert plan.camera == 1 and plan.open.view(8, 8)[:, -1].all() and plan.open.sum() == 8
    region[4, 4] = True  # the player: the model draws around it, the drawing's still view elsewhere
    plan = draft_plan(mem, 2, full[2], region, torch.tensor([0.0, 0.1, 3.0]), 99)
    grid = plan.open.view(8, 8)
    assert grid[4, 2:6].all() and grid[1:8, 3].all() and not grid[0].any() and not grid[:, 7].any()
    assert torch.equal(plan.draft[~plan.open], full[3][~plan.open])

    draft = full[:1].clone()
    draft[0, :5] = 99  # unknown

    def predict(cur, i, u):  # the model: it fills with 7 and wants token 10 changed, surely; nothing else
        out, conf = cur.clone(), torch.full(cur.shape, 0.3)
        out[cur == 99] = 7
        out[0, 10], conf[0, 10] = 42, 0.9
        return out, conf

    new = decode_edits(predict, draft, 99, 3, [torch.Generator()])
    assert new[0, :5].eq(7).all() and new[0, 10] == 42 and torch.equal(new[0, 11:], draft[0, 11:])
