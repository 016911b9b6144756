"""Parsing the assessment forms: the township's standard settings and the report year."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass

from app.forms import FormResult, whole_number
from app.i18n import gettext_
from assessment.standards import STANDARDS

MIN_YEAR, MAX_YEAR = 2000, 2200


@dataclass(frozen=True)
class SettingInput:
    applies: bool
    threshold_percent: int | None


def applies_field(code: str) -> str:
    return f"applies_{code}"


def threshold_field(code: str) -> str:
    return f"threshold_{code}"


def parse_threshold(result: FormResult, code: str, title: str, value: str) -> int | None:
    """Blank = reported only; otherwise a whole number from 0 to 100."""
    name = threshold_field(code)
    value = value.strip().removesuffix("%").strip()
    result.raw[name] = value
    if not value:
        return None
    number = whole_number(value, max_digits=3) if value.isascii() else None
    if number is None or number > 100:
        result.error(
            name,
            gettext_(
                "“%(title)s”的达标线请填写 0 到 100 之间的整数（百分比），"
                "或留空表示只报告、不评定达标。",
                title=title,
            ),
        )
        return None
    return number


def parse_settings(fields: Mapping[str, str], checked: Container[str]) -> FormResult:
    """One applies box and one threshold box per standard."""
    result = FormResult()
    settings: dict[str, SettingInput] = {}
    for standard in STANDARDS:
        applies = applies_field(standard.code) in checked
        result.raw[applies_field(standard.code)] = "1" if applies else ""
        threshold = parse_threshold(
            result,
            standard.code,
            str(standard.title),
            fields.get(threshold_field(standard.code), ""),
        )
        settings[standard.code] = SettingInput(applies, threshold)
    result.values["settings"] = settings
    return result


def parse_year(value: str | None, default: int) -> int | None:
    """The report year from the query string; None when it is not a usable year."""
    if value is None or not value.strip():
        return default
    value = value.strip()
    year = whole_number(value, max_digits=4) if value.isascii() else None
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    return year


def year_problem() -> str:
    return gettext_(
        "年份请写成 %(min)s 到 %(max)s 之间的四位数，例如 2026。", min=MIN_YEAR, max=MAX_YEAR
    )
