"""Play a world from a prompt image: headless to a GIF/MP4/PNG folder, or live in a window."""

from genie_studio.commands._common import add_compile_arg, add_decoder_args, add_json_arg, add_model_arg


def add_arguments(p):
    p.add_argument("prompt", help="prompt image (any drawing or photo), or a bundled example by name "
                   "(e.g. sketch_01_256x256)")
    add_model_arg(p)
    p.add_argument("--actions", default="right*16", help="action SPEC, e.g. right*8,jump,noop*2")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed plays the same world")
    p.add_argument("--steps", type=int, default=None, help="MaskGIT steps per frame (default: settings)")
    p.add_argument("--temperature", type=float, default=None,
                   help="sampling temperature, 0 is the most likely frame (default: settings)")
    p.add_argument("--out", help="output: DIR (PNG frames) or a file whose extension names the format "
                   "(.gif, .mp4, .webm, .png for APNG, .json sprite sheet...; see `export --format list`)")
    add_decoder_args(p)
    p.add_argument("--window", action="store_true", help="play live in a window")
    p.add_argument("--fps", type=int, default=30, help="target frames/s of --window, and the saved clip's rate")
    p.add_argument("--scale", default="auto", help="whole-number nearest-neighbour upscale of saved frames, or auto: "
                   "the smallest that makes the long side at least 512 px")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where the model runs")
    p.add_argument("--server", metavar="URL", help="play on a remote `genie-studio serve` (ws:// or wss://)")
    p.add_argument("--token-file", metavar="F", help="the server's token file (with --server)")
    p.add_argument("--autoplay", metavar="POLICY", help="let a policy play (genie-studio autoplay train); "
                   "--actions is then ignored")
    p.add_argument("--length", type=int, default=32, help="frames to play with --autoplay")
    add_compile_arg(p)
    add_json_arg(p, "print the prompt, the actions played and the files written as JSON")


def make_session(args):
    """The world to play, local or remote (--server): both are a ``Session``."""
    from genie_studio.commands._common import CommandError, decoder_knobs
    from genie_studio.config import load_settings
    from genie_studio.progress import StageBar
    from genie_studio.sessions import SessionError, SessionSettings, open_session

    knobs = {k: v for k, v in (("steps", args.steps), ("temperature", args.temperature)) if v is not None}
    try:
        return open_session(SessionSettings(model=args.model, device=args.device, seed=args.seed,
                                            server_url=args.server, token_file=args.token_file,
                                            compile=not args.no_compile, **decoder_knobs(args, load_settings()),
                                            on_compile=StageBar("first run", not getattr(args, "json", False)),
                                            **knobs))
    except SessionError as e:
        if e.part == "server" and args.server:
            raise CommandError(f"--server {args.server}: {e}") from None
        raise CommandError("--token-file needs --server" if args.token_file and not args.server else str(e)) from None


def run(args):
    from pathlib import Path

    from genie_studio.commands._common import CommandError, exporter_for_output, print_json, resolve_prompt
    from genie_studio.session.actions import ActionError, parse_spec
    from genie_studio.session.prompt import PromptError

    if not args.window and not args.out:
        raise CommandError("say where the frames go: --out DIR|X.gif|X.mp4, or --window to play live")
    args.prompt = resolve_prompt(args.prompt)
    exporter = None if args.window else exporter_for_output(args.out)  # before the model loads
    options = None if args.window else _export_options(args)
    session = make_session(args)
    try:
        first = session.reset(args.prompt)
        if args.window:
            from genie_studio.player.window import run_player

            return run_player(session, fps=args.fps, prompt=args.prompt)
        actions = [] if args.autoplay else parse_spec(args.actions, session.labels)
        frames = _autoplay(args, session, first) if args.autoplay else [first]
        from genie_studio.progress import progress_bar

        with progress_bar(len(actions), "play", unit="frame", enabled=not args.json) as bar:
            for a in actions:
                frames.append(session.step(a))
                bar.update(1)
    except (PromptError, ActionError) as e:
        raise CommandError(str(e)) from None
    finally:
        session.close()
    from genie_studio.export.base import ExportError

    out = Path(args.out)
    try:
        written = exporter.export(frames, out, options)
    except ExportError as e:
        raise CommandError(str(e)) from None
    if args.json:
        print_json({"prompt": args.prompt, "actions": args.actions, "steps": len(frames) - 1,
                    "format": exporter.name, "files": [str(p) for p in written]})
        return 0
    print(f"played {len(frames) - 1} steps ({args.actions}) from {args.prompt} -> {written[0] if written else out}")
    return 0


def _autoplay(args, session, first):
    """The policy chooses every action (issue #20); -> frames (``args.actions`` says what it played)."""
    from collections import Counter

    from genie_studio.autoplay.policy import AutoplayDriver, PolicyError
    from genie_studio.commands._common import CommandError
    from genie_studio.progress import progress_bar

    if args.server:
        raise CommandError("--autoplay plays a local model; it cannot be combined with --server")
    try:
        driver = AutoplayDriver.for_session(args.autoplay, session, seed=args.seed)
    except PolicyError as e:
        raise CommandError(str(e)) from None
    frames = [first]
    with progress_bar(args.length, "autoplay", unit="frame", enabled=not args.json) as bar:
        for _ in range(max(0, args.length)):
            frames.append(session.step(driver.act(session)))
            bar.update(1)
    used = Counter(session.labels[a] for a in session.actions[-args.length:])
    args.actions = "autoplay: " + ", ".join(f"{k}*{v}" for k, v in used.most_common())
    return frames


def _export_options(args):
    from genie_studio.commands._common import CommandError
    from genie_studio.export.base import ExportError, ExportOptions

    try:
        return ExportOptions(fps=args.fps, scale=args.scale, overwrite=True)
    except ExportError as e:
        raise CommandError(str(e)) from None
