"""Measure a trained model and write its model card (the library behind ``genie-studio card``).

:func:`measure` builds the report and :func:`write_card` turns a report into MODEL_DIR/README.md:

1. Names the latent actions (``labels.label_actions``) and stores the labels in config.json.
2. Evaluates on held-out datasets (one per style): tokenizer PSNR/SSIM, LAM NMI/accuracy, 16-frame
   autoregressive PSNR, ΔtPSNR at t=4.
3. Runs the control test on the example sketches (levels no training episode came from), a
   64-frame stability test (does the level stay recognisable?) and the world-fidelity suite on the
   held-out drawings (``fidelity.py``) and the revealed level (``revealed.py``) with each decoder on the
   same weights, and the free decoder without the prompt framing.
4. Renders play GIFs from example sketches into a folder (the model folder unless another is named)
   and writes MODEL_DIR/eval.json.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from genie_studio.controls.defaults import idle_index
from genie_studio.data.dataset import ClipDataset
from genie_studio.data.palette import classify
from genie_studio.evaluate.fidelity import evaluate_fidelity, heldout_drawings
from genie_studio.evaluate.labels import control_action, control_test, label_actions
from genie_studio.evaluate.revealed import evaluate_revealed, level_drawings
from genie_studio.evaluate.run import evaluate_model
from genie_studio.fsutil import atomic_write_json, atomic_write_text
from genie_studio.knobs import DECODERS, Knobs
from genie_studio.resources import example_sketches
from genie_studio.session.actions import parse_spec
from genie_studio.session.prompt import fit_prompt
from genie_studio.session.world_session import WorldSession
from genie_studio.world.bundle import load_model, update_meta

CONTROL_REPEATS = 3  # sampling seeds per example sketch in the control test
DECODER_TITLES = {"copy": "keep drawing", "free": "generate all"}
GIF_SPEC = "right*20,right+jump*6,right*10,noop*4,left*12,jump*6,right*6"


def stability(wm, prompts, frames: int = 64, seed: int = 7) -> dict:
    """Palette-recognisable pixels and ground rows after ``frames`` steps of mixed play, vs the prompt."""
    labels = wm.action_labels
    cycle = [a for a in ("right", "right+jump", "left", "noop", "jump") if a in labels] or labels[:1]
    ratios, ground = [], []
    for i, p in enumerate(prompts):
        s = WorldSession(wm, seed=seed + i)
        first = s.reset(p)
        last = first
        for t in range(frames):
            last = s.step(cycle[(t // 8) % len(cycle)])
        c0, c1 = classify(first), classify(last)
        ratios.append(float((c1 >= 0).mean() / max(1e-6, (c0 >= 0).mean())))
        g0 = (c0 == 1).mean() + (c0 == 2).mean()
        g1 = (c1 == 1).mean() + (c1 == 2).mean()
        ground.append(float(g1 / max(1e-6, g0)))
    return {"frames": frames, "palette_pixels_ratio": round(float(np.mean(ratios)), 3),
            "ground_platform_ratio": round(float(np.mean(ground)), 3), "trials": len(prompts)}


def gif_actions(labels: list[str]) -> str:
    """GIF_SPEC with each input replaced by the action the default controls send for it (by index)."""
    parts = []
    for part in GIF_SPEC.split(","):
        name, _, n = part.partition("*")
        index = idle_index(labels) if name == "noop" else control_action(labels, name)
        if index is not None:
            parts.append(f"{index}*{n}")
    return ",".join(parts) or "0*40"


def render_gifs(wm, docs: Path, link_from: Path, n: int = 3) -> list[str]:
    """Play GIFs from the first ``n`` example sketches into ``docs``; returns their links from ``link_from``."""
    from genie_studio.export.base import ExportOptions
    from genie_studio.export.registry import default_registry

    gif = default_registry(load_plugins=False).get("gif")
    docs.mkdir(parents=True, exist_ok=True)
    out = []
    for path in example_sketches()[:n]:
        s = WorldSession(wm, seed=1)
        frames = [s.reset(path)]
        for a in parse_spec(gif_actions(wm.action_labels), wm.action_labels):
            frames.append(s.step(a))
        target = docs / f"play-{path.stem}.gif"
        gif.export(frames, target, ExportOptions(fps=10, scale=4, overwrite=True))
        out.append(Path(os.path.relpath(target.resolve(), Path(link_from).resolve())).as_posix())
    return out


def _fmt(v, nd=2):
    return "n/a" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))


def _pct(v):
    return "n/a" if v is None else f"{v:.0%}"


def _columns(report: dict) -> list[tuple[str, dict, dict | None]]:
    """(heading, fidelity, revealed) per column of the held-out drawing table: each decoder on the same
    weights (framed), then the free decoder without the framing."""
    cols = [(f"{DECODER_TITLES.get(d, d)}", r["fidelity"], r.get("revealed"))
            for d, r in report.get("decoders", {}).items()]
    if not cols and report.get("fidelity"):
        cols = [("framed", report["fidelity"], None)]
    if report.get("fidelity_plain"):
        cols.append(("free, plain fit", report["fidelity_plain"], None))
    return cols


def _fidelity_lines(report: dict) -> list[str]:
    cols = _columns(report)
    if not cols:
        return []
    fr = cols[0][1]
    lines = ["", "## What a designer sees: held-out drawings", "",
             f"{fr['drawings']} drawings that no training level came from (`examples/heldout/`: pencil, marker and "
             f"filled strokes; square, 16:9 and strip canvases, six levels four screens long or more; the player "
             f"4-20% of the image height, in mid-level or at the level's left end), "
             f"{len(fr['seeds'])} sampling seeds each, inputs sent as the default controls send them "
             f"({', '.join(f'{k} -> {v}' for k, v in fr['actions'].items())}). Definitions: "
             "`genie_studio/evaluate/fidelity.py` and `revealed.py`. *Keep drawing*: the copy-first decoder "
             "(the whole drawing is the level; `session/level.py`); *generate all*: every token of every frame "
             "generated; both framed by the prompt policy on the same weights; *plain fit*: fitted by height only.",
             "", "| measure | " + " | ".join(c[0] for c in cols) + " | target |",
             "|---|" + "---|" * len(cols) + "---|"]
    rows = [
        ("object persistence while moving (right, frames 2 and 4)",
         lambda r, v: r["persistence_moving"]["overall"], ">= 0.90", "{:.2f}"),
        ("object persistence while idle (frame 16)", lambda r, v: r["persistence_idle"]["overall"], ">= 0.95",
         "{:.2f}"),
        ("revealed level (right held 32 frames, levels >= 4 screens)", lambda r, v: v["overall"], ">= 0.85",
         "{:.2f}"),
        ("camera advance / the game's", lambda r, v: v["advance_ratio"], "0.9-1.1", "{:.2f}"),
        ("sustained control: right", lambda r, v: r["control"]["right"], ">= 90%", None),
        ("sustained control: left", lambda r, v: r["control"]["left"], ">= 90%", None),
        ("sustained control: jump", lambda r, v: r["control"]["jump"], ">= 90%", None),
        ("control from the level's left end (mean of right, left, jump)",
         lambda r, v: r["by"]["player_at"]["left end"]["control_mean"], ">= 90%", None),
        ("idle keeps the player within 2 px", lambda r, v: r["idle_still_2px"], ">= 90%", None),
        ("right without a hop", lambda r, v: r["no_hop"]["right"], ">= 80%", None),
        ("left without a hop", lambda r, v: r["no_hop"]["left"], ">= 80%", None),
        ("the drawing holds the player (stands on drawn ground, idle)", lambda r, v: r["stands"], ">= 70%", None),
        ("enemies still move (idle, an enemy in view)", lambda r, v: r["enemies_move"], ">= 50%", None),
        ("the player is visible after 128 frames of mixed play", lambda r, v: r["visible_after_mixed"], ">= 98%",
         None),
    ]
    for name, get, target, fmt in rows:
        vals = []
        for _, r, v in cols:
            try:
                x = get(r, v)
            except (KeyError, TypeError):
                x = None
            vals.append("n/a" if x is None else (fmt.format(x) if fmt else _pct(x)))
        lines.append(f"| {name} | " + " | ".join(vals) + f" | {target} |")
    lines += [""]
    for title, r, _ in cols[:-1] if len(cols) > 1 else cols:
        lines.append(f"Per class, {title} (moving / idle): " + ", ".join(
            f"{k} {r['persistence_moving']['per_class'].get(k, float('nan')):.2f} / "
            f"{r['persistence_idle']['per_class'].get(k, float('nan')):.2f}"
            for k in ("ground", "platform", "hazard", "collectible", "enemy")) + ".")
    lines += ["", f"By drawing ({cols[0][0]}):", "",
              "| drawings | trials | persistence moving | persistence idle | control (mean of right, left, jump) |",
              "|---|---|---|---|---|"]
    for axis, groups in fr["by"].items():
        for val, g in groups.items():
            lines.append(f"| {axis}: {val} | {g['trials']} | {_fmt(g['persistence_moving'])} | "
                         f"{_fmt(g['persistence_idle'])} | {_pct(g['control_mean'])} |")
    return lines


def write_card(model_dir: Path, report: dict) -> str:
    """Write the card for ``report`` (as :func:`measure` returns it) to MODEL_DIR/README.md; returns the text."""
    meta = report["meta"]
    tr = meta.get("training", {})
    lines = [f"# {meta.get('name', model_dir.name)}: model card", "",
             "A small Genie (tokenizer, latent action model, MaskGIT dynamics) trained from scratch on this "
             "project's procedural platformer in the hand-drawn **sketch** style, so that a level drawn in the "
             "palette (docs/palette.md) is in-distribution. Weights are bf16 safetensors; no pickles.", "",
             "## Data", ""]
    for comp in ("tokenizer", "lam", "dynamics"):
        for d in tr.get(comp, {}).get("data", [])[:1]:
            lines.append(f"- {comp}: `{d['path']}`: styles {d['styles']}, {d['episodes']} episodes, "
                         f"{d['frames']} frames")
    lines += ["", f"Resolution {meta['components']['tokenizer']['image_size']}, "
              f"{report['params_total'] / 1e6:.1f}M parameters in all.", "",
              "| component | parameters | steps | wall time | hardware |", "|---|---|---|---|---|"]
    for comp in ("tokenizer", "lam", "dynamics"):
        t = tr.get(comp, {})
        lines.append(f"| {comp} | {report['params'][comp] / 1e6:.2f}M | {t.get('steps')} | "
                     f"{t.get('wall_time_s', 0) / 60:.1f} min | {t.get('device')}, {t.get('threads')} threads |")
    lines += ["", "## Commands", "", "```", report["commands"].strip(), "```", "",
              "## Latent actions", "", report["labels"]["method"], "",
              "| index | label | confidence | mean dx (px) | mean rise (px) |", "|---|---|---|---|---|"]
    for i, (l, e) in enumerate(zip(report["labels"]["labels"], report["labels"]["effects"])):
        lines.append(f"| {i} | {l} | {e['confidence']:.2f} | {e['mean_dx']:+.1f} | {e['mean_rise']:.1f} |")
    lines += ["", "## Evaluation on held-out data (seeds never used in training)", "",
              "| style | tokenizer PSNR | SSIM | LAM NMI | LAM acc. | AR PSNR (16 f) | PSNR t=4 | ΔtPSNR t=4 |",
              "|---|---|---|---|---|---|---|---|"]
    for style, r in report["eval"].items():
        tk, lm, dy = r.get("tokenizer", {}), r.get("lam", {}), r.get("dynamics", {})
        lines.append(f"| {style} | {_fmt(tk.get('psnr'))} | {_fmt(tk.get('ssim'), 3)} | {_fmt(lm.get('nmi'), 3)} | "
                     f"{_fmt(lm.get('accuracy'), 3)} | {_fmt(dy.get('psnr_autoregressive'))} | "
                     f"{_fmt(dy.get('psnr_t4'))} | {_fmt(dy.get('delta_psnr_t4'))} |")
    lines += ["", "## Control on example sketches", "",
              f"Each action is held for 12 frames from each example sketch (`examples/sketches/`, levels that no "
              f"training episode came from), with {CONTROL_REPEATS} sampling seeds per sketch. Success: the player "
              "moves the right way relative to the level (right/left: more than 1/16 of the frame; jump: rises "
              "more than 1/10). The action tested is the one the default controls send for that input: the label "
              "itself, else the first combination containing it. Ratio: displacement "
              "against the real game's for the same 12 frames.", "",
              "| input | action sent | success | trials | displacement ratio | player visible at end |",
              "|---|---|---|---|---|---|"]
    for name, c in sorted(report["control"].items(), key=lambda kv: ("right", "left", "jump").index(kv[0])
                          if kv[0] in ("right", "left", "jump") else 3):
        if c.get("available"):
            lines.append(f"| {name} | {c['label']} | {c['success_rate']:.0%} | {c['trials']} | "
                         f"{c['displacement_ratio']:.2f} | {c['player_visible_at_end']:.0%} |")
        else:
            lines.append(f"| {name} | no latent action carries this label | | | | |")
    st = report["stability"]
    lines += ["", f"Stability: after {st['frames']} frames of mixed play the share of palette-coloured pixels is "
              f"{st['palette_pixels_ratio']:.2f}x that of the prompt, ground/platform pixels "
              f"{st['ground_platform_ratio']:.2f}x."]
    lines += _fidelity_lines(report)
    lines += ["", "## Play from sketches", ""]
    lines += [f"![play]({g})" for g in report["gifs"]]
    lines += ["", "## Targets and where this model stands", "", report.get("notes", "").strip(), ""]
    text = "\n".join(lines)
    atomic_write_text(model_dir / "README.md", text)
    return text


def measure(model_dir, evals: dict | None = None, docs=None, commands: str = "", notes: str = "",
            skip_eval: bool = False, progress: bool = False, quick: bool = False) -> dict:
    """Label, evaluate and render the model in ``model_dir``; writes config.json's labels, eval.json and
    the GIFs (into ``docs``, default the model folder) and returns the report for :func:`write_card`.

    ``evals`` maps a style to a held-out dataset folder; ``skip_eval`` reuses eval.json's dataset figures.
    ``commands`` and ``notes`` are the card's texts: the commands that made the model, notes on targets.
    ``quick``: a smoke run (two held-out drawings, one seed, short runs), not figures to ship.
    """
    quick_fid = {"drawings": heldout_drawings()[:2], "seeds": (1,), "mixed_frames": 8} if quick else {}
    quick_rev = {"drawings": level_drawings()[:1], "seeds": (1,), "frames": 8} if quick else {}
    model_dir = Path(model_dir)
    docs = model_dir if docs is None else Path(docs)
    t0 = time.time()
    wm = load_model(model_dir)
    labels = label_actions(wm)
    update_meta(model_dir, actions=labels)
    wm = load_model(model_dir)
    old = json.loads((model_dir / "eval.json").read_text()) if skip_eval else {}
    results = old.get("eval", {})
    if not skip_eval:
        for style, path in (evals or {}).items():
            results[style] = evaluate_model(wm, ClipDataset(path), progress=progress)
            atomic_write_json(model_dir / "eval.json", {"eval": results})  # kept if a later stage fails
    prompts = [fit_prompt(p, wm.tokenizer.cfg.image_size) for p in example_sketches()]
    report = {
        "meta": wm.meta, "labels": labels, "eval": results,
        "control": control_test(wm, wm.action_labels, prompts=prompts, repeats=1 if quick else CONTROL_REPEATS),
        "stability": stability(wm, prompts, frames=8 if quick else 64),
        "decoders": {dec: {"fidelity": evaluate_fidelity(wm, decoder=dec, progress=progress, **quick_fid),
                           "revealed": evaluate_revealed(wm, decoder=dec, progress=progress, **quick_rev)}
                     for dec in DECODERS},
        "fidelity_plain": evaluate_fidelity(wm, frame_player=False, decoder="free", progress=progress, **quick_fid),
        "gifs": render_gifs(wm, docs, link_from=model_dir),
        "params": {c: sum(p.numel() for p in getattr(wm, c).parameters()) for c in ("tokenizer", "lam", "dynamics")},
        "commands": commands,
        "notes": notes,
    }
    report["fidelity"] = report["decoders"][Knobs().decoder]["fidelity"]  # what a user gets by default
    report["params_total"] = sum(report["params"].values())
    report["seconds"] = round(time.time() - t0, 1)
    atomic_write_json(model_dir / "eval.json", {k: v for k, v in report.items() if k != "meta"})
    return report
