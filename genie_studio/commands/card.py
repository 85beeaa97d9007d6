"""Measure a trained model and write its model card: names the latent actions (stored in config.json),
evaluates on held-out datasets (one per style, --eval STYLE=DIR), runs the control, stability and
held-out drawing tests, renders play GIFs from the example sketches and writes MODEL/eval.json and
MODEL/README.md. Files go only into the model folder, and the GIFs into --docs when it is given."""

from genie_studio.commands._common import print_json


def add_arguments(p):
    p.add_argument("model", help="model name or folder (the card and eval.json are written into it)")
    p.add_argument("--eval", action="append", default=[], metavar="STYLE=DIR",
                   help="a held-out clip dataset for one render style (repeatable)")
    p.add_argument("--docs", metavar="DIR", help="folder for the play GIFs (default: the model folder)")
    p.add_argument("--commands", metavar="F", help="file with the exact commands that made the model")
    p.add_argument("--notes", metavar="F", help="file with notes on targets")
    p.add_argument("--skip-eval", action="store_true", help="reuse the dataset figures in MODEL/eval.json")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: two held-out drawings, one seed, short runs (not figures to ship)")
    p.add_argument("--json", action="store_true", help="print the control, stability, fidelity and GIF results")


def _eval_sets(items: list[str]) -> dict[str, str]:
    from genie_studio.commands._common import CommandError

    sets = {}
    for item in items:
        style, sep, path = item.partition("=")
        if not sep or not style or not path:
            raise CommandError(f"--eval wants STYLE=DIR, got {item!r}")
        sets[style] = path
    return sets


def run(args):
    from pathlib import Path

    from genie_studio.commands._common import CommandError
    from genie_studio.evaluate.card import measure, write_card
    from genie_studio.model_catalog import resolve_model
    from genie_studio.world.bundle import BundleError

    evals = _eval_sets(args.eval)
    try:
        folder = resolve_model(args.model)
        if args.skip_eval and not (folder / "eval.json").is_file():
            raise CommandError(f"--skip-eval reuses {folder / 'eval.json'}, which does not exist")
        texts = {k: Path(f).read_text() if f else "" for k, f in (("commands", args.commands),
                                                                  ("notes", args.notes))}
        report = measure(folder, evals, docs=args.docs, skip_eval=args.skip_eval, progress=not args.json,
                         quick=args.quick, **texts)
        write_card(folder, report)
    except (BundleError, OSError, ValueError) as e:
        raise CommandError(str(e)) from None
    summary = {k: report[k] for k in ("control", "stability", "fidelity", "gifs")}
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {folder / 'README.md'} and {folder / 'eval.json'} ({report['seconds']:.0f} s)")
        for name, c in report["control"].items():
            if c.get("available"):
                print(f"  control {name}: {c['success_rate']:.0%} ({c['label']})")
        for g in report["gifs"]:
            print(f"  gif: {g}")
    return 0
