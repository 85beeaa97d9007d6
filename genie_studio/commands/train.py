"""Train Genie's components: tokenizer, then latent action model and dynamics.

`all` runs the three stages in order into one model folder. Checkpoints go to MODEL_DIR/.train/ every
100 steps; --resume continues exactly where an interrupted run stopped. Under torchrun
(`torchrun --nproc-per-node N -m genie_studio.train ...`) the work is split across processes.
"""

from __future__ import annotations

import json
import logging

from genie_studio.commands._common import CommandError


def add_arguments(p):
    p.add_argument("component", choices=["tokenizer", "lam", "dynamics", "camera", "all"],
                   help="what to train: one component; all three in order (then the action labels and the "
                        "camera prior); or camera: only the camera prior, from the --data video with the model's "
                        "tokenizer and LAM (train/camera.py)")
    p.add_argument("--data", required=True, action="append", help="dataset folder (repeatable)")
    p.add_argument("--out", required=True, help="model folder (created; checkpoints go to OUT/.train/)")
    p.add_argument("--preset", default="tiny", help="tiny (CPU), small or base (GPU)")
    p.add_argument("--max-steps", type=int, default=None, help="train this many steps instead of the preset's")
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                   help="autocast precision: auto is bf16 on CUDA and on CPUs with bf16 instructions, else fp32 "
                        "(emulated bf16 is many times slower)")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="fit each component's run to this many seconds of training (fewer steps, the whole "
                        "schedule); default: no limit")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--init", metavar="MODEL",
                   help="start from this model folder's weights where names and shapes match (a fine-tune); "
                        "the dynamics' action embedding starts fresh unless the LAM is the same "
                        "(default: random weights)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument("--seed", type=int, default=0, help="random seed of the initial weights and the batches")
    p.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                   help="override a preset value, e.g. --set steps=500 --set arch.dim=96")
    p.add_argument("--name", help="model name recorded in config.json (default: the folder's name)")
    p.add_argument("--json", action="store_true", help="print each component's training summary as JSON")


def _overrides(items: list[str]) -> dict:
    out: dict = {}
    for item in items:
        key, _, val = item.partition("=")
        try:
            v = json.loads(val)
        except json.JSONDecodeError:
            raise CommandError(f"--set {item}: the value must be JSON (e.g. 0.001, 64, true)") from None
        if key.startswith("arch."):
            out.setdefault("arch", {})[key[5:]] = v
        else:
            out[key] = v
    return out


def run(args) -> int:
    from pathlib import Path

    from genie_studio.session.devices import resolve_precision
    from genie_studio.train import COMPONENT_ORDER
    from genie_studio.train.checkpoint import CheckpointError
    from genie_studio.train.loop import resolve_device, train_component
    from genie_studio.world.bundle import BundleError, update_meta

    logging.getLogger("genie_studio.train").setLevel(logging.INFO)
    components = COMPONENT_ORDER if args.component == "all" else (args.component,) if args.component != "camera" \
        else ()
    precision = resolve_precision(args.precision, resolve_device(args.device).type)
    over = _overrides(args.set)
    out = Path(args.out)
    say = (lambda *_: None) if args.json else print
    report: dict = {"model": str(out), "components": {}}
    try:
        for c in components:
            if args.component == "all" and args.resume and _finished(out, c):
                say(f"{c}: already trained, skipping")
                report["components"][c] = {"skipped": "already trained"}
                continue
            summary = train_component(c, args.data, out, preset=args.preset, max_steps=args.max_steps,
                                      time_budget_s=args.time_budget, precision=precision,
                                      resume=args.resume, device=args.device, seed=args.seed, overrides=over,
                                      init=args.init)
            report["components"][c] = summary
            say(f"{c}: {summary['steps']} steps in {summary['wall_time_s']:.0f}s -> {out / (c + '.safetensors')}")
        if args.name:
            update_meta(out, name=args.name)
        if args.component == "all" or (args.component == "dynamics" and (out / "lam.safetensors").exists()):
            from genie_studio.evaluate.labels import label_actions
            from genie_studio.world.bundle import load_model

            labels = label_actions(load_model(out))
            update_meta(out, actions=labels)
            report["actions"] = labels["labels"]
            say("latent actions: " + ", ".join(f"{i}={l}" for i, l in enumerate(labels["labels"])))
        if args.component in ("all", "camera"):
            from genie_studio.data.dataset import ClipDataset
            from genie_studio.train.camera import fit_camera
            from genie_studio.world.bundle import load_model

            camera = fit_camera(load_model(out, components=("tokenizer", "lam")), [ClipDataset(d) for d in args.data],
                                progress=not args.json)
            update_meta(out, camera=camera)
            report["camera"] = {"pairs": camera["pairs"]}
            say(f"camera prior: {camera['pairs']} frame pairs -> {out / 'config.json'}")
    except (OSError, BundleError, CheckpointError, KeyError, ValueError) as e:
        raise CommandError(str(e)) from None
    if args.json:
        from genie_studio.commands._common import print_json

        print_json(report)
    return 0


def _finished(out, component) -> bool:
    from genie_studio.world.bundle import BundleError, read_meta

    if not (out / f"{component}.safetensors").exists():
        return False
    try:
        return bool(read_meta(out).get("training", {}).get(component))
    except BundleError:
        return False
