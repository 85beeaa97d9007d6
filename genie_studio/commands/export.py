"""Export a recording for a game engine: gif, mp4, png sequence, sprite sheet, Godot SpriteFrames.

`--format list` prints every exporter, built-in and from plugins. Without --format the format is
chosen from the --out extension. The output appears only when it is complete (a cancelled or failed
export leaves nothing behind). See docs/export.md.
"""

from genie_studio.commands._common import print_json


def add_arguments(p):
    p.add_argument("recording", nargs="?", help="recording folder")
    p.add_argument("--format", "-f", default=None, help="exporter name (see --format list; default: from --out)")
    p.add_argument("--out", default=None, help="output file (or folder for png)")
    p.add_argument("--scale", default="auto", help="whole-number nearest-neighbour upscale (1: the frames' own "
                   "size), or auto: the smallest that makes the long side at least 512 px (64 px -> 8x)")
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the recording's own timing)")
    p.add_argument("--frames", default=None, help="A:B frame range (B excluded; A: and :B work)")
    p.add_argument("--name", default="default", help="animation name (Godot, Aseprite frameTags)")
    p.add_argument("--no-loop", action="store_true", help="play once instead of looping")
    p.add_argument("--no-audio", action="store_true", help="leave the voice-over out of videos")
    p.add_argument("--overwrite", action="store_true", help="write into an existing non-empty folder")
    p.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE",
                   help="exporter-specific option (see --format list), e.g. -o columns=8")
    p.add_argument("--to-godot", metavar="PROJECT_DIR", help="write Godot SpriteFrames (.tres, for the project's "
                   "engine) into this Godot project; --out is then a path inside it (default: "
                   "res://genie_clips/REC/NAME.tres)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    from genie_studio.commands._common import CommandError
    from genie_studio.export import ExportError, ExportOptions, default_registry, parse_range
    from genie_studio.export.base import parse_option_value
    from genie_studio.progress import progress_bar
    from genie_studio.recording import Recording, RecordingError

    registry = default_registry()
    if args.format == "list":
        if args.json:
            print_json(registry.describe())
        else:
            for d in registry.describe():
                ext = " ".join(d["extensions"]) or "(folder)"
                print(f"{d['name']:<10} {ext:<14} {d['description']}"
                      + ("" if d["source"] == "built-in" else f"  [plugin: {d['source']}]"))
                for k, h in d["options"].items():
                    print(f"{'':<26}-o {k}=...: {h}")
            from genie_studio.export.registry import plugin_reports

            for r in plugin_reports:
                if not r.ok:
                    print(f"plugin {r.name} ({r.source}) {r.error}")
        return 0
    if not args.recording or not (args.out or args.to_godot):
        raise CommandError("give a recording folder and --out PATH or --to-godot PROJECT_DIR (or --format list)")
    extra = {}
    for item in args.option:
        k, eq, v = item.partition("=")
        if not eq or not k.strip():
            raise CommandError(f"bad --option {item!r}: use KEY=VALUE")
        extra[k.strip()] = parse_option_value(v.strip())
    godot = None
    try:
        if args.to_godot:
            godot, fmt, args.out = _godot_target(args)
            exporter = registry.get(fmt)
        rec = Recording(args.recording)
        if not godot:
            exporter = registry.get(args.format) if args.format else registry.for_path(args.out)
        options = ExportOptions(frames=parse_range(args.frames), fps=args.fps, scale=args.scale,
                                loop=not args.no_loop, name=args.name, audio=not args.no_audio,
                                overwrite=args.overwrite, extra=extra)
        with progress_bar(None, f"export {exporter.name}", enabled=not args.json, unit="frame") as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            written = exporter.export(rec, args.out, options, progress=progress)
    except (RecordingError, ExportError) as e:
        raise CommandError(str(e)) from None
    if args.json:
        print_json({"format": exporter.name, "files": [str(p) for p in written],
                    **({"res": godot.res(written[0]), "project": str(godot.root)} if godot else {})})
    else:
        more = f" (+{len(written) - 1} more files)" if len(written) > 1 else ""
        where = f" = {godot.res(written[0])} in the Godot {godot.engine} project" if godot else ""
        print(f"wrote {written[0]}{more}{where}")
    return 0


def _godot_target(args):
    """(project, format, .tres path) for --to-godot: the project's engine picks godot3 or godot4."""
    from pathlib import Path

    from genie_studio.commands._common import CommandError
    from genie_studio.export.godot_project import clip_target

    project, fmt, out = clip_target(args.to_godot, Path(args.recording).name, args.name, args.out)
    if args.format and args.format != fmt:
        raise CommandError(f"--to-godot writes {fmt} SpriteFrames for this Godot {project.engine} project; "
                           f"leave out --format {args.format} (or export with --out instead)")
    return project, fmt, out
