"""The roll file format: its columns, the header names we recognise, and cell parsing.

Everything here is pure: a cell value in, a Python value (or a `CellError` saying in
plain Chinese what to write instead) out. Cells come from CSV (always text) or from
openpyxl (text, numbers, dates, booleans or None).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from app.i18n import LazyText, gettext_, lazy
from app.registry.models import GroupKind, Residence, Sex

MIN_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header, as the export writes it
    alias: str  # the English alias
    required: bool = False  # the column must be in the file
    extra_names: tuple[str, ...] = ()  # other spellings villages commonly use


COLUMNS: tuple[Column, ...] = (
    Column("roll_number", "编号", "roll_number", True, ("村民编号", "人员编号")),
    Column("name", "姓名", "name", True),
    # Sex and birth month are needed for every person (the 18+ rule), so required too.
    Column("sex", "性别", "sex", True),
    Column("birth", "出生年月", "birth", True, ("出生日期", "出生年月日")),
    Column("household", "户号", "household", True, ("户编号",)),
    Column("household_representative", "户代表", "household_representative"),
    Column("villagers_group", "村民小组", "villagers_group"),
    Column("women_group", "育龄妇女小组", "women_group"),
    Column("association_group", "协会联户组", "association_group"),
    Column("villager_representative", "村民代表", "villager_representative"),
    Column("cadre", "村干部", "cadre"),
    Column("association_member", "协会会员", "association_member"),
    Column("residence", "登记类别", "residence"),
    Column("address", "住址", "address", False, ("地址", "家庭住址")),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

# How the pages name each column (and "active", which no column holds).
COLUMN_LABELS: dict[str, LazyText] = {
    "roll_number": lazy("编号"),
    "name": lazy("姓名"),
    "sex": lazy("性别"),
    "birth": lazy("出生年月"),
    "household": lazy("户号"),
    "household_representative": lazy("户代表"),
    "villagers_group": lazy("村民小组"),
    "women_group": lazy("育龄妇女小组"),
    "association_group": lazy("协会联户组"),
    "villager_representative": lazy("村民代表"),
    "cadre": lazy("村干部"),
    "association_member": lazy("协会会员"),
    "residence": lazy("登记类别"),
    "address": lazy("住址"),
    "active": lazy("在册"),
}
# A cell starting with these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@")

GROUP_COLUMNS: dict[str, GroupKind] = {
    "villagers_group": GroupKind.VILLAGERS,
    "women_group": GroupKind.WOMEN,
    "association_group": GroupKind.ASSOCIATION,
}
FLAG_COLUMNS: dict[str, str] = {
    # column key -> Person attribute
    "villager_representative": "is_villager_representative",
    "cadre": "is_cadre",
    "association_member": "is_association_member",
}

# What the export writes for each registration category (the contract's wording).
RESIDENCE_TEXT: dict[Residence, str] = {
    Residence.REGISTERED_RESIDENT: "户籍在本村居住",
    Residence.REGISTERED_AWAY: "户籍在本村外出",
    Residence.RESIDENT_ADMITTED: "非户籍居住满一年",
}
SEX_TEXT: dict[Sex, str] = {Sex.MALE: "男", Sex.FEMALE: "女"}
YES, NO = "是", "否"

MAX_LENGTH = {"roll_number": 32, "name": 50, "household": 32, "address": 200}
MAX_GROUP_NAME = 100


class CellError(ValueError):
    """A cell that cannot be read; the message says what to write instead."""


def _header_key(text: str) -> str:
    """Lower-case, no spaces, no "*" required-markers: how headers are compared."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[\s*]+", "", text)
    text = re.sub(r"[（(]必填[）)]$", "", text)
    return text.replace("-", "_")


def _build_header_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.header, column.alias, *column.extra_names):
            lookup[_header_key(name)] = column.key
        lookup[_header_key(column.alias.replace("_", ""))] = column.key
    return lookup


_HEADER_LOOKUP = _build_header_lookup()


def column_for_header(text: str) -> str | None:
    return _HEADER_LOOKUP.get(_header_key(text)) if text else None


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names its columns."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass
class HeaderMap:
    """Where each known column sits, and what is wrong with the header row."""

    positions: dict[str, int] = field(default_factory=dict)  # column key -> index
    written: dict[str, str] = field(default_factory=dict)  # column key -> header as written
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # Chinese headers of missing columns
    duplicates: list[str] = field(default_factory=list)  # messages

    def has(self, key: str) -> bool:
        return key in self.positions

    def label(self, key: str) -> str:
        """The header as the file writes it (or our Chinese header when absent)."""
        return self.written.get(key) or COLUMN_BY_KEY[key].header


def map_headers(headers: Sequence[str]) -> HeaderMap:
    result = HeaderMap()
    for index, text in enumerate(headers):
        if not text:
            continue
        key = column_for_header(text)
        if key is None:
            result.unknown.append(text)
        elif key in result.positions:
            first = result.positions[key]
            result.duplicates.append(
                gettext_(
                    "“%(header)s”这一列出现了两次（%(first)s 列和 %(second)s 列），请删掉其中一列。",
                    header=text,
                    first=column_letter(first),
                    second=column_letter(index),
                )
            )
        else:
            result.positions[key] = index
            result.written[key] = text
    result.missing = [c.header for c in COLUMNS if c.required and c.key not in result.positions]
    return result


def count_known_headers(cells: Sequence[object]) -> int:
    return sum(1 for cell in cells if column_for_header(cell_text(cell)) is not None)


# -- cell values -------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as the spreadsheet shows it, without surrounding spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = str(value).strip().strip("\u3000").strip()
    # The export writes '=... for a value that a spreadsheet would run as a formula.
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        return text[1:]
    return text


def _code_text(value: object) -> str:
    # Codes and fixed words: full-width letters and digits typed with a Chinese input
    # method mean the same as their ASCII forms (Ｐ００１ is P001).
    return unicodedata.normalize("NFKC", cell_text(value)).strip()


def parse_text(value: object, key: str, label: str, *, required: bool) -> str:
    text = _code_text(value) if key in ("roll_number", "household") else cell_text(value)
    if required and not text:
        raise CellError(gettext_("%(label)s不能空着，请填上。", label=label))
    limit = MAX_LENGTH.get(key, MAX_GROUP_NAME)
    if len(text) > limit:
        raise CellError(
            gettext_(
                "%(label)s最多 %(max)s 个字，这里有 %(n)s 个，请改短一些。",
                label=label,
                max=limit,
                n=len(text),
            )
        )
    return text


_SEX_WORDS = {"男": Sex.MALE, "男性": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE}
_SEX_WORDS.update({"女": Sex.FEMALE, "女性": Sex.FEMALE, "f": Sex.FEMALE, "female": Sex.FEMALE})


def parse_sex(value: object) -> Sex:
    sex = _SEX_WORDS.get(_code_text(value).lower())
    if sex is None:
        raise CellError(gettext_("性别只能填“男”或“女”。"))
    return sex


_YES_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "对"}
_NO_WORDS = {"否", "n", "no", "false", "0", "", "不是"}


def parse_flag(value: object, label: str) -> bool:
    if isinstance(value, bool):
        return value
    word = _code_text(value).lower()
    if word in _YES_WORDS:
        return True
    if word in _NO_WORDS:
        return False
    raise CellError(gettext_("%(label)s只能填“是”或“否”，不是的可以空着。", label=label))


def _residence_key(text: str) -> str:
    return re.sub(r"[\s、，,。.（）()]", "", unicodedata.normalize("NFKC", text)).lower()


_RESIDENCE_WORDS: dict[str, Residence] = {}
for _residence, _text in RESIDENCE_TEXT.items():
    _RESIDENCE_WORDS[_residence_key(_text)] = _residence
    _RESIDENCE_WORDS[_residence_key(_residence.value)] = _residence
# The longer wording used on the people pages (app.registry.labels) is accepted as well.
_RESIDENCE_WORDS.update(
    {
        _residence_key("户籍在本村并居住"): Residence.REGISTERED_RESIDENT,
        _residence_key("户籍在本村、外出"): Residence.REGISTERED_AWAY,
        _residence_key("非本村户籍、居住一年以上经同意"): Residence.RESIDENT_ADMITTED,
    }
)


def parse_residence(value: object) -> Residence:
    text = cell_text(value)
    if not text:
        return Residence.REGISTERED_RESIDENT
    residence = _RESIDENCE_WORDS.get(_residence_key(text))
    if residence is None:
        raise CellError(
            gettext_(
                "登记类别只能填“户籍在本村居住”“户籍在本村外出”或“非户籍居住满一年”；空着表示户籍在本村居住。"
            )
        )
    return residence


_BIRTH_PATTERNS = (
    # 1968-03, 1968/3, 1968.03, 1968年3月, each optionally followed by a day.
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]?\s*(\d{1,2})\s*日?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})?$"),  # 196803 or 19680315 (as on an ID card)
    re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T]\d{1,2}:\d{2}(?::\d{2})?$"),  # a date-time as text
)


def _birth_format_error() -> CellError:
    return CellError(gettext_("出生年月请写成 1968-03 这样（四位年份-月份）。"))


def parse_birth(value: object, today: date) -> tuple[int, int]:
    """(year, month). Excel often turns 1968-03 into a date: that is read back as 1968-03."""
    if isinstance(value, datetime | date):
        year, month = value.year, value.month
    else:
        text = _code_text(value)
        if not text:
            raise CellError(gettext_("出生年月不能空着，请写成 1968-03 这样。"))
        match = next((m for p in _BIRTH_PATTERNS if (m := p.match(text))), None)
        if match is None:
            raise _birth_format_error()
        year, month = int(match.group(1)), int(match.group(2))
        day = match.group(3)
        if day is not None and not 1 <= int(day) <= 31:
            raise _birth_format_error()
    if not 1 <= month <= 12:
        raise CellError(gettext_("月份要在 1 到 12 之间，出生年月请写成 1968-03 这样。"))
    if year < MIN_BIRTH_YEAR or (year, month) > (today.year, today.month):
        raise CellError(
            gettext_(
                "出生年月 %(value)s 不对：年份要在 %(min)s 年到今年之间，请核对。",
                value=f"{year}-{month:02d}",
                min=MIN_BIRTH_YEAR,
            )
        )
    return year, month


def birth_text(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def xlsx_number(value: float, number_format: str | None) -> object:
    """A number typed as 1968.10 is stored as 1968.1: show it as its cell format does."""
    if number_format and value != int(value):
        decimals = re.search(r"0\.(0+)", number_format)
        if decimals:
            return f"{value:.{len(decimals.group(1))}f}"
    return value
