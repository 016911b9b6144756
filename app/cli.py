"""The `cunyi` command: serve, migrate, demo, create-admin, verify-audit, recount."""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import demo
from app.accounts.services import MIN_PASSWORD_LENGTH, create_user
from app.actors import SYSTEM
from app.audit.services import (
    AnchorClaim,
    AnchorProblem,
    AnchorSyntaxError,
    check_anchors,
    entries_about,
    iter_entries,
    parse_anchor,
    parse_anchor_lines,
    verify_chain,
)
from app.db import Database, make_engine
from app.errors import DomainError
from app.main import create_app
from app.migrate import upgrade_to_head
from app.permissions import Role
from app.public_address import is_loopback_url, lan_addresses
from app.recount import RecountInputError, recount
from app.registry.models import Township
from app.settings import Settings, load_settings
from ballots.counting import count_round, export_bytes, export_document
from ballots.models import Round, RoundOutcome
from ballots.results.services import announced_input, outcomes_of, result_text
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
    host = "0.0.0.0" if args.lan else args.host  # noqa: S104 (--lan: phones on this network)
    print(f"Serving on http://{host}:{args.port} (按 Ctrl+C 停止)")
    for line in phone_addresses(settings, host, args.port):
        print(line)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=args.port,
        log_level="warning",
        # Every villager's link /s/<token> is a live credential: no access log at all.
        access_log=False,
        workers=1,
        proxy_headers=args.proxy_headers,
    )
    return 0


def phone_addresses(settings: Settings, host: str, port: int) -> list[str]:
    """What to tell the organizer about the address villagers' phones will open."""
    if settings.public_url:
        lines = [f"QR links point at CUNYI_PUBLIC_URL={settings.public_url} (二维码链接用这个地址)"]
        if is_loopback_url(settings.public_url):
            lines.append("  Warning: that address opens only on this machine (只有本机能打开)")
        return lines
    if host in ("127.0.0.1", "localhost", "::1"):
        return [
            "Phones cannot reach this address; for an assembly run `cunyi serve --lan` "
            "(手机连不上本机地址；开大会请用 cunyi serve --lan)"
        ]
    found = lan_addresses()
    if not found:
        return ["No network address found: is Wi-Fi or the hotspot on? (没有找到网络地址)"]
    lines = ["Phones on this network can open (同一网络的手机可以打开):"]
    lines += [f"  http://{address}:{port}" for address in found]
    lines.append(
        "Open the slip sheet through one of these, or set CUNYI_PUBLIC_URL to it "
        "(用上面的地址打开打印页，或把它设为 CUNYI_PUBLIC_URL)"
    )
    return lines


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


# Chinese lines for a failed anchor, by AnchorProblem.reason.
_ANCHOR_PROBLEMS_ZH = {
    "truncated": "第 {seq} 条记录不见了，审计记录只到第 {last} 条：最新的记录被删除了。",
    "removed": "第 {seq} 条记录不见了，被删除了。",
    "rehashed": "第 {seq} 条记录的校验码和锚点上的不同：到这一条为止的记录被改写过"
    "（改动后重算了校验码，或删除后又写入了别的记录）。",
    "reordered": "锚点上的那条记录现在排在第 {moved} 条，顺序被调换了。",
    "broken": "第 {seq} 条记录的校验码还对得上，但它之前的审计链已被破坏。",
}


def _anchors_of(args: argparse.Namespace) -> list[AnchorClaim]:
    """--anchor SEQ:HASH (repeatable) and --anchors FILE (repeatable; - is standard input)."""
    claims = [parse_anchor(text) for text in args.anchor or []]
    for name in args.anchors or []:
        if name == "-":
            claims += parse_anchor_lines(sys.stdin.read().splitlines(), "<stdin>")
            continue
        try:
            text = Path(name).read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise AnchorSyntaxError(
                f"读不到锚点文件 {name} (cannot read the anchors file {name}: {error})"
            ) from None
        claims += parse_anchor_lines(text.splitlines(), name)
    return claims


@dataclass(frozen=True)
class RoundProblem:
    """A counted round whose stored data no longer give what was recorded when announced."""

    round_id: int
    number: int
    election_id: int
    title: str
    export_sha256: str  # the export's SHA-256 from the data stored now
    recorded: tuple[tuple[str, str], ...]  # (record, the SHA-256 it holds) that differ
    results_differ: tuple[str, ...]  # result records showing what a recount does not give

    def describe(self) -> str:
        by_hash: dict[str, list[str]] = {}
        for where, sha256 in self.recorded:
            by_hash.setdefault(sha256, []).append(where)
        found = [
            f"{', '.join(wheres)} recorded export SHA-256 {sha256}"
            for sha256, wheres in by_hash.items()
        ]
        if self.results_differ:
            found.append(
                f"the result shown by {', '.join(self.results_differ)} is not what a recount "
                "of the stored data gives"
            )
        return (
            f"election round id={self.round_id} ({self.title}, round {self.number}, election "
            f"id={self.election_id}): its stored ballots and roll now give export SHA-256 "
            f"{self.export_sha256}; " + "; ".join(found) + " (changed after announcement)"
        )


def _check_rounds(session: Session) -> tuple[int, list[RoundProblem]]:
    """Recount every round with a recorded result (announced, void, certified, annulled)
    from its stored data, the way `announce` counted it and hashed its export, and compare
    with the result records and the audit log's announcement entry."""
    rounds = session.scalars(
        select(Round).where(Round.id.in_(select(RoundOutcome.round_id))).order_by(Round.id)
    ).all()
    problems = []
    for round_ in rounds:
        data = announced_input(session, round_)
        export = hashlib.sha256(export_bytes(export_document(session, round_, data))).hexdigest()
        recounted = json.loads(result_text(count_round(data)))
        recorded: list[tuple[str, str]] = []
        results_differ: list[str] = []
        for outcome in outcomes_of(session, round_):
            name = f"round_outcome id={outcome.id} ({outcome.kind})"
            if outcome.sha256 != export:
                recorded.append((name, outcome.sha256))
            if json.loads(outcome.result_json) != recounted:
                results_differ.append(name)
        for entry in entries_about(session, "election.announce", "election_round", round_.id):
            logged = str(json.loads(entry.summary).get("export_sha256"))
            if logged != export:
                recorded.append((f"audit entry seq={entry.seq} (election.announce)", logged))
        if recorded or results_differ:
            election = round_.election
            problems.append(
                RoundProblem(
                    round_.id,
                    round_.number,
                    election.id,
                    election.title,
                    export,
                    tuple(recorded),
                    tuple(results_differ),
                )
            )
    return len(rounds), problems


def _print_anchor(anchor: AnchorClaim, problem: AnchorProblem | None) -> None:
    if problem is None:
        print(f"OK: anchor {anchor.label} matches entry seq={anchor.seq} (锚点相符).")
        return
    print(f"FAILED: {problem.describe()}", file=sys.stderr)
    detail = _ANCHOR_PROBLEMS_ZH[problem.reason].format(
        seq=anchor.seq, last=problem.last_seq, moved=problem.moved_to
    )
    print(f"锚点 {anchor.label} 对不上：{detail}", file=sys.stderr)


def cmd_verify_audit(settings: Settings, args: argparse.Namespace) -> int:
    try:
        anchors = _anchors_of(args)
    except AnchorSyntaxError as error:
        print(error, file=sys.stderr)
        return 2
    db = _database(settings)
    with db.transaction(write=False) as session:
        checked, problem = verify_chain(iter_entries(session))
        anchored = check_anchors(session, anchors, problem)
        # Signed minutes: their text must still hash to what the log recorded at signing.
        signed, minutes_problems = check_minutes(session)
        # Counted rounds: their stored ballots must still give the announced export.
        counted, round_problems = _check_rounds(session)
    db.dispose()
    failed = False
    if problem is None:
        print(f"OK: {checked} audit entries, chain intact (审计链完整).")
    else:
        print(f"FAILED after {checked} good entries: {problem.describe()}", file=sys.stderr)
        print(f"审计链被破坏：第 {problem.seq} 条记录有问题。", file=sys.stderr)
        failed = True
    for anchor, anchor_problem in anchored:
        _print_anchor(anchor, anchor_problem)
        failed = failed or anchor_problem is not None
    for found in minutes_problems:
        print(f"FAILED: {found.describe()}", file=sys.stderr)
        print(
            f"会议记录被改动：第 {found.minutes_id} 号会议记录（{found.title}）与签名时的哈希不符。",
            file=sys.stderr,
        )
        failed = True
    if not minutes_problems:
        print(f"OK: {signed} signed minutes and addenda match the log (签名的会议记录未被改动).")
    for mismatch in round_problems:
        print(f"FAILED: {mismatch.describe()}", file=sys.stderr)
        print(
            f"选举结果对不上：{mismatch.title} 第 {mismatch.number} 轮（id={mismatch.round_id}）"
            "现存的选票和名单与公布结果时记录的不符。",
            file=sys.stderr,
        )
        failed = True
    if not round_problems:
        print(
            f"OK: {counted} counted rounds recount to their announced export "
            "(公布的选举结果与现存选票一致)."
        )
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
    serve.add_argument(
        "--lan",
        action="store_true",
        help="listen on every network address, for phones on this network (prints them)",
    )
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
    verify = sub.add_parser(
        "verify-audit",
        help="recompute the audit hash chain, signed minutes and counted rounds, and check "
        "anchors printed on public notices",
    )
    verify.add_argument(
        "--anchor",
        action="append",
        metavar="SEQ:HASH",
        help="an anchor from a public notice (the QR code's SEQ:HASH, or the printed "
        "#SEQ · HASH with at least 16 hex digits); repeatable",
    )
    verify.add_argument(
        "--anchors",
        action="append",
        metavar="FILE",
        help="a file of anchors, one per line, # comments (- reads standard input); repeatable",
    )
    verify.set_defaults(handler=cmd_verify_audit)
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
