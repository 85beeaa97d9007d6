"""Autoplay (issue #20): `train` a policy that plays a world like your recordings or footage (frames ->
the model's latent actions, saved in <model>/policies/<name>/; then `genie-studio play SKETCH --autoplay
DIR`), and `eval` it: the Genie paper's agent experiment on the procedural platformer (docs/autoplay.md)."""

from genie_studio.commands._common import add_knob_args, print_json


def add_arguments(p):
    sub = p.add_subparsers(dest="autoplay_command", metavar="{train,eval}", required=True)
    t = sub.add_parser("train", help="train a policy from recordings or datasets",
                       description="Train an autoplay policy (frames -> latent actions) for a model.")
    t.add_argument("inputs", nargs="+", metavar="REC_OR_DATASET", help="recording folders and/or clip datasets")
    add_knob_args(t, "model")
    t.add_argument("--out", help="policy folder (default: <model>/policies/<name>)")
    t.add_argument("--name", default="autoplay", help="policy name when --out is not given")
    t.add_argument("--steps", type=int, default=1500, help="training steps")
    t.add_argument("--batch", type=int, default=64, help="transitions per training batch")
    t.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    t.add_argument("--seed", type=int, default=0, help="random seed of the policy's weights and batches")
    t.add_argument("--max-episodes", type=int, default=None, help="at most this many episodes per dataset")
    t.add_argument("--json", action="store_true", help="print the training summary as JSON")
    e = sub.add_parser("eval", help="the paper's experiment on the procedural platformer",
                       description="Latent-action policy vs behaviour cloning on true actions, random and the "
                                   "expert, played in the real platformer on held-out levels.")
    add_knob_args(e, "model")
    e.add_argument("--episodes", type=int, default=60, help="expert training episodes (levels)")
    e.add_argument("--levels", type=int, default=20, help="held-out levels to play")
    e.add_argument("--k", default="0,10,50,200", help="labelled transitions for the latent->real mapping")
    e.add_argument("--steps", type=int, default=1500, help="policy training steps")
    e.add_argument("--batch", type=int, default=64, help="transitions per training batch")
    e.add_argument("--temperature", type=float, default=1.0, help="policy sampling temperature (0: argmax)")
    e.add_argument("--seed", type=int, default=0, help="random seed of the levels and policies")
    e.add_argument("--out", help="write the full results (JSON) here")
    e.add_argument("--json", action="store_true", help="print the results as JSON")


def _train(args):
    from genie_studio.autoplay.policy import PolicyError, default_policy_dir, save_policy
    from genie_studio.autoplay.train import train_for_model
    from genie_studio.commands._common import CommandError
    from genie_studio.recording import RecordingError
    from genie_studio.session.open import load_world
    from genie_studio.world.bundle import BundleError

    try:
        wm = load_world(args.model, ("lam", "dynamics"))
        out = args.out or default_policy_dir(wm, args.name)
        policy, summary = train_for_model(args.inputs, wm, steps=args.steps, batch=args.batch, lr=args.lr,
                                          seed=args.seed, max_episodes=args.max_episodes,
                                          progress=not args.json)
        folder = save_policy(out, policy, action_space="latent", labels=wm.action_labels, model=wm,
                             training=summary)
    except (BundleError, PolicyError, RecordingError, OSError, ValueError) as e:
        raise CommandError(str(e)) from None
    summary["policy"] = str(folder)
    if args.json:
        print_json(summary)
    else:
        n = summary["transitions"]
        print(f"trained an autoplay policy for {wm.name} on {n} transitions from {len(args.inputs)} input(s) "
              f"in {summary['wall_time_s']:.0f}s (train accuracy {summary['final_train_acc']:.0%}) -> {folder}")
        print(f"play it: genie-studio play SKETCH --model {wm.name} --autoplay {folder} --out clip.gif")
    return 0


def _eval(args):
    import json
    from pathlib import Path

    from genie_studio.autoplay.experiment import markdown_table, run_experiment
    from genie_studio.commands._common import CommandError
    from genie_studio.session.open import load_world
    from genie_studio.world.bundle import BundleError

    try:
        ks = tuple(int(k) for k in args.k.split(",") if k.strip())
        if any(k < 0 for k in ks):
            raise ValueError("--k values must be >= 0")
        wm = load_world(args.model, ("lam",))
    except (BundleError, ValueError) as e:
        raise CommandError(str(e)) from None
    res = run_experiment(wm.lam, wm.action_labels, episodes=args.episodes, levels=args.levels, ks=ks, seed=args.seed,
                         steps=args.steps, batch=args.batch, temperature=args.temperature, progress=not args.json)
    res["model"] = {"name": wm.name, "path": str(wm.path)}
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    if args.json:
        print_json(res)
    else:
        print(markdown_table(res))
        print(f"\n{res['data']['transitions']} expert transitions from {args.episodes} levels; held-out levels: "
              f"{args.levels}; latent->real purity {res['data']['mapping_purity']:.0%}; {res['wall_time_s']:.0f}s")
    return 0


def run(args):
    return _train(args) if args.autoplay_command == "train" else _eval(args)
