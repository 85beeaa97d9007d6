"""Evaluate a model on a dataset: tokenizer PSNR/SSIM, LAM NMI/accuracy, dynamics PSNR and ΔtPSNR."""

from genie_studio.commands._common import add_model_arg, print_json


def add_arguments(p):
    add_model_arg(p)
    p.add_argument("--data", required=True, help="a clip dataset (held-out seeds)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="fewer samples (a smoke test)")


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
    from genie_studio.cli import CommandError
    from genie_studio.data.dataset import ClipDataset
    from genie_studio.evaluate.run import evaluate_model
    from genie_studio.registry import resolve_model
    from genie_studio.world.bundle import BundleError, load_model, read_meta

    try:
        folder = resolve_model(args.model)
        comps = tuple(c for c in ("tokenizer", "lam", "dynamics") if c in read_meta(folder).get("components", {}))
        wm = load_model(folder, components=comps)
        ds = ClipDataset(args.data)
        res = evaluate_model(wm, ds, seed=args.seed, quick=args.quick)
    except (BundleError, OSError, ValueError) as e:
        raise CommandError(str(e)) from None
    if args.json:
        print_json(res)
    else:
        _print(res)
    return 0
