"""Palette, levels, physics, agent and renderers."""

import numpy as np
import pytest

from genie_studio.data import palette
from genie_studio.data.agent import ExplorerAgent
from genie_studio.data.level import GROUND, ROWS, TILE, generate_level
from genie_studio.data.platformer import ACTIONS, FP, JUMP_V, MAX_FALL, PH, Game
from genie_studio.data.render import Renderer, make_episode, make_game, render_level_image, wide_width


def test_palette_json_matches_module():
    assert palette.load_json() == palette.PALETTE
    assert list(palette.PALETTE) == ["background", "ground", "platform", "hazard", "collectible",
                                     "player", "enemy", "goal"]


def test_classify_and_mask():
    px = np.array([[palette.PALETTE[n] for n in palette.NAMES] + [(0, 255, 0)]], np.uint8)
    assert palette.classify(px).tolist() == [list(range(8)) + [-1]]
    near = np.array([[[0x1F + 10, 0x6F - 10, 0xEB]]], np.uint8)
    assert palette.mask(near, "player").all() and not palette.mask(near, "enemy").any()


def test_levels_are_8_rows_and_varied():
    for seed in range(5):
        lv = generate_level(seed)
        assert lv.tiles.shape[0] == ROWS and 100 <= lv.cols <= 200
        assert any(lv.ground_top(c) is None for c in range(lv.cols))  # pits exist
        assert lv.checkpoints and lv.ground_top(lv.checkpoints[0]) is not None


def _flat_level(cols=30, height=1):
    from genie_studio.data.level import Level

    t = np.zeros((ROWS, cols), np.int8)
    t[ROWS - height :, :] = GROUND
    return Level(tiles=t, checkpoints=[1])


def test_no_tunnelling_at_max_fall_speed():
    lv = _flat_level()
    g = Game(lv)
    for y0 in range(0, 40):  # every phase of sub-unit position
        g.x, g.y, g.vy, g.alive = 8, y0 * FP + 3, MAX_FALL, True
        for _ in range(20):
            g.step(0)
            assert g.y // FP + PH <= (ROWS - 1) * TILE
        assert g.on_ground() and g.y == ((ROWS - 1) * TILE - PH) * FP


def test_jump_height_bounded_and_x_multiple_of_4():
    g = Game(_flat_level())
    y0 = g.y
    apex = y0
    for t in range(40):
        g.step(5 if t < 30 else 0)
        apex = min(apex, g.y)
        assert g.x % 4 == 0 and g.camera_x() % 4 == 0
    height = (y0 - apex) / FP
    assert 2 * TILE < height <= 3 * TILE
    assert JUMP_V > 0


def _apex(hold: int) -> float:
    """Height in units of a jump whose button is held ``hold`` frames (then let go) on flat ground."""
    g = Game(_flat_level())
    y0 = apex = g.y
    for t in range(40):
        g.step(3 if t < hold else 0)
        apex = min(apex, g.y)
    return (y0 - apex) / FP


def test_jump_height_is_variable_and_every_held_frame_shows():
    """A tap hops under a tile, a held jump climbs about 2.8 tiles, and the height grows with the hold:
    while the player rises, jump and noop lead to different frames (what the LAM must see, #25)."""
    heights = [_apex(h) for h in (1, 3, 6, 30)]
    assert heights[0] < TILE and heights[-1] > 2 * TILE, heights
    assert all(a < b for a, b in zip(heights, heights[1:])), heights
    held, let_go = Game(_flat_level()), Game(_flat_level())
    for h in (held, let_go):
        h.step(3)
    held.step(3)
    let_go.step(0)
    assert held.y < let_go.y  # the held jump is higher one frame later


def test_pit_kills_and_respawns():
    lv = _flat_level()
    lv.tiles[:, 5:9] = 0
    g = Game(lv)
    for _ in range(20):
        g.step(2)
    assert g.deaths >= 1
    for _ in range(10):
        g.step(0)
    assert g.alive


def test_agent_explores_and_camera_follows():
    explored = 0
    for seed in range(6):
        game, _ = make_game(seed, start="start")
        agent = ExplorerAgent(seed)
        lo = hi = game.x
        for _ in range(200):
            game.step(agent.act(game))
            lo, hi = min(lo, game.x), max(hi, game.x)
            assert game.camera_x() % 4 == 0
        explored += hi - lo > 8 * TILE
    assert explored >= 5


def test_action_balance():
    """Each intent is a clear share of the frames, plain runs are not crowded out by reflex hops, and
    left and right come out about equally often (a 2:1 bias taught the dynamics model to ignore "left")."""
    counts = np.zeros(len(ACTIONS))
    grounded_runs = runs = 0
    for seed in range(40):
        game, _ = make_game(seed)
        agent = ExplorerAgent(seed)
        for _ in range(63):
            a = agent.act(game)
            counts[a] += 1
            if a in (1, 2):
                runs += 1
                grounded_runs += game.alive and game.on_ground()
            game.step(a)
    frac = counts / counts.sum()
    assert frac[0] >= 0.15, frac  # standing still
    assert frac[1] >= 0.18 and frac[2] >= 0.18, frac  # plain runs
    assert frac[3:].sum() >= 0.09 and (frac[3:] >= 0.025).all(), frac  # jumps, in place and running
    assert grounded_runs / runs >= 0.4, grounded_runs / runs
    left, right = frac[1] + frac[4], frac[2] + frac[5]
    assert 0.75 < left / right < 1.33, frac


@pytest.mark.parametrize("style", ["sketch", "pixel", "chalk"])
def test_episode_determinism_and_shapes(style):
    f1, a1, p1 = make_episode(7, style, (64, 64), 12)
    f2, a2, p2 = make_episode(7, style, (64, 64), 12)
    assert f1.shape == (12, 64, 64, 3) and f1.dtype == np.uint8
    assert f1.tobytes() == f2.tobytes() and (a1 == a2).all() and np.array_equal(p1, p2, equal_nan=True)
    assert a1[-1] == -1


def test_resolutions():
    assert wide_width(64) == 112
    for res in [(64, 64), (64, 112), (128, 128), (32, 32)]:
        img = render_level_image(3, "sketch", res)
        assert img.shape == (*res, 3)


def test_scroll_shifts_whole_frame_exactly():
    game, lv = make_game(11, start="start")
    ren = Renderer(lv, "sketch", (64, 64), 11)
    game.enemies, game.alive = [], False  # level only
    game.x = 20 * TILE
    a = ren.frame(game).copy()
    cam = game.camera_x()
    game.x += 4
    b = ren.frame(game)
    assert game.camera_x() == cam + 4
    assert np.array_equal(b[:, :-4], a[:, 4:])  # paper texture included


def test_sketch_player_pixels_classify_as_player():
    game, lv = make_game(5, start="start")
    for style in ("sketch", "chalk", "pixel"):
        ren = Renderer(lv, style, (64, 64), 5)
        for pose, sp in ren.assets.player.items():
            px = sp.rgb[sp.mask[..., 0]]
            cls = palette.classify(px)
            assert len(px) >= 12, (style, pose)
            assert (cls == palette.NAMES.index("player")).mean() > 0.6, (style, pose)
