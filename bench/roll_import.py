"""Benchmark: import a 3,000-person roll through the real pages, on a fresh database.

    .venv/bin/python bench/roll_import.py                      # SQLite in a temp dir
    .venv/bin/python bench/roll_import.py --postgres            # PostgreSQL (temp schema)
    .venv/bin/python bench/roll_import.py --people 20000        # the upload limit
    .venv/bin/python bench/roll_import.py --xlsx                # the roll as an .xlsx file

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
from pathlib import Path

from starlette.datastructures import Secret
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.accounts.services import create_user
from app.actors import SYSTEM
from app.db import Database, make_engine
from app.main import create_app
from app.migrate import upgrade_to_head
from app.permissions import Role
from app.registry.models import Township, Village
from app.settings import Settings
from bench.common import fresh_database

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


def xlsx(csv_bytes: bytes) -> bytes:
    """The same roll as an Excel workbook, as villages keep it."""
    import io

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    for line in csv_bytes.decode("utf-8").splitlines():
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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


def measure(
    postgres: str | None = None, people: int = 3000, *, as_xlsx: bool = True, full: bool = True
) -> float:
    """Seconds of the first import of a `people` roll (upload, check, preview, apply)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, cleanup = fresh_database(postgres, tmp)
        try:
            upgrade_to_head(url)
            database = Database(make_engine(url))
            village_id = seed(database)
            settings = Settings(database_url=url, secret_key=Secret("bench"), data_dir=tmp)
            app = create_app(settings, database=database)
            print(
                f"{database.engine.dialect.name}, {people} people, {'xlsx' if as_xlsx else 'csv'}"
            )
            with TestClient(app, follow_redirects=False) as client:
                client.post(
                    "/signin",
                    data={
                        "username": "bench",
                        "password": PASSWORD,
                        "csrf_token": token(client, "/signin"),
                    },
                )
                first = roll(people)
                if as_xlsx:
                    upload, name = xlsx(first), "first import.xlsx"
                else:
                    upload, name = first, "first import"
                seconds = sum(import_once(client, village_id, name, upload).values())
                if full:
                    import_once(client, village_id, "same file again", upload)
                    exported = client.get(f"/villages/{village_id}/export.csv").content
                    import_once(client, village_id, "export imported back", exported)
                    import_once(client, village_id, "1 in 10 changed", roll(people, 10))
            database.dispose()
        finally:
            cleanup()
    return seconds


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
    parser.add_argument("--xlsx", action="store_true", help="upload the roll as .xlsx")
    args = parser.parse_args()
    measure(args.postgres, args.people, as_xlsx=args.xlsx)


if __name__ == "__main__":
    main()
