"""Measure interactive speed: frames/s, step latency, cached vs uncached, batched sessions, GFLOP/s."""

from genie_studio.commands._common import add_model_arg, print_json


def add_arguments(p):
    add_model_arg(p)
    p.add_argument("--prompt", help="prompt image (default: the first example sketch)")
    p.add_argument("--frames", type=int, default=48, help="steps timed at default settings")
    p.add_argument("--quick", action="store_true", help="a shorter run (smoke test)")
    p.add_argument("--json", action="store_true")


def run(args):
    import torch

    from genie_studio.commands._common import CommandError
    from genie_studio.registry import resolve_model
    from genie_studio.session.bench import run_bench
    from genie_studio.world.bundle import BundleError, load_model

    try:
        wm = load_model(resolve_model(args.model))
    except BundleError as e:
        raise CommandError(str(e)) from None
    prompt = args.prompt
    if prompt is None:
        from genie_studio.resources import example_sketches

        sketches = example_sketches()
        prompt = sketches[0] if sketches else torch.zeros(*wm.tokenizer.cfg.image_size, 3, dtype=torch.uint8).numpy()
    res = run_bench(wm, prompt, frames=args.frames, quick=args.quick)
    if args.json:
        print_json(res)
        return 0
    d, c = res["default"], res["cached_vs_uncached"]
    print(f"model {res['model']} ({res['threads']} threads, {res['maskgit_steps']} MaskGIT steps)")
    print(f"  default: {d['frames_per_s']} frames/s, p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms")
    print(f"  achieved {d['achieved_gflops']} GFLOP/s of a {res['bf16_matmul_peak_gflops']} GFLOP/s bf16 matmul peak "
          f"({d['fraction_of_peak']:.1%})")
    print(f"  {c['context_frames']} frames of context: cached p50 {c['cached']['p50_ms']} ms, "
          f"uncached p50 {c['uncached']['p50_ms']} ms -> {c['speedup']}x")
    for n, b in res["batched_sessions"].items():
        print(f"  {n:>2} sessions: batched {b['batched_frames_per_s']} frames/s vs sequential "
              f"{b['sequential_frames_per_s']} -> {b['ratio']}x")
    return 0
