"""The adversary of issue 12, who holds the database's files: his tools, for the forensic tests.

He holds every file of the deployment at any moment (SQLite's database file and its
write-ahead log, the data directory with `secret.key`), or is a PostgreSQL superuser
who reads xmin, ctid, raw pages (pageinspect) and the WAL files. The server runs
unmodified code. These tools read what he reads, the way he would:

- SQLite: the database file and WAL are parsed by hand from the documented file format
  (https://www.sqlite.org/fileformat2.html): the WAL's frames, checksums and commits,
  the state of the database after every committed transaction the WAL still holds, the
  b-tree pages of each table and index with the offset of every cell in its page (a
  new cell lands below the previous one: offsets tell insertion order), rowids.
- PostgreSQL: xmin and ctid of every row, pageinspect's heap tuples (dead ones too,
  with their contents), the raw pages of every relation of the schema and the WAL
  written since the attacker started watching.

An attack orders the records that someone voted (the *use* rows) every way it can,
orders the rows that hold choices every way it can, and pairs them rank by rank; it
also follows direct links (one WAL commit adding one use and one choice, a use and a
choice whose transaction ids are a step apart). `score` counts, for the best of these
guesses, how many voters get their true choice, and sets the bar chance cannot reach:
see `threshold`.

Nothing here imports the application (only the standard library, SQLAlchemy and
PyNaCl), so the same tools run against a database made by an older version of the code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import shutil
import sqlite3
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id as argon2id
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

# --- what is attacked ------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A table the attacker reads: its key, the column naming the poll, and `value`:
    the voter column of a use table, the choice column of a choice table."""

    name: str
    key: str
    poll: str
    value: str


@dataclass(frozen=True)
class Kind:
    """One kind of secret vote: who voted (use) and where the choices end up."""

    label: str
    use: Table
    choices: tuple[Table, ...]


# The sealed box's ciphertext rows (app.sealed_box). Their "value" is their own key: the
# attacker can order and link them, never read them.
SEALED = Table("sealed_choice", "id", "box_id", "id")

BALLOTS = Kind(
    "ballots",
    Table("credential_use", "id", "round_id", "credential_id"),
    (Table("ballot", "id", "round_id", "marks"), Table("receipt", "code", "round_id", "code")),
)
MOTIONS = Kind(
    "QR motion votes",
    Table("motion_vote_use", "id", "motion_id", "person_id"),
    (Table("motion_vote", "id", "motion_id", "choice"),),
)
SURVEYS = Kind(
    "survey answers",
    Table("survey_participation", "id", "survey_id", "person_id"),
    (Table("survey_response", "id", "survey_id", "answers"),),
)

# What the attacker also takes, to try to open the sealed choices.
KEY_MATERIAL_TABLES = ("sealed_box", "sealed_box_holder", "sealed_choice", "staff_user")


@dataclass
class Findings:
    """What one look at the files gave the attacker."""

    # ordering name -> voters (use rows' voter column) in that order
    voters: dict[str, list[Any]] = field(default_factory=dict)
    # choice table -> ordering name -> keys in that order
    orders: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    # choice table -> attack name -> {voter: key}
    links: dict[str, dict[str, dict[Any, Any]]] = field(default_factory=dict)
    # choice table -> {key: choice} for every row whose choice he could read
    values: dict[str, dict[Any, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add_order(self, table: str, name: str, keys: Iterable[Any]) -> None:
        self.orders.setdefault(table, {})[name] = _unique(keys)

    def add_link(self, table: str, name: str, link: Mapping[Any, Any]) -> None:
        if link:
            self.links.setdefault(table, {})[name] = dict(link)

    def add_values(self, table: str, values: Mapping[Any, Any]) -> None:
        self.values.setdefault(table, {}).update(values)


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[Any] = set()
    found = []
    for item in items:
        if item not in seen:
            seen.add(item)
            found.append(item)
    return found


# --- scoring ---------------------------------------------------------------------------


def binomial_tail(n: int, p: float, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(max(k, 0), n + 1))


def chance(truth: Iterable[Any]) -> float:
    """The chance that a voter paired at random gets their own choice: sum of (n_c/N)^2
    (1/3 for choices split 10/10/10, 1/30 for 30 distinct receipts)."""
    counts = Counter(truth)
    total = sum(counts.values())
    return sum((c / total) ** 2 for c in counts.values()) if total else 0.0


def threshold(n: int, p: float, tries: int, alpha: float = 0.001) -> int:
    """The fewest matches that chance reaches with probability below `alpha`, over all
    `tries` guesses together (Bonferroni: each guess is held to alpha / tries).

    A guess pairs each voter with one choice row; were the rows in an order that says
    nothing, each voter would get their own choice with probability p, so the matches
    of one guess are about Binomial(n, p) (tests/security/test_forensic_ballots.py checks
    this bound against a simulation of random orders).
    """
    bound = alpha / max(tries, 1)
    for k in range(n + 1):
        if binomial_tail(n, p, k) <= bound:
            return k
    return n + 1


@dataclass(frozen=True)
class Score:
    table: str
    attack: str
    matches: int
    guessed: int
    voters: int
    chance: float
    threshold: int

    @property
    def beats_chance(self) -> bool:
        return self.matches >= self.threshold

    def __str__(self) -> str:
        return (
            f"{self.table}: {self.matches}/{self.voters} linked by {self.attack} "
            f"(chance {self.chance * self.voters:.1f}/{self.voters}, "
            f"fails at {self.threshold})"
        )


def score(
    findings: Findings, truth: Mapping[str, Mapping[Any, Any]], alpha: float = 0.001
) -> dict[str, list[Score]]:
    """Every guess the findings allow, scored against the truth ({table: {voter:
    choice}}), best first per table."""
    scored: dict[str, list[Score]] = {}
    for table, true in truth.items():
        values = findings.values.get(table, {})
        guesses: list[tuple[str, dict[Any, Any]]] = []
        for voters_name, voters in findings.voters.items():
            for order_name, keys in findings.orders.get(table, {}).items():
                readable = [values[k] for k in keys if k in values]
                for suffix, sequence in (("", readable), (" reversed", readable[::-1])):
                    guess: dict[Any, Any] = {}
                    for voter, choice in zip(voters, sequence, strict=False):
                        guess.setdefault(voter, choice)
                    guesses.append((f"{voters_name} ~ {order_name}{suffix}", guess))
        for name, link in findings.links.get(table, {}).items():
            guesses.append((name, {v: values[k] for v, k in link.items() if k in values}))
        p = chance(true.values())
        bar = threshold(len(true), p, len(guesses), alpha)
        table_scores = [
            Score(
                table,
                name,
                sum(1 for voter, choice in guess.items() if true.get(voter, _NOTHING) == choice),
                len(guess),
                len(true),
                p,
                bar,
            )
            for name, guess in guesses
        ]
        table_scores.sort(key=lambda s: (-s.matches, s.attack))
        scored[table] = table_scores or [Score(table, "nothing readable", 0, 0, len(true), p, bar)]
    return scored


_NOTHING = object()


def best(scores: Mapping[str, Sequence[Score]]) -> dict[str, Score]:
    return {table: found[0] for table, found in scores.items()}


def describe(scores: Mapping[str, Sequence[Score]], top: int = 3) -> str:
    return "\n".join(str(s) for found in scores.values() for s in found[:top])


# --- reading in clear ------------------------------------------------------------------


def clear_hits(blobs: Mapping[str, bytes], needles: Mapping[str, bytes]) -> list[str]:
    """Which needle (a choice, in the bytes a row or a payload would hold) is in which
    blob (a file, a WAL, a relation's pages)."""
    return [
        f"{label} in {where}"
        for where, blob in blobs.items()
        for label, needle in needles.items()
        if needle and needle in blob
    ]


# --- SQLite: the file format -----------------------------------------------------------

LEAF_TABLE, LEAF_INDEX, INTERIOR_TABLE, INTERIOR_INDEX = 13, 10, 5, 2
WAL_HEADER, FRAME_HEADER = 32, 24


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        byte = buf[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    return (value << 8) | buf[pos + 8], pos + 9


def _serial_size(serial: int) -> int:
    if serial >= 12:
        return (serial - 12) // 2 if serial % 2 == 0 else (serial - 13) // 2
    return (0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0)[serial]


def _serial_value(serial: int, chunk: bytes) -> Any:
    if serial == 0:
        return None
    if 1 <= serial <= 6:
        return int.from_bytes(chunk, "big", signed=True)
    if serial == 7:
        return struct.unpack(">d", chunk)[0]
    if serial in (8, 9):
        return serial - 8
    if serial >= 12 and serial % 2 == 0:
        return bytes(chunk)
    if serial >= 13:
        return chunk.decode("utf-8", errors="replace")
    return None


def decode_record(payload: bytes) -> tuple[Any, ...]:
    """A record's values; those cut off (overflow not at hand) are None."""
    try:
        header_size, pos = _varint(payload, 0)
        serials = []
        while pos < header_size:
            serial, pos = _varint(payload, pos)
            serials.append(serial)
    except IndexError:
        return ()
    values = []
    body = header_size
    for serial in serials:
        size = _serial_size(serial)
        chunk = payload[body : body + size]
        values.append(_serial_value(serial, chunk) if len(chunk) == size else None)
        body += size
    return tuple(values)


@dataclass(frozen=True)
class Cell:
    page_no: int
    offset: int  # where the cell starts in its page
    rowid: int | None
    values: tuple[Any, ...]


def _local_size(payload: int, usable: int, table_leaf: bool) -> int:
    most = usable - 35 if table_leaf else ((usable - 12) * 64 // 255) - 23
    least = ((usable - 12) * 32 // 255) - 23
    if payload <= most:
        return payload
    k = least + ((payload - least) % (usable - 4))
    return k if k <= most else least


def _overflow(pages: Mapping[int, bytes], first: int, wanted: int, usable: int) -> bytes:
    chunks: list[bytes] = []
    page_no, seen = first, set()
    while page_no and wanted > 0 and page_no in pages and page_no not in seen:
        seen.add(page_no)
        page = pages[page_no]
        chunk = page[4 : min(usable, 4 + wanted)]
        chunks.append(chunk)
        wanted -= len(chunk)
        page_no = int.from_bytes(page[:4], "big")
    return b"".join(chunks)


def page_cells(
    pages: Mapping[int, bytes], page_no: int, usable: int
) -> tuple[int, list[tuple[int, int | None, int | None, bytes | None]], int | None]:
    """(page type, cells as (offset, left child, rowid, payload), right child).

    The payload is completed from overflow pages found in `pages`.
    """
    page = pages[page_no]
    head = 100 if page_no == 1 else 0
    kind = page[head]
    if kind not in (LEAF_TABLE, LEAF_INDEX, INTERIOR_TABLE, INTERIOR_INDEX):
        return kind, [], None
    count = int.from_bytes(page[head + 3 : head + 5], "big")
    interior = kind in (INTERIOR_TABLE, INTERIOR_INDEX)
    pointers = head + (12 if interior else 8)
    right = int.from_bytes(page[head + 8 : head + 12], "big") if interior else None
    cells: list[tuple[int, int | None, int | None, bytes | None]] = []
    for i in range(count):
        offset = int.from_bytes(page[pointers + 2 * i : pointers + 2 * i + 2], "big")
        try:
            pos = offset
            child = None
            if interior:
                child = int.from_bytes(page[pos : pos + 4], "big")
                pos += 4
            if kind == INTERIOR_TABLE:
                cells.append((offset, child, _varint(page, pos)[0], None))
                continue
            size, pos = _varint(page, pos)
            rowid: int | None = None
            if kind == LEAF_TABLE:
                rowid, pos = _varint(page, pos)
            local = _local_size(size, usable, kind == LEAF_TABLE)
            payload = page[pos : pos + local]
            if local < size:
                first = int.from_bytes(page[pos + local : pos + local + 4], "big")
                payload += _overflow(pages, first, size - local, usable)
            cells.append((offset, child, rowid, payload))
        except IndexError:
            continue
    return kind, cells, right


def walk(pages: Mapping[int, bytes], root: int, usable: int) -> tuple[list[Cell], list[int]]:
    """Every entry of the b-tree at `root`, in key order, and its pages in tree order."""
    cells: list[Cell] = []
    order: list[int] = []
    seen: set[int] = set()

    def visit(page_no: int | None) -> None:
        if not page_no or page_no in seen or page_no not in pages:
            return
        seen.add(page_no)
        order.append(page_no)
        kind, found, right = page_cells(pages, page_no, usable)
        for offset, child, rowid, payload in found:
            if kind in (INTERIOR_TABLE, INTERIOR_INDEX):
                visit(child)
            if kind != INTERIOR_TABLE:
                cells.append(Cell(page_no, offset, rowid, decode_record(payload or b"")))
        visit(right)

    visit(root)
    return cells, order


@dataclass(frozen=True)
class Frame:
    index: int
    page_no: int
    commit_size: int  # the database's size in pages after a commit; 0 for other frames
    valid: bool  # salts and running checksum match: SQLite would use it
    data: bytes


def _checksum(data: bytes, s0: int, s1: int, big: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def wal_frames(wal: bytes) -> list[Frame]:
    """Every frame of the WAL, with whether SQLite would still use it (a frame left
    from before the WAL was last restarted is readable all the same)."""
    if len(wal) < WAL_HEADER:
        return []
    magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">6I", wal[:24])
    big = magic & 1 == 1
    s0, s1 = _checksum(wal[:24], 0, 0, big)
    frames = []
    pos, index, valid = WAL_HEADER, 0, True
    while pos + FRAME_HEADER + page_size <= len(wal):
        page_no, commit, f1, f2, c0, c1 = struct.unpack(">6I", wal[pos : pos + FRAME_HEADER])
        data = wal[pos + FRAME_HEADER : pos + FRAME_HEADER + page_size]
        if valid:
            s0, s1 = _checksum(wal[pos : pos + 8], s0, s1, big)
            s0, s1 = _checksum(data, s0, s1, big)
            valid = (f1, f2) == (salt1, salt2) and (s0, s1) == (c0, c1)
        frames.append(Frame(index, page_no, commit, valid, data))
        pos += FRAME_HEADER + page_size
        index += 1
    return frames


@dataclass(frozen=True)
class BTree:
    name: str
    root: int
    columns: tuple[str | None, ...]  # in record order; None: the rowid, in an index


@dataclass(frozen=True)
class TableInfo:
    tree: BTree
    rowid: bool  # a rowid table whose single integer primary key is the rowid
    key: str
    indexes: tuple[BTree, ...]

    def row(self, cell: Cell) -> dict[str | None, Any]:
        row = dict(zip(self.tree.columns, cell.values, strict=False))
        if self.rowid:
            row[self.key] = cell.rowid
        return row


class SqliteCopy:
    """The database file, its WAL and shared-memory index, copied byte for byte at one
    moment (as `cp` would, while the server runs)."""

    def __init__(self, database: Path, into: Path) -> None:
        into.mkdir(parents=True, exist_ok=False)
        self.directory = into
        self.path = into / database.name
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{database}{suffix}")
            if source.exists():
                shutil.copyfile(source, Path(f"{self.path}{suffix}"))
        self.db = self.path.read_bytes()
        wal = Path(f"{self.path}-wal")
        self.wal = wal.read_bytes() if wal.exists() else b""
        self.frames = wal_frames(self.wal)
        header = self.db[:100] if len(self.db) >= 100 else b""
        if header:
            size = int.from_bytes(header[16:18], "big")
            self.page_size = 65536 if size == 1 else size
            reserved = header[20]
        else:
            self.page_size = struct.unpack(">I", self.wal[8:12])[0]
            reserved = 0
        self.usable = self.page_size - reserved

    def blobs(self) -> dict[str, bytes]:
        return {"the database file": self.db, "the WAL": self.wal}

    def file_pages(self) -> dict[int, bytes]:
        size = self.page_size
        return {i // size + 1: self.db[i : i + size] for i in range(0, len(self.db), size)}

    def history(self) -> list[dict[int, bytes]]:
        """The database as of the last checkpoint (the file), then after each committed
        transaction the WAL holds, oldest first: the last is what SQLite reads now."""
        current = self.file_pages()
        images = [current]
        pending: dict[int, bytes] = {}
        for frame in self.frames:
            if not frame.valid:
                break
            pending[frame.page_no] = frame.data
            if frame.commit_size:
                current = {
                    n: p for n, p in {**current, **pending}.items() if n <= frame.commit_size
                }
                pending = {}
                images.append(current)
        return images

    def connect(self) -> sqlite3.Connection:
        """The copy opened with sqlite3 (itself copied first: opening replays and
        checkpoints the WAL, which must not change what the attacker holds)."""
        scratch = self.directory / "scratch"
        scratch.mkdir(exist_ok=True)
        target = scratch / self.path.name
        target.write_bytes(self.db)
        if self.wal:
            Path(f"{target}-wal").write_bytes(self.wal)
        return sqlite3.connect(target)

    def schema(self) -> dict[str, TableInfo]:
        connection = self.connect()
        try:
            masters = connection.execute(
                "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master"
            ).fetchall()
            tables: dict[str, TableInfo] = {}
            for kind, name, _tbl, root, sql in masters:
                if kind != "table" or not root:
                    continue
                info = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
                pk = sorted((c for c in info if c[5]), key=lambda c: c[5])
                without_rowid = "WITHOUT ROWID" in (sql or "").upper()
                if without_rowid:
                    columns = [c[1] for c in pk] + [c[1] for c in info if not c[5]]
                else:
                    columns = [c[1] for c in info]
                rowid = not without_rowid and len(pk) == 1 and pk[0][2].upper() == "INTEGER"
                indexes = []
                for kind2, index, table, root2, _sql in masters:
                    if kind2 == "index" and table == name and root2:
                        xinfo = connection.execute(f'PRAGMA index_xinfo("{index}")').fetchall()
                        indexes.append(BTree(index, root2, tuple(c[2] for c in xinfo)))
                key = pk[0][1] if pk else "rowid"
                tables[name] = TableInfo(
                    BTree(name, root, tuple(columns)), rowid, key, tuple(indexes)
                )
            return tables
        finally:
            connection.close()

    def rows(self, table: str) -> list[dict[str, Any]]:
        connection = self.connect()
        connection.row_factory = sqlite3.Row
        try:
            exists = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            if not exists:
                return []
            return [dict(r) for r in connection.execute(f'SELECT * FROM "{table}"')]
        finally:
            connection.close()


def _physical_orders(
    cells: Sequence[Cell], pages: Sequence[int], key_of: Callable[[Cell], Any]
) -> dict[str, list[Any]]:
    rank = {page: i for i, page in enumerate(pages)}
    return {
        "key order": [key_of(c) for c in cells],
        "page number, cell offset down": [
            key_of(c) for c in sorted(cells, key=lambda c: (c.page_no, -c.offset))
        ],
        "tree page, cell offset down": [
            key_of(c) for c in sorted(cells, key=lambda c: (rank[c.page_no], -c.offset))
        ],
        "cell offset down": [
            key_of(c) for c in sorted(cells, key=lambda c: (-c.offset, c.page_no))
        ],
    }


def attack_sqlite(
    copy: SqliteCopy, kind: Kind, polls: Mapping[str, int], tables: Sequence[Table] = ()
) -> Findings:
    """Every ordering and link of the kind's rows the copied files give (see the module).

    `polls`: the poll's id in each table's poll column ({table name: id}). `tables`:
    more choice tables to attack (SEALED, while voting is open).
    """
    findings = Findings()
    schema = copy.schema()
    history = copy.history()
    current = history[-1]
    usable = copy.usable
    findings.notes.append(
        f"{len(copy.frames)} WAL frames ({sum(f.valid for f in copy.frames)} in use), "
        f"{len(history) - 1} committed transactions in the WAL"
    )

    def in_poll(table: Table, info: TableInfo) -> dict[Any, Cell]:
        """key -> cell, for the rows of the poll seen in any committed state."""
        found: dict[Any, Cell] = {}
        for image in history:
            for cell in walk(image, info.tree.root, usable)[0]:
                row = info.row(cell)
                if row.get(table.poll) == polls[table.name] and row.get(table.key) is not None:
                    found.setdefault(row[table.key], cell)
        return found

    def orders_of(table: Table, info: TableInfo, keep: Mapping[Any, Any]) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        cells, pages = walk(current, info.tree.root, usable)
        for name, keys in _physical_orders(
            cells, pages, lambda c: info.row(c).get(table.key)
        ).items():
            found[f"{table.name} {name}"] = [k for k in keys if k in keep]
        for index in info.indexes:
            cells, pages = walk(current, index.root, usable)
            for name, keys in _physical_orders(
                cells, pages, lambda c: c.values[-1] if c.values else None
            ).items():
                found[f"index {index.name} {name}"] = [k for k in keys if k in keep]
        # The WAL: when each row first appears, commit by commit (within one commit,
        # the lower cell came later).
        first: dict[Any, tuple[int, int]] = {}
        for step, image in enumerate(history):
            for cell in walk(image, info.tree.root, usable)[0]:
                key = info.row(cell).get(table.key)
                if key in keep and key not in first:
                    first[key] = (step, -cell.offset)
        found[f"{table.name} WAL commit order"] = sorted(first, key=lambda k: first[k])
        return found

    def added_per_commit(table: Table, info: TableInfo, keep: Mapping[Any, Any]) -> list[list[Any]]:
        seen: set[Any] = set()
        steps = []
        for image in history:
            cells = walk(image, info.tree.root, usable)[0]
            new = [
                c
                for c in cells
                if info.row(c).get(table.key) in keep and info.row(c).get(table.key) not in seen
            ]
            new.sort(key=lambda c: -c.offset)
            keys = [info.row(c).get(table.key) for c in new]
            seen.update(keys)
            steps.append(keys)
        return steps

    use_info = schema.get(kind.use.name)
    if use_info is None:
        findings.notes.append(f"no table {kind.use.name}")
        return findings
    uses = in_poll(kind.use, use_info)
    voter_of = {key: use_info.row(cell).get(kind.use.value) for key, cell in uses.items()}
    for name, keys in orders_of(kind.use, use_info, voter_of).items():
        findings.voters[name] = [voter_of[k] for k in keys]
    use_steps = added_per_commit(kind.use, use_info, voter_of)

    for table in (*kind.choices, *tables):
        info = schema.get(table.name)
        if info is None:
            findings.notes.append(f"no table {table.name}")
            continue
        rows = {key: info.row(cell) for key, cell in in_poll(table, info).items()}
        findings.add_values(
            table.name, {k: r.get(table.value) for k, r in rows.items() if r.get(table.value)}
        )
        for name, keys in orders_of(table, info, rows).items():
            findings.add_order(table.name, name, keys)
        link: dict[Any, Any] = {}
        for used, added in zip(use_steps, added_per_commit(table, info, rows), strict=True):
            if used and len(used) == len(added):
                link.update(zip((voter_of[k] for k in used), added, strict=True))
        findings.add_link(table.name, "a WAL commit adding one use and one row", link)
    return findings


# --- PostgreSQL ------------------------------------------------------------------------


def _ctid(value: str) -> tuple[int, int]:
    block, item = value.strip("()").split(",")
    return int(block), int(item)


def _pg_text(raw: bytes | None) -> str | None:
    """A varchar/text attribute as pageinspect gives it (with its varlena header)."""
    if raw is None or not raw:
        return None
    first = raw[0]
    if first == 0x01:  # a TOAST pointer: not inline
        return None
    if first & 0x01:
        return raw[1 : first >> 1].decode("utf-8", errors="replace")
    length = int.from_bytes(raw[:4], "little") >> 2
    if first & 0x02:  # compressed inline: leave it
        return None
    return raw[4:length].decode("utf-8", errors="replace")


def _pg_int(raw: bytes | None) -> int | None:
    return None if raw is None else int.from_bytes(raw, "little", signed=True)


def pageinspect_schema(connection: Connection) -> str | None:
    """Where pageinspect's functions are, creating the extension if it is missing (a
    superuser may); None when it cannot be had."""
    found = connection.scalar(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'pageinspect'"
        )
    )
    if found:
        return str(found)
    try:  # the connection autocommits: a refusal leaves nothing to roll back
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public"))
    except DBAPIError:
        return None
    return pageinspect_schema(connection)


def _heap_tuples(
    connection: Connection, pi: str, table: str
) -> list[tuple[int, int, int, int, dict[str, bytes | None]]]:
    """(block, line pointer, t_xmin, t_xmax, {column: raw bytes}) of every tuple with
    storage in the table's heap, live or dead."""
    columns = list(
        connection.scalars(
            text(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass)"
                " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            ),
            {"t": table},
        )
    )
    blocks = connection.scalar(
        text("SELECT pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int"),
        {"t": table},
    )
    found = []
    for block in range(int(blocks or 0)):
        rows = connection.execute(
            text(
                f"SELECT lp, t_xmin::text::bigint, t_xmax::text::bigint, t_attrs"
                f" FROM {pi}.heap_page_item_attrs({pi}.get_raw_page(:t, :b),"
                f" CAST(:t AS regclass)) WHERE t_attrs IS NOT NULL"
            ),
            {"t": table, "b": block},
        )
        for lp, xmin, xmax, attrs in rows:
            values = [bytes(a) if a is not None else None for a in attrs]
            found.append((block, lp, xmin, xmax, dict(zip(columns, values, strict=False))))
    return found


def _xmin_links(
    uses: Sequence[tuple[Any, int]], rows: Sequence[tuple[Any, int]]
) -> dict[str, dict[Any, Any]]:
    """For each step d: {voter: key} where a row's transaction id is the use's plus d,
    when exactly one row is."""
    by_xmin: dict[int, list[Any]] = {}
    for key, xmin in rows:
        by_xmin.setdefault(xmin, []).append(key)
    links = {}
    for step in range(-3, 4):
        link = {}
        for voter, xmin in uses:
            keys = _unique(by_xmin.get(xmin + step, []))
            if len(keys) == 1:
                link[voter] = keys[0]
        links[f"transaction id = the use's {step:+d}"] = link
    return links


def attack_postgres(
    connection: Connection,
    kind: Kind,
    polls: Mapping[str, int],
    tables: Sequence[Table] = (),
    *,
    pi: str | None = None,
) -> Findings:
    """What a superuser derives from xmin, ctid and (with `pi`, pageinspect's schema)
    the heap pages, dead tuples included."""
    findings = Findings()
    use = kind.use
    use_rows = connection.execute(
        text(
            f"SELECT {use.key}, {use.value}, xmin::text::bigint, ctid::text FROM {use.name}"
            f" WHERE {use.poll} = :p"
        ),
        {"p": polls[use.name]},
    ).all()
    findings.voters["use key order"] = [r[1] for r in sorted(use_rows, key=lambda r: r[0])]
    findings.voters["use xmin order"] = [r[1] for r in sorted(use_rows, key=lambda r: r[2])]
    findings.voters["use ctid order"] = [r[1] for r in sorted(use_rows, key=lambda r: _ctid(r[3]))]
    uses = [(r[1], int(r[2])) for r in use_rows]
    for table in (*kind.choices, *tables):
        rows = connection.execute(
            text(
                f"SELECT {table.key}, {table.value}, xmin::text::bigint, ctid::text"
                f" FROM {table.name} WHERE {table.poll} = :p"
            ),
            {"p": polls[table.name]},
        ).all()
        findings.add_values(table.name, {r[0]: str(r[1]) for r in rows})
        findings.add_order(table.name, "key order", [r[0] for r in sorted(rows)])
        findings.add_order(
            table.name,
            "xmin order",
            [r[0] for r in sorted(rows, key=lambda r: (r[2], _ctid(r[3])))],
        )
        findings.add_order(
            table.name, "ctid order", [r[0] for r in sorted(rows, key=lambda r: _ctid(r[3]))]
        )
        for name, link in _xmin_links(uses, [(r[0], int(r[2])) for r in rows]).items():
            findings.add_link(table.name, name, link)
        if pi is None:
            continue
        tuples = [
            t
            for t in _heap_tuples(connection, pi, table.name)
            if _pg_int(t[4].get(table.poll)) == polls[table.name]
        ]
        keyed = [
            (b, lp, xmin, _pg_text(attrs.get(table.key)), attrs)
            for b, lp, xmin, _x, attrs in tuples
        ]
        findings.add_values(
            table.name,
            {
                key: value
                for *_rest, key, attrs in keyed
                if key is not None and (value := _pg_text(attrs.get(table.value))) is not None
            },
        )
        findings.add_order(
            table.name,
            "heap tuples, dead too, page order",
            [k[3] for k in sorted(keyed, key=lambda k: (k[0], k[1]))],
        )
        findings.add_order(
            table.name,
            "heap tuples, dead too, t_xmin order",
            [k[3] for k in sorted(keyed, key=lambda k: (k[2], k[0], k[1]))],
        )
        for name, link in _xmin_links(uses, [(k[3], k[2]) for k in keyed]).items():
            findings.add_link(table.name, f"heap tuples (dead too): t_{name}", link)
        findings.notes.append(
            f"{table.name}: {len(keyed)} heap tuples, "
            f"{sum(1 for t in tuples if t[3])} with t_xmax set (deleted or updated)"
        )
    return findings


def relation_pages(connection: Connection, pi: str) -> dict[str, bytes]:
    """The raw pages of every relation of the current schema (tables, indexes, TOAST)."""
    relations = connection.execute(
        text(
            "SELECT c.oid::regclass::text FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'm')"
            " UNION SELECT t.oid::regclass::text FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class t ON t.oid = c.reltoastrelid"
            " WHERE n.nspname = current_schema()"
        )
    ).scalars()
    blobs = {}
    for name in relations:
        blocks = connection.scalar(
            text(
                "SELECT pg_relation_size(CAST(:r AS regclass)) / current_setting('block_size')::int"
            ),
            {"r": name},
        )
        if not blocks:
            continue
        pages = connection.scalars(
            text(f"SELECT {pi}.get_raw_page(:r, b) FROM generate_series(0, :n - 1) b"),
            {"r": name, "n": int(blocks)},
        )
        blobs[f"the pages of {name}"] = b"".join(bytes(p) for p in pages)
    return blobs


def wal_position(connection: Connection) -> str:
    return str(connection.scalar(text("SELECT pg_current_wal_lsn()::text")))


def wal_since(connection: Connection, start: str) -> bytes:
    """The WAL bytes written since `start` (an LSN), read from pg_wal as a superuser.
    Other databases of the cluster write there too."""
    end = wal_position(connection)
    (first, first_offset), (last, last_offset) = (
        connection.execute(
            text("SELECT file_name, file_offset FROM pg_walfile_name_offset(CAST(:l AS pg_lsn))"),
            {"l": lsn},
        ).one()
        for lsn in (start, end)
    )
    size = int(
        connection.scalar(
            text("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'")
        )
        or 16 * 1024 * 1024
    )
    per_id = 0x100000000 // size
    timeline = first[:8]

    def number(name: str) -> int:
        return int(name[8:16], 16) * per_id + int(name[16:24], 16)

    chunks = []
    for segment in range(number(first), number(last) + 1):
        name = f"{timeline}{segment // per_id:08X}{segment % per_id:08X}"
        offset = first_offset if segment == number(first) else 0
        length = (last_offset if segment == number(last) else size) - offset
        if length > 0:
            chunks.append(
                bytes(
                    connection.scalar(
                        text("SELECT pg_read_binary_file(:f, :o, :n)"),
                        {"f": f"pg_wal/{name}", "o": offset, "n": length},
                    )
                )
            )
    return b"".join(chunks)


def table_rows(connection: Connection, table: str) -> list[dict[str, Any]]:
    exists = connection.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table})
    if not exists:
        return []
    return [dict(r._mapping) for r in connection.execute(text(f'SELECT * FROM "{table}"'))]


# --- one look at the files, either database --------------------------------------------


@dataclass
class Look:
    """What the attacker holds after one look: his findings, the raw bytes he can grep
    (`private`: written by this database only; `shared`: PostgreSQL's WAL, which other
    databases of the cluster write too) and the rows he may use as key material."""

    moment: str
    findings: Findings
    private: dict[str, bytes]
    shared: dict[str, bytes]
    rows: dict[str, list[dict[str, Any]]]

    def clear_hits(
        self, private: Mapping[str, bytes], unique: Mapping[str, bytes] | None = None
    ) -> list[str]:
        """Needles found: `private` ones in this database's own bytes, `unique` ones
        (random receipts, sealing payloads) there and in the shared WAL too."""
        unique = unique or {}
        return clear_hits(self.private, {**private, **unique}) + clear_hits(self.shared, unique)

    def scores(self, truth: Mapping[str, Mapping[Any, Any]]) -> dict[str, list[Score]]:
        return score(self.findings, truth)


class Adversary:
    """Whoever holds the database, watching one poll of one kind from now on."""

    def __init__(self, url: str, workdir: Path, kind: Kind, polls: Mapping[str, int]) -> None:
        self.url = url
        self.workdir = workdir
        self.kind = kind
        self.polls = dict(polls)
        self.is_sqlite = url.startswith("sqlite")
        self.pageinspect: str | None = None
        self._engine: Engine | None = None
        self._wal_start = ""
        if not self.is_sqlite:
            self._engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with self._engine.connect() as connection:
                self._wal_start = wal_position(connection)
                self.pageinspect = pageinspect_schema(connection)

    def look(self, moment: str, tables: Sequence[Table] = ()) -> Look:
        if self.is_sqlite:
            database = make_url(self.url).database
            assert database
            slug = re.sub(r"\W+", "-", moment).strip("-")
            copy = SqliteCopy(Path(database), self.workdir / slug)
            findings = attack_sqlite(copy, self.kind, self.polls, tables)
            rows = {t: copy.rows(t) for t in KEY_MATERIAL_TABLES}
            return Look(moment, findings, copy.blobs(), {}, rows)
        assert self._engine is not None
        with self._engine.connect() as connection:
            if self.pageinspect:
                # pageinspect's SQL functions call each other unqualified.
                connection.execute(
                    text(
                        "SELECT set_config('search_path',"
                        " quote_ident(current_schema()) || ', ' || quote_ident(:pi), false)"
                    ),
                    {"pi": self.pageinspect},
                )
            findings = attack_postgres(
                connection, self.kind, self.polls, tables, pi=self.pageinspect
            )
            private = relation_pages(connection, self.pageinspect) if self.pageinspect else {}
            shared = {"the WAL (pg_wal)": wal_since(connection, self._wal_start)}
            rows = {t: table_rows(connection, t) for t in KEY_MATERIAL_TABLES}
        if self.pageinspect is None:
            findings.notes.append("pageinspect unavailable: no heap tuples, no raw pages")
        return Look(moment, findings, private, shared, rows)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


# --- opening a sealed choice without the holders' passwords ----------------------------

BOX_KEY_PERSON = b"cunyi-box-key"


def _material(value: Any) -> Iterator[bytes]:
    """The byte strings an attacker makes of one stored value."""
    if value is None:
        return
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        yield value
        return
    raw = str(value)
    yield raw.encode("utf-8")
    for decode in (
        bytes.fromhex,
        base64.b64decode,
        base64.urlsafe_b64decode,
        lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)),
    ):
        try:
            decoded = decode(raw)
        except (ValueError, binascii.Error):
            continue
        yield decoded


def _candidates(material: Iterable[Any]) -> Iterator[bytes]:
    """32-byte values made of the material: every 32-byte window of a short value, the
    value hashed (SHA-256, SHA-512, BLAKE2b, and BLAKE2b personalised as the box key
    derivation is), and the box key derivation of every 16-byte window."""
    for value in material:
        for item in _material(value):
            if len(item) <= 256:
                for i in range(len(item) - 31):
                    yield item[i : i + 32]
                for i in range(len(item) - 15):
                    yield hashlib.blake2b(
                        item[i : i + 16], digest_size=32, person=BOX_KEY_PERSON[:16]
                    ).digest()
            else:
                yield item[:32]
            yield hashlib.sha256(item).digest()
            yield hashlib.sha512(item).digest()[:32]
            yield hashlib.blake2b(item, digest_size=32).digest()
            yield hashlib.blake2b(item, digest_size=32, person=BOX_KEY_PERSON[:16]).digest()


@dataclass(frozen=True)
class OpeningAttempt:
    tried: int  # private keys tried
    opened: list[str]  # what opened (must stay empty)


def try_to_open(
    sealed: Sequence[bytes],
    public_keys: Iterable[bytes],
    material: Iterable[Any],
    *,
    password_guesses: Sequence[str] = (),
    kdf_params: Sequence[tuple[bytes, int, int]] = (),
) -> OpeningAttempt:
    """Try every 32-byte value made of `material` as an X25519 private key (as it is,
    and as the seed libsodium derives a key pair from) against the known public keys and
    by opening the first sealed choice and every sealed share; then argon2id of each
    password guess with each holder's salt and limits ((salt, opslimit, memlimit)).

    `sealed`: what to open; each candidate key tries each, so pass a few (one sealed
    choice and the sealed shares), not all."""
    known = {bytes(k) for k in public_keys if k}
    targets = [bytes(s) for s in sealed if s]
    opened: list[str] = []
    tried = 0
    seen: set[bytes] = set()

    def attempt(key: PrivateKey, how: str) -> None:
        nonlocal tried
        tried += 1
        if bytes(key.public_key) in known:
            opened.append(f"a private key matching a stored public key, from {how}")
        for target in targets:
            try:
                SealedBox(key).decrypt(target)
            except CryptoError:
                continue
            opened.append(f"a sealed value opened with a key from {how}")

    for candidate in _candidates(material):
        if candidate in seen or len(candidate) != 32:
            continue
        seen.add(candidate)
        attempt(PrivateKey(candidate), "the stored material")
        attempt(PrivateKey.from_seed(candidate), "the stored material, as a seed")
    for salt, opslimit, memlimit in kdf_params:
        for guess in password_guesses:
            seed = argon2id.kdf(
                32, guess.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit
            )
            attempt(PrivateKey.from_seed(seed), f"argon2id of the guess {guess!r}")
    return OpeningAttempt(tried, opened)


# --- judging one look ------------------------------------------------------------------


def linking_verdict(
    look: Look, truth: Mapping[str, Mapping[Any, Any]]
) -> tuple[list[str], list[str]]:
    """(problems, summary): per choice table, the best guess of the look and whether it
    beats chance by the bar of `threshold`."""
    problems, summary = [], []
    for top in best(look.scores(truth)).values():
        line = f"{look.moment}: {top}"
        summary.append(line)
        if top.beats_chance:
            problems.append(f"linked beyond chance: {line}")
    return problems, summary


def opening_attempt(
    look: Look, box_id: int, extra_material: Sequence[Any], password_guesses: Sequence[str]
) -> OpeningAttempt:
    """Try to open the box's sealed choices with what the look holds (every row of
    sealed_box, sealed_box_holder, sealed_choice and staff_user) and `extra_material`
    (the data directory's secret.key, the settings' secret)."""
    boxes = [r for r in look.rows["sealed_box"] if r["id"] == box_id]
    holders = [r for r in look.rows["sealed_box_holder"] if r["box_id"] == box_id]
    sealed = [bytes(r["sealed"]) for r in look.rows["sealed_choice"] if r["box_id"] == box_id]
    material: list[Any] = [
        value
        for table in KEY_MATERIAL_TABLES
        for row in look.rows[table]
        for column, value in row.items()
        if (table, column) != ("sealed_choice", "sealed")
    ]
    material += [s[:32] for s in sealed]  # each sealed box's ephemeral public key
    material += list(extra_material)
    kdf = [
        (bytes(h["salt"]), int(h["opslimit"]), int(h["memlimit"]))
        for h in holders
        if h["salt"] and h["opslimit"] and h["memlimit"]
    ]
    return try_to_open(
        sealed[:1] + [bytes(h["sealed_share"]) for h in holders if h["sealed_share"]],
        [bytes(b["public_key"]) for b in boxes if b["public_key"]]
        + [bytes(h["public_key"]) for h in holders if h["public_key"]],
        material,
        password_guesses=password_guesses,
        kdf_params=kdf,
    )


@dataclass
class Verdict:
    """Everything one forensic test found: problems fail it, the summary is its record."""

    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def linking(self, look: Look, truth: Mapping[str, Mapping[Any, Any]]) -> None:
        problems, summary = linking_verdict(look, truth)
        self.problems += problems
        self.summary += summary

    def mid_vote(
        self,
        look: Look,
        truth: Mapping[str, Mapping[Any, Any]],
        sealed_truth: Mapping[Any, Any],
        needles: tuple[Mapping[str, bytes], Mapping[str, bytes]],
        *,
        box_id: int,
        extra_material: Sequence[Any],
        password_guesses: Sequence[str],
    ) -> None:
        """While voting is open: no choice readable in clear or as a row, no linking
        beyond chance, no sealed choice opened; and the tools' check: the sealed rows'
        order is seen (or a failing attack on the choices would prove nothing)."""
        private, unique = needles
        self.problems += [
            f"{look.moment}, in clear: {hit}" for hit in look.clear_hits(private, unique)
        ]
        for table in truth:
            if look.findings.values.get(table):
                self.problems.append(
                    f"{look.moment}: {len(look.findings.values[table])} {table} rows readable"
                )
        self.linking(look, truth)
        control = best(look.scores({SEALED.name: sealed_truth}))[SEALED.name]
        self.summary.append(f"{look.moment} (the tools' check, on ciphertext): {control}")
        if not control.beats_chance:
            self.problems.append(
                "the tools no longer see the casting order of the sealed rows, so their "
                f"failing on the choices proves nothing: {control}"
            )
        attempt = opening_attempt(look, box_id, extra_material, password_guesses)
        self.summary.append(f"{look.moment}: {attempt.tried} private keys tried on the box")
        self.problems += [f"{look.moment}, a sealed choice opened: {how}" for how in attempt.opened]

    def no_sealed_traces(
        self, before: Look, after: Look, box_id: int, *, shares: bool = True
    ) -> None:
        """The sealed rows and the holders' shares seen mid-vote are gone from the
        database's own bytes (the files; PostgreSQL: every relation's pages). Without
        `shares`, only the sealed rows (a meeting's box keeps its key for its next
        motion)."""
        rows = [r for r in before.rows[SEALED.name] if r["box_id"] == box_id]
        needles = {f"sealed row {r['id']}": bytes(r["sealed"])[:64] for r in rows}
        holders = [r for r in before.rows["sealed_box_holder"] if shares and r["box_id"] == box_id]
        needles |= {
            f"holder {r['holder_id']}'s sealed share of the box key": bytes(r["sealed_share"])
            for r in holders
            if r["sealed_share"]
        }
        self.problems += [
            f"{after.moment}, a trace of a {hit}" for hit in clear_hits(after.private, needles)
        ]

    def report(self, *looks: Look) -> str:
        notes = [f"{look.moment}: {note}" for look in looks for note in look.findings.notes]
        return "\n".join([*self.summary, *notes])
