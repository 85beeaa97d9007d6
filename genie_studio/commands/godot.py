"""Work with a Godot project: `install` copies the Genie Studio addon for the project's engine (Godot 3 or
4, read from its project.godot) into PROJECT/addons/genie_studio and enables it. Export clips into the
project with `genie-studio export REC --to-godot PROJECT` (docs/export.md)."""

from genie_studio.commands._common import add_json_arg, print_json


def add_arguments(p):
    sub = p.add_subparsers(dest="godot_command", metavar="ACTION", required=True)
    i = sub.add_parser("install", help="install and enable the addon in a Godot project",
                       description="Copy the addon that matches the project's engine (Godot 3 or 4, from "
                                   "project.godot) into PROJECT_DIR/addons/genie_studio, replacing an older copy, "
                                   "and enable it in project.godot (other enabled plugins stay).")
    i.add_argument("project", metavar="PROJECT_DIR", help="the Godot project's folder (it holds project.godot)")
    i.add_argument("--texture-filter", choices=("auto", "nearest", "keep"), default="auto",
                   help="Godot 4: the project's default texture filter. auto: Nearest (crisp pixels) unless the "
                   "project has chosen one; nearest: always; keep: leave project.godot's rendering settings alone")
    add_json_arg(i, "print what was installed as JSON")


def run(args) -> int:
    from genie_studio.commands._common import CommandError
    from genie_studio.export.base import ExportError
    from genie_studio.export.godot_project import install_addon

    try:
        done = install_addon(args.project, texture_filter=args.texture_filter)
    except ExportError as e:
        raise CommandError(str(e)) from None
    if args.json:
        print_json(done)
        return 0
    verb = "updated" if done["replaced"] else "installed"
    print(f"{verb} the Godot {done['engine']} addon in {done['addon']} ({done['files']} files) and enabled it; "
          f"export clips into the project with: genie-studio export REC --to-godot {done['project']}")
    f = done["texture_filter"]  # None for Godot 3 (its importer filters each texture)
    if f is not None and f["changed"]:
        print(f"default texture filter: {f['was']} -> nearest (crisp pixels)")
    elif f is not None:
        kept = " (--texture-filter nearest sets Nearest)" if f["now"] != "nearest" else ""
        print(f"default texture filter: {f['now']}, left as the project has it{kept}")
    return 0
