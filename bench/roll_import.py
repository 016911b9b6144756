"""Benchmark: import a 3,000-person roll through the real pages, on a fresh database.

    .venv/bin/python bench/roll_import.py                      # SQLite in a temp dir
    .venv/bin/python bench/roll_import.py --postgres            # PostgreSQL (temp schema)
    .venv/bin/python bench/roll_import.py --people 20000        # the upload limit

Each step goes through the HTTP layer (upload + validation + diff, the preview page,
the confirmation that applies it), so the figures are what an organizer waits for.
Steps: first import of the whole roll, the same file again (0 changes), the village's
own export imported back (0 changes), and a file with one person in ten changed.
Nothing is asserted: the figures are printed.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from starlette.datastructures import Secret
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.accounts.models import Role
from app.accounts.services import create_user
from app.audit.services import SYSTEM
from app.db import Database, make_engine
from app.main import create_app
from app.migrate import upgrade_to_head
from app.registry.models import Township, Village
from app.settings import Settings, normalize_database_url

HEADER = "编号,姓名,性别,出生年月,户号,户代表,村民小组,育龄妇女小组,协会联户组,村民代表,村干部,协会会员,登记类别,住址"
# A throw-away account on a throw-away database.
PASSWORD = secrets.token_urlsafe(16)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def roll(people: int, changed_every: int = 0) -> bytes:
    rows = [HEADER]
    for n in range(people):
        household = n // 4
        changed = changed_every and n % changed_every == 0
        rows.append(
            ",".join(
                [
                    f"R{n:05d}",
                    f"村民{n}" + ("改" if changed else ""),
                    "男" if n % 2 else "女",
                    f"19{40 + n % 60}-{1 + n % 12:02d}",
                    f"{household:04d}",
                    "是" if n % 4 == 0 else "否",
                    f"第{household % 9 + 1}村民小组",
                    f"{household % 9 + 1}组育龄妇女小组" if n % 2 == 0 else "",
                    f"协会联户组{household % 40 + 1}",
                    "是" if n % 50 == 0 else "否",
                    "是" if n % 300 == 0 else "否",
                    "是" if n % 3 == 0 else "否",
                    "户籍在本村外出" if n % 10 == 0 else "",
                    f"山前路{household}号",
                ]
            )
        )
    return ("\n".join(rows) + "\n").encode("utf-8")


def fresh_database(postgres: str | None, tmp: Path) -> tuple[str, Callable[[], None]]:
    if postgres is None:
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    schema = f"cunyi_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(normalize_database_url(postgres))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    base = normalize_database_url(postgres)
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def seed(database: Database) -> int:
    with database.transaction() as session:
        township = Township(code="BENCH", name="基准镇")
        session.add(township)
        session.flush()
        village = Village(township_id=township.id, code="001", name="基准村")
        session.add(village)
        session.flush()
        create_user(
            session,
            SYSTEM,
            username="bench",
            display_name="基准",
            password=PASSWORD,
            role=Role.ORGANIZER,
            township_id=township.id,
            village_id=village.id,
        )
        return village.id


def token(client: TestClient, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    assert match, path
    return match.group(1)


def import_once(client: TestClient, village_id: int, name: str, content: bytes) -> dict[str, float]:
    upload_path = f"/villages/{village_id}/import"
    csrf = token(client, upload_path)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    response = client.post(
        upload_path, data={"csrf_token": csrf}, files={"roll_file": (name, content, "text/csv")}
    )
    timings["upload+check"] = time.perf_counter() - started
    assert response.status_code == 303, response.text[:2000]
    preview = response.headers["location"]
    started = time.perf_counter()
    page = client.get(preview)
    timings["preview"] = time.perf_counter() - started
    counts = re.findall(r"<li>((?:新增|修改|没有变化)[^<]*)</li>", page.text)
    started = time.perf_counter()
    response = client.post(f"{preview}/apply", data={"csrf_token": csrf})
    timings["apply"] = time.perf_counter() - started
    assert response.status_code == 303, response.text[:2000]
    print(f"  {name:<22} " + "  ".join(f"{k} {v:6.2f}s" for k, v in timings.items()), end="")
    print(f"  total {sum(timings.values()):6.2f}s   [{'，'.join(counts)}]")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://127.0.0.1:5432/test",
        default=None,
        help="run on PostgreSQL (default URL postgresql://127.0.0.1:5432/test)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, cleanup = fresh_database(args.postgres, tmp)
        try:
            upgrade_to_head(url)
            database = Database(make_engine(url))
            village_id = seed(database)
            settings = Settings(database_url=url, secret_key=Secret("bench"), data_dir=tmp)
            app = create_app(settings, database=database)
            print(f"{database.engine.dialect.name}, {args.people} people")
            with TestClient(app, follow_redirects=False) as client:
                client.post(
                    "/signin",
                    data={
                        "username": "bench",
                        "password": PASSWORD,
                        "csrf_token": token(client, "/signin"),
                    },
                )
                first = roll(args.people)
                import_once(client, village_id, "first import", first)
                import_once(client, village_id, "same file again", first)
                exported = client.get(f"/villages/{village_id}/export.csv").content
                import_once(client, village_id, "export imported back", exported)
                import_once(client, village_id, "1 in 10 changed", roll(args.people, 10))
            database.dispose()
        finally:
            cleanup()


if __name__ == "__main__":
    main()
