"""Serve models to remote editors over websockets (loopback by default).

Binds 127.0.0.1 unless --host says otherwise; any other address needs --token-file (a missing token
file is created with a random token, readable by you only: copy it to the editor's machine). Logs
are JSON lines on stderr. SIGINT/SIGTERM stop it gracefully: clients are told, then disconnected.
Protocol and limits: docs/protocol.md.
"""

from __future__ import annotations

from genie_studio.commands._common import add_knob_args


def add_arguments(p):
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=8765, help="port (0: any free port; the log says which)")
    p.add_argument("--token-file", help="file holding the access token (created if missing)")
    p.add_argument("--model", "-m", action="append", default=None,
                   help="model name or folder to serve (repeat for several; the first is the default)")
    p.add_argument("--tls-cert", help="TLS certificate (PEM) for wss://")
    p.add_argument("--tls-key", help="TLS private key (PEM)")
    p.add_argument("--max-sessions", type=int, default=64, help="sessions on the whole server")
    p.add_argument("--max-sessions-per-client", type=int, default=8, help="sessions one client may hold")
    p.add_argument("--max-message", type=int, default=8 * 1024 * 1024, help="bytes per message")
    p.add_argument("--step-rate", type=float, default=120.0, help="steps per second per client")
    p.add_argument("--idle-timeout", type=float, default=300.0, help="seconds before an idle client is closed")
    p.add_argument("--resume-grace", type=float, default=120.0,
                   help="seconds a dropped client's sessions wait for it to come back")
    p.add_argument("--batch-window-ms", type=float, default=2.0, help="how long to gather steps into a batch")
    p.add_argument("--max-rewind", type=int, default=16,
                   help="steps a session can rewind; each kept step costs the model's keys and values per frame")
    add_knob_args(p, "device", "precision", "compile")


def run(args):
    from genie_studio.remote import jsonlog

    handler = jsonlog.setup()
    try:
        return _serve(args, jsonlog)
    finally:
        jsonlog.teardown(handler)


def _serve(args, jsonlog) -> int:
    import asyncio
    import signal

    from genie_studio.commands._common import CommandError, knobs_from_args
    from genie_studio.model_catalog import resolve_model
    from genie_studio.remote.auth import AuthError, ensure_token_file, is_loopback, token_file_is_private
    from genie_studio.remote.engine import Engine
    from genie_studio.remote.limits import ServerConfig
    from genie_studio.remote.server import WorldServer
    from genie_studio.session.devices import resolve_device, resolve_precision
    from genie_studio.world.bundle import BundleError

    token = None
    if args.token_file:
        try:
            token, created = ensure_token_file(args.token_file)
        except AuthError as e:
            raise CommandError(str(e)) from None
        if created:
            jsonlog.log("token_created", path=args.token_file)
        elif not token_file_is_private(args.token_file):
            jsonlog.log("token_file_readable_by_others", path=args.token_file, advice="chmod 600 it")
    elif not is_loopback(args.host):
        raise CommandError(f"refusing to listen on {args.host} without --token-file: anyone who can reach "
                           f"this machine could use it (or keep the default --host 127.0.0.1)")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise CommandError("TLS needs both --tls-cert and --tls-key")
    for opt, lo in (("max_sessions", 1), ("max_sessions_per_client", 1), ("max_message", 1024), ("max_rewind", 1)):
        if getattr(args, opt) < lo:
            raise CommandError(f"--{opt.replace('_', '-')} must be at least {lo}")
    knobs = knobs_from_args(args, names=("device", "precision", "compile"))  # the model: --model, one or more
    try:
        device = resolve_device(knobs.device)
        precision = resolve_precision(knobs.precision, device)
        paths = [resolve_model(m) for m in (args.model or [None])]
        engine = Engine.from_paths(paths, device=device, precision=precision)
    except (BundleError, ValueError) as e:
        raise CommandError(str(e)) from None
    from genie_studio.session import compiled

    if compiled.enabled(knobs.compile):
        engine.compile_in_background(on_done=lambda name, report: jsonlog.log("compiled", model=name, **report))
    cfg = ServerConfig(host=args.host, port=args.port, token=token, tls_cert=args.tls_cert, tls_key=args.tls_key,
                       max_sessions=args.max_sessions, max_sessions_per_client=args.max_sessions_per_client,
                       max_message=args.max_message, max_prompt=min(4 * 1024 * 1024, args.max_message - 1024),
                       step_rate=args.step_rate, step_burst=max(1, int(args.step_rate * 2)),
                       idle_timeout=args.idle_timeout, resume_grace=args.resume_grace,
                       batch_window_ms=args.batch_window_ms, max_rewind=args.max_rewind)

    async def main():
        server = WorldServer(engine, cfg)
        stop = asyncio.Event()  # SIGINT/SIGTERM handled before "listening" is logged: a stop is always clean
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda s=sig: (jsonlog.log("signal", signal=s.name), stop.set()))
        try:
            await server.start()
        except OSError as e:
            raise CommandError(f"cannot listen on {cfg.host}:{cfg.port}: {e.strerror or e}") from None
        except ValueError as e:
            raise CommandError(str(e)) from None
        await stop.wait()
        await server.shutdown("server stopping")

    asyncio.run(main())
    return 0
