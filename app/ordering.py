"""Order names as a person counts: 第二村民小组 before 第十村民小组 and 第三 after 第二
(code points put 第三 before 第二), 甲 before 乙 (the heavenly stems count 甲乙丙丁), 2 before
10. Everything else keeps code point order, which is stable if not meaningful.
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS.update({"七": 7, "八": 8, "九": 9})
_UNITS = {"十": 10, "百": 100, "千": 1000}
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_NUMBER = re.compile(r"[0-9]+|[零〇一二两三四五六七八九十百千]+|[甲乙丙丁戊己庚辛壬癸]")


def _chinese_number(text: str) -> int:
    total, digit = 0, 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:
            total += (digit or 1) * _UNITS[char]
            digit = 0
    return total + digit


def _value(run: str) -> int:
    if run.isdigit():
        return int(run)
    if run in _STEMS:
        return _STEMS.index(run) + 1
    return _chinese_number(run)


def counting_key(name: str) -> tuple[tuple[int, str | int], ...]:
    """A sort key: the numbers in `name` (Arabic, Chinese, heavenly stems) compare as
    numbers, the text between them as text."""
    parts: list[tuple[int, str | int]] = []
    position = 0
    for match in _NUMBER.finditer(name):
        if match.start() > position:
            parts.append((0, name[position : match.start()]))
        parts.append((1, _value(match.group())))
        position = match.end()
    if position < len(name):
        parts.append((0, name[position:]))
    return tuple(parts)
