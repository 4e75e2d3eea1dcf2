"""The `opsdesk` command: serve, worker, demo, user create, token create, mail, manage (see ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    _migrate()
    call_command("collectstatic", interactive=False, verbosity=0)
    # The web processes are forked from this one: none may inherit its database connection (two processes
    # on one PostgreSQL session mix their statements up; a thread of each opens its own, the main thread
    # would not).
    from django.db import connections

    connections.close_all()
    worker = None
    if not args.no_worker:
        # The embedded worker is a child process running the same consumer as `opsdesk worker`.
        worker = subprocess.Popen([sys.executable, "-m", "opsdesk.cli", "worker"])
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            # One thread: the sync worker, which takes a connection only when it is free, so the load spreads
            # over the processes (gthread's poller accepts while its thread is busy, and keeps the
            # connection). More threads: gthread.
            self.cfg.set("worker_class", "sync" if args.threads <= 1 else "gthread")
            self.cfg.set("threads", args.threads)
            self.cfg.set("accesslog", "-" if settings.DEBUG else None)
            self.cfg.set("timeout", 60)
            # gunicorn's control socket defaults to one path per user: keep it per data directory so that
            # two OpsDesk instances on one machine do not take each other's.
            self.cfg.set("control_socket", str(settings.DATA_DIR / "gunicorn.ctl"))

        def load(self):
            from opsdesk.config.wsgi import application

            return application

    print(f"OpsDesk on http://{args.host}:{args.port}/  (data: {settings.DATA_DIR})", flush=True)
    try:
        Server().run()
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    _migrate()
    call_command("run_huey", workers=args.workers, worker_type="thread")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from opsdesk.demo import load_demo

    logins = load_demo(incidents=args.incidents, seed=args.seed)
    if args.json:
        print(json.dumps(logins, ensure_ascii=False, indent=2))
    else:
        print("OpsDesk demo data loaded. Logins (username / password / roles):")
        for login in logins:
            roles = ", ".join(f"{g['role']}@{g['contract']}" for g in login["roles"]) or "-"
            print(f"  {login['username']:<14} {login['password']:<14} {login.get('organisation') or '-':<10} {roles}")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from django.db import transaction

    from opsdesk.accounts import services
    from opsdesk.accounts.choices import Role
    from opsdesk.accounts.models import Contract, Organisation
    from opsdesk.core.errors import DomainError

    try:
        with transaction.atomic():
            org = None
            if args.org:
                org = Organisation.objects.filter(code=args.org).first()
                if org is None:
                    raise DomainError(f"unknown organisation {args.org!r}")
            contracts = []
            if args.contract:
                for code in args.contract:
                    contract = Contract.objects.filter(code=code).first()
                    if contract is None:
                        raise DomainError(f"unknown contract {code!r}")
                    contracts.append(contract)
            elif args.role and org is not None:
                contracts = list(Contract.objects.filter(organisation=org, is_active=True))
            if args.role and args.role not in Role.values:
                raise DomainError(f"unknown role {args.role!r}; one of: {', '.join(Role.values)}")
            admin = args.superuser or args.role in (Role.SYSTEM_ADMIN,)
            if args.role and not contracts and not admin:
                raise DomainError("a role is granted per contract: give --contract CODE (or --org CODE)")
            user = services.user_create(by=None, username=args.name, password=args.password,
                                        full_name=args.full_name or "", phone=args.phone or "",
                                        email=args.email or "", organisation=org, is_superuser=admin,
                                        check_password=False)
            for contract in contracts:
                services.role_grant(by=None, user=user, role=args.role, contract=contract)
    except DomainError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        print(f"error: {exc.message}{' (' + detail + ')' if detail else ''}", file=sys.stderr)
        return 2
    print(f"created {user.username}" + (f" as {args.role} on {', '.join(c.code for c in contracts)}"
                                        if contracts else ""))
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from opsdesk.accounts import services
    from opsdesk.accounts.models import User

    user = User.objects.filter(username=args.name).first()
    if user is None:
        print(f"error: unknown user {args.name!r}", file=sys.stderr)
        return 2
    print(services.api_token_create(by=None, user=user, name=args.label or "cli"))
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    argv = [args.mail_command]
    if args.mail_command == "ingest":
        if args.contract:
            argv += ["--contract", args.contract]
        if args.file:
            argv += ["--file", args.file]
    try:
        call_command("mail", *argv)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.returncode or 2
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opsdesk manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsdesk", description="OpsDesk IT service management")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="migrate, then run the web server with an embedded worker")
    p.add_argument("--host", default=os.environ.get("OPSDESK_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("OPSDESK_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("OPSDESK_WEB_WORKERS", "2")))
    # One thread per process (gunicorn's sync worker): on CPU-bound Django, threads only queue on the GIL
    # (bench/RESULTS.md); nginx in front buffers slow clients (operator guide).
    p.add_argument("--threads", type=int, default=int(os.environ.get("OPSDESK_WEB_THREADS", "1")))
    p.add_argument("--no-worker", action="store_true", help="do not start the embedded background worker")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run a background worker")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo", help="load the demo dataset and print the logins")
    p.add_argument("--json", action="store_true", help="print the logins as JSON")
    p.add_argument("--incidents", type=int, default=300)
    p.add_argument("--seed", type=int, default=20261122)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("user", help="manage people")
    usub = p.add_subparsers(dest="user_command", required=True)
    c = usub.add_parser("create", help="create a person, optionally granting a role")
    c.add_argument("name")
    c.add_argument("--role")
    c.add_argument("--org")
    c.add_argument("--contract", action="append", help="grant the role on this contract (repeatable)")
    c.add_argument("--password")
    c.add_argument("--full-name")
    c.add_argument("--phone")
    c.add_argument("--email")
    c.add_argument("--superuser", action="store_true")
    c.set_defaults(func=cmd_user_create)

    p = sub.add_parser("token", help="manage API tokens")
    tsub = p.add_subparsers(dest="token_command", required=True)
    c = tsub.add_parser("create", help="create an API token for a person and print it")
    c.add_argument("name")
    c.add_argument("--label")
    c.set_defaults(func=cmd_token_create)

    p = sub.add_parser("mail", help="e-mail intake: ingest a message from standard input, poll the mailboxes")
    msub = p.add_subparsers(dest="mail_command", required=True)
    c = msub.add_parser("ingest", help="ingest one message from standard input; print the ticket number or why not")
    c.add_argument("--contract", help="the contract's code (default: the mailbox of a recipient address)")
    c.add_argument("--file", help="read the message from this file instead of standard input")
    c.set_defaults(func=cmd_mail)
    c = msub.add_parser("poll", help="poll every enabled mailbox once")
    c.set_defaults(func=cmd_mail)

    p = sub.add_parser("manage", help="run any Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
