"""List the model's latent actions with their labels and label confidence.

Labels are measured when a model is trained (each latent action's effect on the player in sketch probe
prompts; see genie_studio/evaluate/labels.py) and stored in the model's config.json. --relabel measures
them again and stores the result; --prompt measures each action's effect on your own sketch.
"""

from genie_studio.commands._common import add_knob_args, print_json


def add_arguments(p):
    add_knob_args(p, "model")
    p.add_argument("--prompt", help="sketch used to preview each action (measures its effect there)")
    p.add_argument("--relabel", action="store_true", help="measure the labels again and save them in the model")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args):
    from genie_studio.commands._common import CommandError
    from genie_studio.session.open import load_world
    from genie_studio.session.prompt import PromptError, fit_prompt
    from genie_studio.world.bundle import BundleError, update_meta

    try:
        wm = load_world(args.model, ("tokenizer", "lam", "dynamics"))
        folder = wm.path
        info = dict(wm.meta.get("actions", {}))
        if args.relabel or args.prompt:
            from genie_studio.evaluate.labels import label_actions

            prompts = None
            if args.prompt:
                prompts = [fit_prompt(args.prompt, wm.tokenizer.cfg.image_size)]
            measured = label_actions(wm, prompts=prompts)
            if args.relabel:
                info = measured
                update_meta(folder, actions=measured)
            else:
                info["on_prompt"] = measured["effects"]
    except (BundleError, PromptError, OSError) as e:
        raise CommandError(str(e)) from None
    labels = wm.action_labels if not args.relabel else info["labels"]
    conf = info.get("confidence", [None] * len(labels))
    rows = [{"index": i, "label": l, "confidence": conf[i] if i < len(conf) else None} for i, l in enumerate(labels)]
    for i, r in enumerate(rows):
        if "on_prompt" in info:
            r["on_prompt"] = info["on_prompt"][i]
    if args.json:
        print_json({"model": wm.name, "path": str(folder), "actions": rows, "method": info.get("method")})
        return 0
    print(f"{wm.name}: {len(rows)} latent actions")
    for r in rows:
        c = "" if r["confidence"] is None else f"  confidence {r['confidence']:.2f}"
        extra = ""
        if "on_prompt" in r:
            e = r["on_prompt"]
            extra = f"  on prompt: dx {e['mean_dx']:+.1f}px rise {e['mean_rise']:.1f}px -> {e['label']}"
        print(f"  {r['index']}: {r['label']:<12}{c}{extra}")
    return 0
