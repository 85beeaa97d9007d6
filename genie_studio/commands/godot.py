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
    add_json_arg(i, "print what was installed as JSON")


def run(args) -> int:
    from genie_studio.commands._common import CommandError
    from genie_studio.export.base import ExportError
    from genie_studio.export.godot_project import install_addon

    try:
        done = install_addon(args.project)
    except ExportError as e:
        raise CommandError(str(e)) from None
    if args.json:
        print_json(done)
        return 0
    verb = "updated" if done["replaced"] else "installed"
    print(f"{verb} the Godot {done['engine']} addon in {done['addon']} ({done['files']} files) and enabled it; "
          f"export clips into the project with: genie-studio export REC --to-godot {done['project']}")
    return 0
