"""List the bundled and user models."""

from genie_studio.commands._common import print_json


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args):
    from genie_studio.model_catalog import list_models, search_dirs

    models = list_models()
    if args.json:
        print_json(models)
        return 0
    if not models:
        print("no models found in " + ", ".join(str(d) for d in search_dirs()))
        return 0
    for m in models:
        status = ("bundled" if m["bundled"] else "user") if m["valid"] else "INVALID: " + m["error"]
        print(f"{m['name']:24} {status:8} {m['path']}")
        if m.get("actions"):
            print(f"{'':24} actions: {', '.join(m['actions'])}")
    return 0
