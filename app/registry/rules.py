"""Registry business rules as plain functions: no database, so each is easy to test.

Services load what a rule needs and call it; forms call the input rules. Every rule
returns the Chinese message to show (already translated) or None when all is well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from app.i18n import LazyText, gettext_, lazy
from app.registry.models import GroupKind, Person, Residence, Sex
from app.templating import CHINA_TIME

EARLIEST_BIRTH_YEAR = 1900
PAGE_SIZE = 50

# Query-string keys of the person flags, with their labels.
FLAG_LABELS: dict[str, LazyText] = {
    "villager_representative": lazy("村民代表"),
    "cadre": lazy("村干部"),
    "association_member": lazy("协会会员"),
    "household_representative": lazy("户代表"),
}

DEACTIVATION_REASONS: dict[str, LazyText] = {
    "moved_away": lazy("迁出本村"),
    "deceased": lazy("去世"),
    "other": lazy("其他原因"),
}

NOTE_MAX_LENGTH = 200


def today_in_china() -> date:
    """Villages live on China time: a birthday month turns over at local midnight."""
    return datetime.now(CHINA_TIME).date()


@dataclass(frozen=True)
class Placement:
    """Where a person belongs: a household (existing or a new number) and groups."""

    household_id: int | None
    new_household_number: str
    groups: Mapping[GroupKind, int | None]


@dataclass(frozen=True)
class PersonData:
    """A person as typed into the form, already checked for shape."""

    roll_number: str
    name: str
    sex: Sex
    birth_year: int
    birth_month: int
    residence: Residence
    placement: Placement
    is_household_representative: bool = False
    is_villager_representative: bool = False
    is_cadre: bool = False
    is_association_member: bool = False


@dataclass(frozen=True)
class Holder:
    """Someone who already holds a unique place (a roll number, a household's seat)."""

    person_id: int
    name: str
    roll_number: str


@dataclass(frozen=True)
class GroupRef:
    village_id: int
    kind: GroupKind


def birth_problems(year: int | None, month: int | None, today: date) -> list[tuple[str, str]]:
    """(field, message) for each part of a birth year-month that cannot be right.

    None means the part was not a number (the form reports that); the other part is
    still checked so that every fix is shown at once.
    """
    problems: list[tuple[str, str]] = []
    if month is not None and not 1 <= month <= 12:
        problems.append(("birth_month", gettext_("月份请填 1 到 12 之间的数字。")))
    if year is not None and not EARLIEST_BIRTH_YEAR <= year <= today.year:
        message = gettext_(
            "出生年份要在 %(first)s 到 %(last)s 之间，请检查后重新填写。",
            first=EARLIEST_BIRTH_YEAR,
            last=today.year,
        )
        problems.append(("birth_year", message))
    in_future = year is not None and month is not None and (year, month) > (today.year, today.month)
    if in_future and not problems:
        problems.append(("birth_month", gettext_("出生年月不能晚于本月，请检查后重新填写。")))
    return problems


# Adults vote, speak in deliberation and count in adult denominators (OL2025 Art 13).
ADULT_AGE = 18


def age(birth_year: int, birth_month: int, today: date) -> int:
    """Whole years in the current month; the birth day is not kept, so count from month start."""
    return today.year - birth_year - (1 if today.month < birth_month else 0)


def names_told_apart(people: Iterable[Person]) -> dict[int, str]:
    """Each person's name as a list shows it: namesakes (two 马浩然 in one group) also carry
    their birth year and roll number, so whoever picks one from the list picks the right one."""
    people = list(people)
    counts = Counter(p.name for p in people)
    return {
        p.id: p.name
        if counts[p.name] == 1
        else gettext_(
            "%(name)s（%(year)s 年生，编号 %(number)s）",
            name=p.name,
            year=p.birth_year,
            number=p.roll_number,
        )
        for p in people
    }


def household_choice_problem(household_id: int | None, new_number: str) -> tuple[str, str] | None:
    """Exactly one of: an existing household chosen, or a new number typed."""
    if household_id is None and not new_number:
        return "household_id", gettext_("请选择所在的户；如果是新的一户，请在“新户号”里填写户号。")
    if household_id is not None and new_number:
        return "household_number", gettext_(
            "已经选择了已有的户，“新户号”请留空；要新建一户，请把上面选成“新建一户”。"
        )
    return None


def roll_number_problem(
    roll_number: str, holder: Holder | None, person_id: int | None
) -> str | None:
    if holder is None or holder.person_id == person_id:
        return None
    return gettext_(
        "编号 %(roll)s 已经是 %(name)s 的编号，同一个村的编号不能重复，请换一个。",
        roll=roll_number,
        name=holder.name,
    )


def representative_problem(
    household_number: str, current: Holder | None, person_id: int | None
) -> str | None:
    """A household has at most one representative; name the one it already has."""
    if current is None or current.person_id == person_id:
        return None
    return gettext_(
        "%(number)s 户已经有户代表：%(name)s（编号 %(roll)s）。一户只能有一位户代表；"
        "如要更换，请到“户”页面改设户代表。",
        number=household_number,
        name=current.name,
        roll=current.roll_number,
    )


def inactive_representative_problem(active: bool, wants_representative: bool) -> str | None:
    if wants_representative and not active:
        return gettext_("已注销的村民不能担任户代表，请先恢复在册。")
    return None


def group_problem(
    chosen: GroupRef | None, village_id: int, kind: GroupKind, kind_label: str
) -> str | None:
    """The chosen group must exist, be in this village and be of the select's kind."""
    if chosen is None or chosen.village_id != village_id:
        return gettext_("所选的小组不属于本村，请从列表里重新选择。")
    if chosen.kind != kind:
        return gettext_("所选的小组不是%(kind)s，请从列表里重新选择。", kind=kind_label)
    return None


def group_name_problem(name: str, taken: bool, kind_label: str) -> str | None:
    if taken:
        return gettext_(
            "本村已经有叫“%(name)s”的%(kind)s了，请换一个名字。", name=name, kind=kind_label
        )
    return None


def deactivation_problem(reason: str, note: str) -> tuple[str, str] | None:
    if reason not in DEACTIVATION_REASONS:
        return "reason", gettext_("请选择注销的原因。")
    if reason == "other" and not note:
        return "note", gettext_("选择“其他原因”时，请写明具体原因。")
    if len(note) > NOTE_MAX_LENGTH:
        return "note", gettext_("说明最多 %(max)s 个字。", max=NOTE_MAX_LENGTH)
    return None


def reactivation_problem(note: str) -> tuple[str, str] | None:
    if not note:
        return "note", gettext_("请写明恢复在册的原因，例如：迁回本村、登记有误。")
    if len(note) > NOTE_MAX_LENGTH:
        return "note", gettext_("说明最多 %(max)s 个字。", max=NOTE_MAX_LENGTH)
    return None


def changes(old: Mapping[str, object], new: Mapping[str, object]) -> dict[str, list[object]]:
    """Field → [old, new] for every field whose value differs (for audit summaries)."""
    return {
        key: [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def move_changes(
    old: Mapping[str, object], new: Mapping[str, object], is_representative: bool
) -> dict[str, list[object]]:
    """What a move changes. A representative who leaves a household no longer represents it."""
    result = changes(old, new)
    if is_representative and "household" in result:
        result["is_household_representative"] = [True, False]
    return result


@dataclass(frozen=True)
class Paging:
    page: int
    pages: int
    total: int
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def paging(total: int, requested: int, size: int = PAGE_SIZE) -> Paging:
    """Clamp the requested page into range; there is always at least one page."""
    pages = max(1, -(-total // size))
    page = min(max(1, requested), pages)
    return Paging(page=page, pages=pages, total=total, size=size)


def representative_choice_problem(person_id: int | None, active_member_ids: set[int]) -> str | None:
    """A household's representative is one of its own members still on the roll."""
    if person_id is not None and person_id not in active_member_ids:
        return gettext_("请从本户在册的成员中选择户代表。")
    return None
