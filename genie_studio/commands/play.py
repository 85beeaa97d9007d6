"""Play a world from a prompt image: headless to a GIF/MP4/PNG folder, or live in a window."""

from genie_studio.commands._common import add_json_arg, add_knob_args


def add_arguments(p):
    p.add_argument("prompt", help="prompt image (any drawing or photo), or a bundled example by name "
                   "(e.g. sketch_01_256x256)")
    p.add_argument("--actions", default="right*16", help="action SPEC, e.g. right*8,jump,noop*2")
    p.add_argument("--out", help="output: DIR (PNG frames) or a file whose extension names the format "
                   "(.gif, .mp4, .webm, .png for APNG, .json sprite sheet...; see `export --format list`)")
    p.add_argument("--window", action="store_true", help="play live in a window")
    p.add_argument("--scale", default="auto", help="whole-number nearest-neighbour upscale of saved frames, or auto: "
                   "the smallest that makes the long side at least 512 px")
    add_knob_args(p, "model", "seed", "maskgit_steps", "temperature", "decoder", "endless", "fps", "device", "compile",
                  help={"fps": "target frames/s of --window, and the saved clip's rate"})
    p.add_argument("--server", metavar="URL", help="play on a remote `genie-studio serve` (ws:// or wss://)")
    p.add_argument("--token-file", metavar="F", help="the server's token file (with --server)")
    p.add_argument("--autoplay", metavar="POLICY", help="let a policy play (genie-studio autoplay train); "
                   "--actions is then ignored")
    p.add_argument("--length", type=int, default=32, help="frames to play with --autoplay")
    add_json_arg(p, "print the prompt, the actions played and the files written as JSON")


def make_session(args):
    """The world to play, local or remote (--server): both are a ``Session``."""
    from genie_studio.commands._common import CommandError, knobs_from_args
    from genie_studio.local_or_remote import SessionError, SessionSettings, open_session
    from genie_studio.progress import StageBar

    try:
        return open_session(SessionSettings(knobs=knobs_from_args(args), server_url=args.server,
                                            token_file=args.token_file,
                                            on_compile=StageBar("first run", not getattr(args, "json", False))))
    except SessionError as e:
        if e.part == "server" and args.server:
            raise CommandError(f"--server {args.server}: {e}") from None
        raise CommandError("--token-file needs --server" if args.token_file and not args.server else str(e)) from None


def run(args):
    from pathlib import Path

    from genie_studio.commands._common import (
        CommandError,
        exporter_for_output,
        knobs_from_args,
        print_json,
        resolve_prompt,
    )
    from genie_studio.session.actions import ActionError, parse_spec
    from genie_studio.session.prompt import PromptError

    if not args.window and not args.out:
        raise CommandError("say where the frames go: --out DIR|X.gif|X.mp4, or --window to play live")
    args.prompt = resolve_prompt(args.prompt)
    knobs = knobs_from_args(args)
    exporter = None if args.window else exporter_for_output(args.out)  # before the model loads
    options = None if args.window else _export_options(knobs.fps, args.scale)
    session = make_session(args)
    try:
        first = session.reset(args.prompt)
        if args.window:
            from genie_studio.player.window import run_player

            return run_player(session, fps=knobs.fps, prompt=args.prompt)
        actions = [] if args.autoplay else parse_spec(args.actions, session.labels)
        frames = _autoplay(args, session, first, knobs.seed) if args.autoplay else [first]
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


def _autoplay(args, session, first, seed: int):
    """The policy chooses every action (issue #20); -> frames (``args.actions`` says what it played)."""
    from collections import Counter

    from genie_studio.autoplay.policy import AutoplayDriver, PolicyError
    from genie_studio.commands._common import CommandError
    from genie_studio.progress import progress_bar

    if args.server:
        raise CommandError("--autoplay plays a local model; it cannot be combined with --server")
    try:
        driver = AutoplayDriver.for_session(args.autoplay, session, seed=seed)
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


def _export_options(fps, scale):
    from genie_studio.commands._common import CommandError
    from genie_studio.export.base import ExportError, ExportOptions

    try:
        return ExportOptions(fps=fps, scale=scale, overwrite=True)
    except ExportError as e:
        raise CommandError(str(e)) from None
