"""Record a headless playthrough to a recording folder.

Steps the world through the action SPEC from the prompt image and writes every frame, action and
knob to REC (see docs/recording-format.md). Timestamps follow a nominal clock at --fps. Replay it with
the editor's recordings panel, export it with `genie-studio export REC --format F --out PATH`.
"""

from genie_studio.commands._common import add_knob_args, print_json


def add_arguments(p):
    p.add_argument("prompt", help="prompt image (a sketch PNG, a screenshot...), or a bundled example by name "
                   "(e.g. sketch_01_256x256)")
    p.add_argument("--actions", required=True, help="action SPEC, e.g. right*8,jump,noop*2")
    p.add_argument("--out", required=True, help="recording folder to create (must not exist or be empty)")
    p.add_argument("--name", default=None, help="recording title (default: the folder name)")
    add_knob_args(p, "model", "seed", "maskgit_steps", "temperature", "decoder", "endless", "fps", "precision",
                  "device", "compile", help={"seed": "random seed: the same seed records the same world",
                                             "fps": "nominal frame rate of the recording"})
    p.add_argument("--json", action="store_true", help="print the recording's info as JSON")


def run(args) -> int:
    from genie_studio.commands._common import CommandError, check_writable_parent, knobs_from_args, resolve_prompt
    from genie_studio.local_or_remote import SessionError, SessionSettings, open_session
    from genie_studio.progress import StageBar, progress_bar
    from genie_studio.recording import Recorder, RecordingError
    from genie_studio.session.actions import ActionError, parse_spec
    from genie_studio.session.prompt import PromptError

    knobs = knobs_from_args(args)
    args.prompt = resolve_prompt(args.prompt)  # the prompt and the folder are checked before the model loads
    _check_empty_folder(args.out)
    check_writable_parent(args.out)
    try:
        session = open_session(SessionSettings(knobs=knobs, on_compile=StageBar("first run", not args.json)))
        actions = parse_spec(args.actions, session.labels)
        rec = Recorder.for_session(session, args.out, args.prompt, fps=knobs.fps, clock="nominal", name=args.name)
    except (SessionError, ActionError, PromptError, RecordingError, ValueError) as e:
        raise CommandError(str(e)) from None
    try:
        with progress_bar(len(actions), "recording", enabled=not args.json, unit="frame") as bar:
            for a in actions:
                rec.step(a, inputs=[{"source": "spec", "action": session.labels[a]}])
                bar.update()
        recording = rec.close()
    except RecordingError as e:  # a full disk: one line, what is full and what was kept
        raise CommandError(str(e)) from None
    finally:
        rec.close()  # interrupted: what was recorded is kept; after a failed write it only lets go of the files
    if args.json:
        print_json(recording.info())
    else:
        print(f"recorded {len(recording)} frames to {recording.folder}")
    return 0


def _check_empty_folder(out) -> None:
    from pathlib import Path

    from genie_studio.commands._common import CommandError

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CommandError(f"--out {out}: already exists and is not an empty folder; choose a new folder")
