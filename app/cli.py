"""The `cunyi` command: serve, migrate, demo, create-admin, verify-audit, recount."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from sqlalchemy import select

from app import demo
from app.accounts.services import MIN_PASSWORD_LENGTH, create_user
from app.actors import SYSTEM
from app.audit.services import iter_entries, verify_chain
from app.db import Database, make_engine
from app.errors import DomainError
from app.main import create_app
from app.migrate import upgrade_to_head
from app.permissions import Role
from app.recount import RecountInputError, recount
from app.registry.models import Township
from app.settings import Settings, load_settings
from minutes.integrity import check_minutes


def _database(settings: Settings) -> Database:
    return Database(make_engine(settings.database_url))


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    upgrade_to_head(settings.database_url)
    print("Database is at the newest schema (数据库已迁移到最新版本).")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    db = _database(settings)
    with db.transaction() as session:
        if not demo.database_is_empty(session):
            print(
                "The database already has data; the demo loads only into an empty one.",
                file=sys.stderr,
            )
            print("数据库里已有数据，演示数据只装入空数据库。", file=sys.stderr)
            return 1
        signins = demo.build_demo(session, settings)
    demo.write_signins(settings.data_dir / "demo-signins.txt", signins)
    print(demo.format_signins(signins))
    db.dispose()
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate, load the demo into an empty database, print sign-ins, serve."""
    upgrade_to_head(settings.database_url)
    db = _database(settings)
    signins_path = settings.data_dir / "demo-signins.txt"
    if not args.no_demo:
        with db.transaction() as session:
            if demo.database_is_empty(session):
                demo.write_signins(signins_path, demo.build_demo(session, settings))
                print("Loaded the demo township (已装入演示数据).")
    db.dispose()
    signins = demo.read_signins(signins_path)
    if signins:
        print(demo.format_signins(signins))
    print(f"Serving on http://{args.host}:{args.port} (按 Ctrl+C 停止)")
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        # Every villager's link /s/<token> is a live credential: no access log at all.
        access_log=False,
        workers=1,
        proxy_headers=args.proxy_headers,
    )
    return 0


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Password (密码): ")
    if len(password) < MIN_PASSWORD_LENGTH:
        print(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters "
            f"(密码至少 {MIN_PASSWORD_LENGTH} 位).",
            file=sys.stderr,
        )
        return 2
    db = _database(settings)
    try:
        with db.transaction() as session:
            township = session.scalar(select(Township).where(Township.code == args.township_code))
            if township is None:
                if not args.township_name:
                    print(
                        f"No township with code {args.township_code}; pass --township-name "
                        "to create it (没有这个乡镇，请用 --township-name 创建).",
                        file=sys.stderr,
                    )
                    return 2
                township = Township(code=args.township_code, name=args.township_name)
                session.add(township)
                session.flush()
            create_user(
                session,
                SYSTEM,
                username=args.username,
                display_name=args.display_name or args.username,
                password=password,
                role=Role.TOWNSHIP_ADMIN,
                township_id=township.id,
                village_id=None,
            )
    except DomainError as error:
        print(error.render_message(), file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"Created township admin {args.username} (已创建乡镇管理员).")
    return 0


def cmd_verify_audit(settings: Settings, args: argparse.Namespace) -> int:
    db = _database(settings)
    with db.transaction(write=False) as session:
        checked, problem = verify_chain(iter_entries(session))
        # Signed minutes: their text must still hash to what the log recorded at signing.
        signed, minutes_problems = check_minutes(session)
    db.dispose()
    failed = False
    if problem is None:
        print(f"OK: {checked} audit entries, chain intact (审计链完整).")
    else:
        print(f"FAILED after {checked} good entries: {problem.describe()}", file=sys.stderr)
        print(f"审计链被破坏：第 {problem.seq} 条记录有问题。", file=sys.stderr)
        failed = True
    for found in minutes_problems:
        print(f"FAILED: {found.describe()}", file=sys.stderr)
        print(
            f"会议记录被改动：第 {found.minutes_id} 号会议记录（{found.title}）与签名时的哈希不符。",
            file=sys.stderr,
        )
        failed = True
    if not minutes_problems:
        print(f"OK: {signed} signed minutes and addenda match the log (签名的会议记录未被改动).")
    return 1 if failed else 0


def cmd_recount(settings: Settings | None, args: argparse.Namespace) -> int:
    """Count an election record (a tracker export, or any file in the same format)."""
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8-sig")
    except OSError as error:
        print(
            f"读不到文件 {args.file}：{error.strerror} (cannot read {args.file})", file=sys.stderr
        )
        return 2
    except UnicodeDecodeError:
        print("文件不是 UTF-8 编码的文本 (the file is not UTF-8 text)", file=sys.stderr)
        return 2
    try:
        result = recount(text)
    except RecountInputError as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cunyi", description="Cunyi (村议) command line")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, load the demo if empty, and serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-demo", action="store_true", help="do not load the demo township")
    serve.add_argument(
        "--proxy-headers", action="store_true", help="trust X-Forwarded-For from a reverse proxy"
    )
    serve.set_defaults(handler=cmd_serve)
    sub.add_parser("migrate", help="upgrade the database to the newest schema").set_defaults(
        handler=cmd_migrate
    )
    sub.add_parser("demo", help="load the demo township into an empty database").set_defaults(
        handler=cmd_demo
    )
    admin = sub.add_parser("create-admin", help="create a township admin account")
    admin.add_argument("username")
    admin.add_argument("--township-code", required=True)
    admin.add_argument("--township-name", help="create the township if it does not exist")
    admin.add_argument("--display-name")
    admin.add_argument("--password", help="read from a prompt when left out")
    admin.set_defaults(handler=cmd_create_admin)
    sub.add_parser("verify-audit", help="recompute the audit hash chain").set_defaults(
        handler=cmd_verify_audit
    )
    recount = sub.add_parser(
        "recount", help="count an election record (JSON) and print the result as JSON"
    )
    recount.add_argument("file", help="the election record, or - to read standard input")
    # Reads a file and prints: needs no settings, database or data directory.
    recount.set_defaults(handler=cmd_recount, needs_settings=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = args.handler
    settings = load_settings() if getattr(args, "needs_settings", True) else None
    return int(handler(settings, args))


if __name__ == "__main__":
    sys.exit(main())
