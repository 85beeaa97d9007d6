"""Measure interactive speed: frames/s, step latency, cached vs uncached, batched sessions, GFLOP/s."""

from genie_studio.commands._common import add_knob_args, print_json


def add_arguments(p):
    from genie_studio.knobs import DEVICES

    add_knob_args(p, "model", "precision", "compile")
    p.add_argument("--prompt", help="prompt image (default: the first example sketch)")
    p.add_argument("--frames", type=int, default=48, help="steps timed at default settings")
    p.add_argument("--quick", action="store_true", help="a shorter run (smoke test)")
    p.add_argument("--cold", action="store_true",
                   help="compile into an empty temporary cache folder: measures a first run's start")
    p.add_argument("--device", default="cpu", choices=DEVICES,
                   help="where the model runs (a benchmark measures the CPU unless asked)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args):
    import os
    import tempfile

    import torch

    from genie_studio.commands._common import CommandError, knobs_from_args
    from genie_studio.progress import StageBar
    from genie_studio.session import compiled
    from genie_studio.session.bench import run_bench
    from genie_studio.session.devices import resolve_device, resolve_precision
    from genie_studio.session.open import load_world
    from genie_studio.world.bundle import BundleError

    knobs = knobs_from_args(args, names=("model", "precision", "compile"))
    try:
        device = resolve_device(args.device)
        precision = resolve_precision(knobs.precision, device)
        wm = load_world(knobs.model, ("tokenizer", "lam", "dynamics"), device)
    except (BundleError, ValueError) as e:
        raise CommandError(str(e)) from None
    prompt = args.prompt
    if prompt is None:
        from genie_studio.resources import example_sketches

        sketches = example_sketches()
        prompt = sketches[0] if sketches else torch.zeros(*wm.tokenizer.cfg.image_size, 3, dtype=torch.uint8).numpy()
    with tempfile.TemporaryDirectory(prefix="genie-bench-") as tmp:
        if args.cold:
            os.environ["GENIE_STUDIO_HOME"] = tmp  # this process only: an empty cache folder
        res = run_bench(wm, prompt, frames=args.frames, quick=args.quick, device=device, precision=precision,
                        compile=compiled.enabled(knobs.compile), progress=StageBar("compile", not args.json))
    if args.json:
        print_json(res)
        return 0
    d, c = res["default"], res["cached_vs_uncached"]
    print(f"model {res['model']} on {res['device']} {res['precision']} ({res['threads']} threads, "
          f"{res['maskgit_steps']} MaskGIT steps, "
          f"{res['context_frames']} frames of context, {'compiled' if res['compiled'] else 'eager'})")
    if "compile" in res:
        r = res["compile"]
        print(f"  start: this run {r['this_run']['seconds']} s ({r['this_run']['compiled']} graphs compiled, "
              f"{r['this_run']['loaded']} loaded); a later run loads them in {r['warm_load_s']} s")
    print(f"  default: {d['frames_per_s']} frames/s, p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms")
    for dec, r in res.get("decoders", {}).items():
        print(f"  decoder {dec}: {r['frames_per_s']} frames/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms")
    if "eager" in res:
        print(f"  eager (no compile): {res['eager']['frames_per_s']} frames/s, p50 {res['eager']['p50_ms']} ms "
              f"-> compiled {res['compiled_vs_eager']}x")
    print(f"  achieved {d['achieved_gflops']} GFLOP/s of a {res['bf16_matmul_peak_gflops']} GFLOP/s bf16 matmul peak "
          f"({d['fraction_of_peak']:.1%})")
    print(f"  cached p50 {c['cached']['p50_ms']} ms vs uncached p50 {c['uncached']['p50_ms']} ms -> {c['speedup']}x; "
          f"vs 1xgpt (estimate) {res['vs_1xgpt_estimate']}x")
    for n, b in res["batched_sessions"].items():
        print(f"  {n:>2} sessions: batched {b['batched_frames_per_s']} frames/s vs sequential "
              f"{b['sequential_frames_per_s']} -> {b['ratio']}x")
    return 0
