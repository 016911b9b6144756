"""Drills (演练, DESIGN decision 8): an election or a meeting rehearsed in minutes.

A drill is an ordinary election or meeting with a drill marker: when it started and how
many real seconds one of its days lasts. It has its own clock. Day 1 is the real date it
was created on and lasts `day_seconds`; drill "today" is that date plus the whole days
elapsed since, and drill "now" runs `86400 / day_seconds` times as fast from midnight of
day 1. Every day rule (roll publicity, objections, notice days) is then the same rule,
asked with the drill's today instead of the real one: `today_of` and `now_of` are the one
place the election and meeting code asks what day it is.

A drill is counted nowhere outside its own pages (the assessment, public listings, the
API, the home page filter it with `is_drill`), is marked 演练 on every page and printout
that belongs to it (the request layer's `Ctx.in_drill`, the `drill` page value and
templates/partials/drill_banner.html) and in the audit entries it causes (`mark_session`),
and is removed afterwards with `remove_rows`, which follows the foreign keys down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import CheckConstraint, Column, ColumnElement, Integer, Table, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, UTCDateTime
from app.forms import FormResult, whole_number
from app.i18n import gettext_
from app.templating import CHINA_TIME

DAY = 86400
# What the create forms accept for one drill day, in seconds (the setting may go lower,
# for tests: app.settings.Settings.drill_day_seconds).
FORM_MIN_DAY_SECONDS = 10
FORM_MAX_DAY_SECONDS = 3600
# Session.info key: the request works on a drill, so its audit entries say so.
SESSION_KEY = "cunyi_drill"


def china_today(now: datetime | None = None) -> date:
    """The real date in China."""
    return (now or datetime.now(UTC)).astimezone(CHINA_TIME).date()


@dataclass(frozen=True)
class DrillClock:
    """A drill's clock: day 1 is the date of `started_at` and lasts `day_seconds`."""

    started_at: datetime
    day_seconds: int

    @property
    def first_day(self) -> date:
        return china_today(self.started_at)

    def _elapsed(self, now: datetime | None) -> float:
        seconds = ((now or datetime.now(UTC)) - self.started_at).total_seconds()
        return max(seconds, 0.0)

    def day_number(self, now: datetime | None = None) -> int:
        """1 on the day the drill was created, 2 one day length later, ..."""
        return int(self._elapsed(now) // self.day_seconds) + 1

    def today(self, now: datetime | None = None) -> date:
        return self.first_day + timedelta(days=self.day_number(now) - 1)

    def now(self, now: datetime | None = None) -> datetime:
        """The drill's moment, in UTC: midnight of day 1 plus the elapsed time, sped up."""
        midnight = datetime.combine(self.first_day, time(), CHINA_TIME)
        return (
            midnight + timedelta(seconds=self._elapsed(now) * DAY / self.day_seconds)
        ).astimezone(UTC)

    def seconds_until(self, day: date, now: datetime | None = None) -> float:
        """Real seconds until drill day `day` begins (0 when it has)."""
        index = (day - self.first_day).days
        return max(index * self.day_seconds - self._elapsed(now), 0.0)

    def day_length_text(self) -> str:
        minutes, seconds = divmod(self.day_seconds, 60)
        if seconds == 0:
            return gettext_("%(n)s 分钟", n=minutes)
        return gettext_("%(n)s 秒", n=self.day_seconds)

    def describe(self, now: datetime | None = None) -> str:
        """演练第 N 天（YYYY-MM-DD），每天 X 分钟。"""
        return gettext_(
            "演练第 %(n)s 天（演练日期 %(day)s），演练中每天 %(length)s。",
            n=self.day_number(now),
            day=self.today(now).isoformat(),
            length=self.day_length_text(),
        )


class Drillable(Protocol):
    """An election or a meeting: its drill marker (both None for the real thing)."""

    drill_started_at: datetime | None
    drill_day_seconds: int | None


class DrillMarker:
    """The two columns of a drill marker, for a model that can be a drill.

    A model using it adds `drill_constraints(table)` to its `__table_args__`; the
    migration adds triggers that refuse to change the marker after the row is written.
    """

    drill_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    drill_day_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)

    @property
    def is_drill(self) -> bool:
        return self.drill_started_at is not None


def drill_constraints() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint(
            "(drill_started_at IS NULL AND drill_day_seconds IS NULL) OR "
            "(drill_started_at IS NOT NULL AND drill_day_seconds >= 1 "
            f"AND drill_day_seconds <= {DAY})",
            name="drill_marker",
        ),
    )


def not_drill(model: type[DrillMarker]) -> ColumnElement[bool]:
    """The WHERE clause that leaves drills out of a query (assessment, API, public lists)."""
    return model.drill_started_at.is_(None)


def same_kind(model: type[DrillMarker], drill: bool) -> ColumnElement[bool]:
    """The WHERE clause for what may be joined to a drill (drills) or to the real thing."""
    return model.drill_started_at.is_not(None) if drill else model.drill_started_at.is_(None)


def clock_of(thing: Drillable | None) -> DrillClock | None:
    if thing is None or thing.drill_started_at is None or not thing.drill_day_seconds:
        return None
    return DrillClock(thing.drill_started_at, thing.drill_day_seconds)


def today_of(thing: Drillable | None, now: datetime | None = None) -> date:
    """What day it is for this election or meeting: the drill's day, or the real one."""
    clock = clock_of(thing)
    return clock.today(now) if clock is not None else china_today(now)


def now_of(thing: Drillable | None, now: datetime | None = None) -> datetime:
    """What moment it is for this election or meeting (UTC)."""
    clock = clock_of(thing)
    return clock.now(now) if clock is not None else (now or datetime.now(UTC))


@dataclass(frozen=True)
class DrillBanner:
    """What the 演练 banner on a drill's page says (`clock` None: a drill assembly)."""

    clock: DrillClock | None = None

    @property
    def clock_text(self) -> str:
        return self.clock.describe() if self.clock is not None else ""


def banner_for(thing: Drillable | None) -> DrillBanner | None:
    clock = clock_of(thing)
    return DrillBanner(clock) if clock is not None else None


# --- the create forms' 这是演练 fields ----------------------------------------------------

FIELDS = ("drill", "drill_day_seconds")


@dataclass(frozen=True)
class FormLimits:
    """What the drill fields say about the day length: the default and the bounds."""

    default_seconds: int
    least: int = FORM_MIN_DAY_SECONDS
    most: int = FORM_MAX_DAY_SECONDS


def parse_drill(result: FormResult, fields: Mapping[str, str], default_seconds: int) -> None:
    """`drill_day_seconds` in `result.values`: None for the real thing, else how long one
    drill day lasts (blank: the setting's default)."""
    wanted = fields.get("drill", "") == "1"
    raw = fields.get("drill_day_seconds", "")
    result.raw["drill"] = "1" if wanted else ""
    result.raw["drill_day_seconds"] = raw
    result.values["drill_day_seconds"] = None
    if not wanted:
        if raw:
            result.error(
                "drill",
                gettext_("填了演练中一天的长度，却没有勾选“这是演练”。请勾选，或清空那一栏。"),
            )
        return
    if not raw:
        result.values["drill_day_seconds"] = default_seconds
        return
    number = whole_number(raw)
    if number is None or not FORM_MIN_DAY_SECONDS <= number <= FORM_MAX_DAY_SECONDS:
        result.error(
            "drill_day_seconds",
            gettext_(
                "演练中一天的长度请填 %(least)s 到 %(most)s 之间的整数（秒），"
                "或留空使用默认的 %(default)s 秒。",
                least=FORM_MIN_DAY_SECONDS,
                most=FORM_MAX_DAY_SECONDS,
                default=default_seconds,
            ),
        )
        return
    result.values["drill_day_seconds"] = number


def new_marker(day_seconds: int | None, now: datetime | None = None) -> dict[str, Any]:
    """The marker columns of a new election or meeting (both None for the real thing)."""
    if day_seconds is None:
        return {"drill_started_at": None, "drill_day_seconds": None}
    return {"drill_started_at": now or datetime.now(UTC), "drill_day_seconds": day_seconds}


def mark_session(session: Session) -> None:
    """The work in this session is a drill's: its audit entries are marked drill."""
    session.info[SESSION_KEY] = True


def session_is_drill(session: Session) -> bool:
    return bool(session.info.get(SESSION_KEY))


# --- removal -----------------------------------------------------------------------------


def _key(table: Table) -> Column[Any]:
    (key,) = table.primary_key.columns
    return key


def _referencing(table_name: str) -> list[tuple[Table, str, str]]:
    """(table, its column, our column) for every foreign key pointing at `table_name`."""
    return [
        (table, key.parent.name, key.column.name)
        for table in Base.metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table.name == table_name
    ]


def rows_below(session: Session, table_name: str, keys: Collection[object]) -> dict[str, set[Any]]:
    """The given rows and every row that points at them, directly or through others, as
    primary keys by table."""
    found: dict[str, set[Any]] = defaultdict(set)
    found[table_name] |= set(keys)
    queue: list[tuple[str, set[Any]]] = [(table_name, set(keys))]
    while queue:
        parent_name, parent_keys = queue.pop()
        parent = Base.metadata.tables[parent_name]
        for child, column, target in _referencing(parent_name):
            values = set(
                session.scalars(select(parent.c[target]).where(_key(parent).in_(parent_keys)))
            )
            if not values:
                continue
            new = (
                set(session.scalars(select(_key(child)).where(child.c[column].in_(values))))
                - found[child.name]
            )
            if new:
                found[child.name] |= new
                queue.append((child.name, new))
    return dict(found)


def referenced_elsewhere(
    session: Session, table_name: str, key: object, besides: Collection[str]
) -> bool:
    """Whether a row of a table not in `besides` points at this row (a drill assembly
    that a real survey or another drill still uses is kept)."""
    table = Base.metadata.tables[table_name]
    for child, column, target in _referencing(table_name):
        if child.name in besides:
            continue
        value = select(table.c[target]).where(_key(table) == key).scalar_subquery()
        if session.scalar(select(_key(child)).where(child.c[column] == value).limit(1)):
            return True
    return False


def remove_rows(session: Session, table_name: str, keys: Collection[object]) -> dict[str, int]:
    """Delete the rows and everything that points at them, children first. Returns how
    many rows went, by table. The database's triggers let only a drill's records go."""
    session.flush()
    found = rows_below(session, table_name, keys)
    removed: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):
        if found.get(table.name):
            session.execute(delete(table).where(_key(table).in_(found[table.name])))
            removed[table.name] = len(found[table.name])
    session.expire_all()
    return removed
