"""Evaluate a model: what a designer sees (object persistence, sustained control, action distinctness on
held-out drawings) and, with --data, the dataset metrics (tokenizer PSNR/SSIM, LAM NMI/accuracy,
dynamics PSNR and ΔtPSNR)."""

from genie_studio.commands._common import add_knob_args, print_json


def add_arguments(p):
    add_knob_args(p, "model")
    p.add_argument("--data", help="a clip dataset (held-out seeds) for the dataset metrics")
    p.add_argument("--drawings", help="folder of held-out drawings with drawings.json (default: examples/heldout)")
    p.add_argument("--no-framing", action="store_true",
                   help="fit drawings by height only, without framing the player as the training camera")
    p.add_argument("--no-fidelity", action="store_true", help="skip the held-out drawing suite")
    add_knob_args(p, "decoder", "endless", settings=False)
    p.add_argument("--compare", action="store_true",
                   help="run the drawing suites with each decoder (copy and free) side by side on the same weights")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--seed", type=int, default=0, help="random seed of the sampled frames and clips")
    p.add_argument("--quick", action="store_true", help="fewer samples (a smoke test)")
    p.add_argument("--seeds", type=int, default=None, metavar="N",
                   help="sampling seeds per held-out drawing (default: 3; --quick: 1)")


def _print(res: dict, prefix: str = "") -> None:
    for k, v in res.items():
        if isinstance(v, dict):
            print(f"{prefix}{k}:")
            _print(v, prefix + "  ")
        elif isinstance(v, float):
            print(f"{prefix}{k}: {v:.4g}")
        else:
            print(f"{prefix}{k}: {v}")


def run(args):
    from genie_studio.commands._common import CommandError, knobs_from_args
    from genie_studio.data.dataset import ClipDataset
    from genie_studio.evaluate.fidelity import MIXED_FRAMES, SEEDS, evaluate_fidelity, heldout_drawings
    from genie_studio.evaluate.revealed import FRAMES, evaluate_revealed
    from genie_studio.evaluate.run import evaluate_model
    from genie_studio.knobs import DECODERS
    from genie_studio.model_catalog import resolve_model
    from genie_studio.session.open import load_world
    from genie_studio.world.bundle import BundleError, read_meta

    try:
        folder = resolve_model(args.model)
        comps = tuple(c for c in ("tokenizer", "lam", "dynamics") if c in read_meta(folder).get("components", {}))
        wm = load_world(folder, comps)
        res = {}
        if args.data:
            res.update(evaluate_model(wm, ClipDataset(args.data), seed=args.seed, quick=args.quick,
                                      progress=not args.json))
        if not args.no_fidelity and wm.dynamics is not None:
            drawings = heldout_drawings(args.drawings)
            seeds = tuple(range(1, args.seeds + 1)) if args.seeds else (1,) if args.quick else SEEDS
            knobs = knobs_from_args(args, {}, names=("decoder", "endless"))  # the defaults, not the editor's settings
            decoders = DECODERS if args.compare else (knobs.decoder,)
            for dec in decoders:
                kw = {"decoder": dec, "endless": knobs.endless, "progress": not args.json}
                out = {"fidelity": evaluate_fidelity(wm, drawings[:2] if args.quick else drawings, seeds=seeds,
                                                     frame_player=not args.no_framing,
                                                     mixed_frames=8 if args.quick else MIXED_FRAMES, **kw),
                       "revealed_level": evaluate_revealed(wm, drawings, seeds=seeds,
                                                           frames=8 if args.quick else FRAMES, **kw)}
                res.update(out) if len(decoders) == 1 else res.setdefault("decoders", {}).update({dec: out})
        if not res:
            raise CommandError("nothing to evaluate: give --data, or a model with a dynamics component")
    except (BundleError, OSError, ValueError) as e:
        raise CommandError(str(e)) from None
    if args.json:
        print_json(res)
    else:
        _print(res)
    return 0
