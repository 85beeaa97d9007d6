"""Generate, import and inspect clip datasets."""

from __future__ import annotations

import sys


def add_arguments(p):
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    g = sub.add_parser("generate", help="render episodes of the procedural platformer")
    g.add_argument("--out", required=True, help="dataset folder to write")
    g.add_argument("--episodes", type=int, required=True, help="episodes (levels) to play and render")
    g.add_argument("--style", default="sketch", help="comma-separated styles: sketch, pixel, chalk")
    g.add_argument("--seed", type=int, default=0, help="seed of the levels and the agent's play")
    g.add_argument("--workers", type=int, default=1, help="processes rendering episodes in parallel")
    g.add_argument("--resolution", default="64", help="H (square) or HxW, e.g. 64, 128, 64x112")
    g.add_argument("--episode-len", type=int, default=64, help="frames per episode")
    g.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    g.add_argument("--json", action="store_true", help="print the new dataset's summary as JSON")
    i = sub.add_parser("import", help="import gameplay footage: videos, image sequences, folders of them",
                       description="Import footage into a clip dataset. A folder is walked: every video in it "
                                   "(mp4, webm, mkv, mov, gif) and every folder of images (an image sequence) "
                                   "becomes one episode; other files are listed as skipped. Exit status 3 when "
                                   "a video or sequence could not be read.")
    i.add_argument("inputs", nargs="+", metavar="VIDEO_OR_DIR", help="videos, image-sequence folders, "
                   "or folders of them")
    i.add_argument("--out", required=True, help="dataset folder to write (made only if a source imports)")
    i.add_argument("--resolution", default="64", help="frame size: H (square) or HxW")
    i.add_argument("--fps", type=float, default=15.0, help="frames per second kept from each video")
    i.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    i.add_argument("--json", action="store_true", help="print what was imported and skipped as JSON")
    n = sub.add_parser("info", help="summarise a dataset")
    n.add_argument("dir", help="dataset folder")
    n.add_argument("--json", action="store_true", help="machine-readable output")


def _resolution(text: str) -> tuple[int, int]:
    from genie_studio.commands._common import CommandError
    from genie_studio.data.render import resolve_resolution

    try:
        parts = [int(v) for v in text.lower().split("x")]
        res = (parts[0], parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        return resolve_resolution(res)
    except ValueError as e:
        raise CommandError(f"bad --resolution {text!r}: {e}") from None


def info(path) -> dict:
    import numpy as np

    from genie_studio.data.dataset import ClipDataset
    from genie_studio.data.platformer import ACTIONS

    ds = ClipDataset(path)
    m = ds.manifest
    out = {
        "path": str(ds.path),
        "episodes": len(ds),
        "frames": int(ds.index[:, 2].sum()) if len(ds) else 0,
        "resolution": list(ds.resolution),
        "fps": m.get("fps"),
        "styles": m.get("styles"),
        "source": m.get("source"),
        "size_bytes": ds.size_bytes(),
        "has_labels": ds.has_labels,
        "format_version": m.get("format_version"),
    }
    if ds.has_labels:
        counts = np.zeros(len(ACTIONS), np.int64)
        for k in range(int(m.get("shards", 0))):
            a = np.load(ds.path / "labels" / f"actions-{k:05d}.npy")
            counts += np.bincount(a[a >= 0], minlength=len(ACTIONS))[: len(ACTIONS)]
        out["action_histogram"] = {name: int(c) for name, c in zip(ACTIONS, counts)}
    return out


def run(args) -> int:
    from genie_studio.commands._common import CommandError, print_json

    cmd = args.data_command
    if cmd == "generate":
        from genie_studio.data.generate import generate_dataset

        if args.episodes < 1:
            raise CommandError("--episodes must be at least 1")
        try:
            out = generate_dataset(
                args.out,
                args.episodes,
                args.style,
                args.seed,
                _resolution(args.resolution),
                args.episode_len,
                max(1, args.workers),
                progress=not args.json,
                overwrite=args.overwrite,
            )
        except (ValueError, FileExistsError) as e:
            raise CommandError(
                str(e) + (" (use --overwrite)" if isinstance(e, FileExistsError) else "")
            ) from None
        if args.json:
            print_json(info(out))
        else:
            print(out)
        return 0
    if cmd == "import":
        from genie_studio.data.video_import import import_videos

        try:
            rep = import_videos(
                args.inputs,
                args.out,
                _resolution(args.resolution),
                args.fps,
                progress=not args.json,
                overwrite=args.overwrite,
            )
        except (ValueError, FileExistsError) as e:
            raise CommandError(str(e)) from None
        failed = [s for s in rep.skipped if s[1].startswith("cannot read")]
        if args.json:
            print_json({"path": rep.path and str(rep.path), "imported": rep.imported, "frames": rep.frames,
                        "skipped": [{"path": p, "reason": r} for p, r in rep.skipped]})
        else:
            for path, reason in rep.skipped:
                print(f"skipped {path}: {reason}", file=sys.stderr)
            where = f"into {rep.path}" if rep.path else f"(nothing written: {args.out} was not created)"
            print(f"imported {len(rep.imported)} videos and image sequences ({rep.frames} frames) {where}; "
                  f"skipped {len(rep.skipped)} files ({len(failed)} unreadable)")
        return 3 if failed or not rep.imported else 0
    if cmd == "info":
        try:
            summary = info(args.dir)
        except (FileNotFoundError, ValueError) as e:
            raise CommandError(str(e)) from None
        if args.json:
            print_json(summary)
        else:
            h, w = summary["resolution"]
            print(
                f"{summary['path']}: {summary['episodes']} episodes, {summary['frames']} frames, {h}x{w} "
                f"@ {summary['fps']} fps, styles {', '.join(summary['styles'] or [])}, "
                f"{summary['size_bytes'] / 1e6:.1f} MB, labels: {'yes' if summary['has_labels'] else 'no'}"
            )
            for name, c in (summary.get("action_histogram") or {}).items():
                tot = max(sum(summary["action_histogram"].values()), 1)
                print(f"  {name:<11} {c:>8} {100 * c / tot:5.1f}%")
        return 0
    raise CommandError(f"unknown data action {cmd!r}")
