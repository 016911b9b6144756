"""Charts drawn on the server as inline SVG: readable without script, in print and by text.

Every label and value is SVG text (so it prints, can be selected and is read out from the
<desc>), colours come from presentation attributes (fill=, stroke=) that app.css may
override by class — the page's CSP forbids inline style attributes. A missing figure
(None: its denominator was 0) is drawn as a visible "无数据" mark, never as a 0 bar or a
point on the axis. Long labels are wrapped to two lines and then shortened with "…"; the
whole label stays in a <title> (a tooltip) and in the chart's <desc>.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from markupsafe import Markup, escape

from app.i18n import gettext_

Number = float | Fraction

# Series colours and dash patterns: the dashes tell series apart on a black-and-white print.
PALETTE = ("#a3261d", "#1f5f99", "#1d6b2f", "#8a5a00", "#5b3f8c", "#444444")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
FONT = 13
SMALL = 11
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number | None
    threshold: Number | None = None


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Number | None]


def _e(text: object) -> str:
    return str(escape(str(text)))


def _char_width(char: str) -> float:
    """Approximate advance of one character, in ems: CJK and full-width are one em."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.6


def text_width(text: str, size: float = FONT) -> float:
    return sum(_char_width(c) for c in text) * size


def fit_lines(text: str, width: float, *, lines: int = 2, size: float = FONT) -> list[str]:
    """Break `text` into at most `lines` lines of `width` px; the last ends in … if cut."""
    result: list[str] = []
    current = ""
    for char in text:
        if not current or text_width(current + char, size) <= width:
            current += char
        else:
            result.append(current)
            current = char
    result.append(current)
    if len(result) <= lines:
        return result
    kept = result[:lines]
    last = kept[-1]
    while last and text_width(last + "…", size) > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


def _number(value: Number, unit: str) -> str:
    if unit == "%":
        tenths = math.floor(Fraction(value) * 10 + Fraction(1, 2))
        return f"{tenths // 10}.{tenths % 10}%" if tenths >= 0 else f"{float(value):.1f}%"
    if Fraction(value).denominator == 1:
        return f"{int(value)}{unit}"
    return f"{float(value):.1f}{unit}"


def _limit(value: Number, unit: str) -> str:
    """A threshold: thresholds are usually whole percents, shown without a decimal."""
    if Fraction(value).denominator == 1:
        return f"{int(value)}{unit}"
    return _number(value, unit)


def _tick(value: float, unit: str) -> str:
    return f"{value:g}{unit}"


def _no_data() -> str:
    return gettext_("无数据")


def _open_svg(kind: str, width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    ident = f"chart-{next(_ids)}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{ident}-t {ident}-d" font-size="{FONT}">'
        f'<title id="{ident}-t">{_e(title)}</title>'
        f'<desc id="{ident}-d">{_e(desc)}</desc>'
        f'<text class="chart-title" x="8" y="20" font-weight="bold" fill="#1b1b1b">{_e(title)}</text>'
    )
    return head, "</svg>"


def _label_text(lines: list[str], full: str, x: float, y: float, anchor: str) -> str:
    """A (possibly wrapped or shortened) label; the whole label is its tooltip."""
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else FONT + 2}">{_e(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<g class="chart-label"><title>{_e(full)}</title>'
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="#1b1b1b">{spans}</text></g>'
    )


def bar_chart(
    bars: Sequence[Bar], *, title: str, max_value: float = 100, unit: str = "%"
) -> Markup:
    """Horizontal bars, one row per label; a dark line marks each bar's threshold."""
    width, label_w, plot_x, plot_w, row_h, top = 680, 160, 176, 300, 40, 56
    height = top + row_h * max(len(bars), 1) + 12
    scale = plot_w / max_value if max_value > 0 else 0.0
    desc = "; ".join(_bar_desc(bar, unit) for bar in bars)
    head, tail = _open_svg("bar", width, height, title, desc)
    parts = [head]
    bottom = top + row_h * max(len(bars), 1)
    for i in range(5):
        tick = max_value * i / 4
        x = plot_x + tick * scale
        parts.append(
            f'<line class="chart-grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="#c8c8c8" stroke-width="1"/>'
            f'<text class="chart-tick" x="{x:.1f}" y="{top - 10}" text-anchor="middle" '
            f'font-size="{SMALL}" fill="#555555">{_e(_tick(tick, unit))}</text>'
        )
    if not bars:
        parts.append(
            f'<text class="no-data" x="{plot_x + 6}" y="{top + 24}" fill="#555555">'
            f"{_e(_no_data())}</text>"
        )
    for index, bar in enumerate(bars):
        y = top + index * row_h
        lines = fit_lines(bar.label, label_w)
        label_y = y + row_h / 2 + 4 - (len(lines) - 1) * (FONT + 2) / 2
        parts.append(_label_text(lines, bar.label, label_w, label_y, "end"))
        parts.append(_bar_row(bar, y, plot_x, scale, plot_w, unit))
    parts.append(tail)
    return Markup("".join(parts))  # noqa: S704 - every text above went through _e()


def _bar_desc(bar: Bar, unit: str) -> str:
    value = _no_data() if bar.value is None else _number(bar.value, unit)
    text = f"{bar.label}: {value}"
    if bar.threshold is not None:
        text += " (" + gettext_("门槛") + " " + _limit(bar.threshold, unit) + ")"
    return text


def _bar_row(bar: Bar, y: float, plot_x: float, scale: float, plot_w: float, unit: str) -> str:
    parts: list[str] = []
    text_x = plot_x + 6
    if bar.value is None:
        parts.append(
            f'<rect class="bar-missing" x="{plot_x}" y="{y + 10}" width="{plot_w}" height="20" '
            f'fill="none" stroke="#c8c8c8" stroke-dasharray="4 3"/>'
            f'<text class="no-data" x="{text_x:.1f}" y="{y + 25}" fill="#555555">'
            f"{_e(_no_data())}</text>"
        )
        value_end = plot_x + text_width(_no_data()) + 12
    else:
        length = min(max(float(bar.value), 0.0) * scale, plot_w)
        state = ""
        if bar.threshold is not None:
            state = " bar-pass" if bar.value >= bar.threshold else " bar-fail"
        parts.append(
            f'<rect class="bar{state}" x="{plot_x}" y="{y + 10}" width="{length:.1f}" '
            f'height="20" fill="#a3261d"><title>{_e(_bar_desc(bar, unit))}</title></rect>'
        )
        value_end = plot_x + length + 6
    if bar.threshold is not None:
        tx = plot_x + min(max(float(bar.threshold), 0.0) * scale, plot_w)
        parts.append(
            f'<line class="threshold" x1="{tx:.1f}" y1="{y + 5}" x2="{tx:.1f}" y2="{y + 35}" '
            f'stroke="#1b1b1b" stroke-width="2.5"><title>{_e(gettext_("门槛"))} '
            f"{_e(_limit(bar.threshold, unit))}</title></line>"
        )
        value_end = max(value_end, tx + 6)
    if bar.value is not None:
        value_text = _e(_number(bar.value, unit))
        if bar.threshold is not None:
            value_text += (
                f'<tspan class="threshold-text" font-size="{SMALL}" fill="#555555" dx="6">'
                f"{_e(gettext_('门槛'))} {_e(_limit(bar.threshold, unit))}</tspan>"
            )
        parts.append(
            f'<text class="chart-value" x="{value_end:.1f}" y="{y + 25}" font-weight="bold" '
            f'fill="#1b1b1b">{value_text}</text>'
        )
    elif bar.threshold is not None:
        parts.append(
            f'<text class="threshold-text" x="{value_end:.1f}" y="{y + 25}" font-size="{SMALL}" '
            f'fill="#555555">{_e(gettext_("门槛"))} {_e(_limit(bar.threshold, unit))}</text>'
        )
    return "".join(parts)


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    title: str,
    max_value: float = 100,
    unit: str = "%",
) -> Markup:
    """Lines across x_labels (e.g. years); a gap and a "无数据" mark where a value is None."""
    width, plot_x, plot_r, top, plot_h = 680, 56, 640, 48, 190
    bottom = top + plot_h
    legend_y = bottom + 44
    height = legend_y + 20 * math.ceil(max(len(series), 1) / 2) + 8
    count = max(len(x_labels), 1)
    step = (plot_r - plot_x) / count
    scale = plot_h / max_value if max_value > 0 else 0.0

    def xpos(i: int) -> float:
        return plot_x + step * (i + 0.5)

    def ypos(value: Number) -> float:
        return bottom - min(max(float(value), 0.0) * scale, plot_h)

    desc = "; ".join(
        f"{s.label}: "
        + ", ".join(
            f"{x} {_no_data() if v is None else _number(v, unit)}"
            for x, v in zip(x_labels, s.values, strict=False)
        )
        for s in series
    )
    head, tail = _open_svg("line", width, height, title, desc)
    parts = [head]
    for i in range(5):
        tick = max_value * i / 4
        y = bottom - tick * scale
        parts.append(
            f'<line class="chart-grid" x1="{plot_x}" y1="{y:.1f}" x2="{plot_r}" y2="{y:.1f}" '
            f'stroke="#c8c8c8" stroke-width="1"/>'
            f'<text class="chart-tick" x="{plot_x - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="{SMALL}" fill="#555555">{_e(_tick(tick, unit))}</text>'
        )
    for i, label in enumerate(x_labels):
        lines = fit_lines(str(label), step - 4, lines=1, size=SMALL)
        parts.append(_label_text(lines, str(label), xpos(i), bottom + 18, "middle"))
    for index, line in enumerate(series):
        parts.append(_series(index, line, xpos, ypos, bottom, unit, x_labels))
    for index, line in enumerate(series):
        lx = 8 + (index % 2) * 330
        ly = legend_y + (index // 2) * 20
        color, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line class="series series-{index % len(PALETTE)}" x1="{lx}" y1="{ly - 4}" '
            f'x2="{lx + 28}" y2="{ly - 4}" stroke="{color}" stroke-width="3"{dash_attr}/>'
        )
        parts.append(
            _label_text(fit_lines(line.label, 290, lines=1), line.label, lx + 34, ly, "start")
        )
    parts.append(tail)
    return Markup("".join(parts))  # noqa: S704 - every text above went through _e()


def _series(
    index: int,
    line: Series,
    xpos: Callable[[int], float],
    ypos: Callable[[Number], float],
    bottom: float,
    unit: str,
    x_labels: Sequence[str],
) -> str:
    color, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    css = f"series series-{index % len(PALETTE)}"
    parts: list[str] = []
    values = list(line.values)[: len(x_labels)]
    run: list[str] = []
    runs: list[list[str]] = []
    for i, value in enumerate(values):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{xpos(i):.1f},{ypos(value):.1f}")
    if run:
        runs.append(run)
    for points in runs:
        if len(points) > 1:
            parts.append(
                f'<polyline class="{css}" points="{" ".join(points)}" fill="none" '
                f'stroke="{color}" stroke-width="2.5"{dash_attr}/>'
            )
    offset = -8 if index % 2 == 0 else 16
    for i, value in enumerate(values):
        x = xpos(i)
        if value is None:
            parts.append(
                f'<text class="no-data" x="{x:.1f}" y="{bottom - 6 - 14 * index:.1f}" '
                f'text-anchor="middle" font-size="{SMALL}" fill="{color}">'
                f"<title>{_e(line.label)} {_e(x_labels[i])}</title>{_e(_no_data())}</text>"
            )
            continue
        y = ypos(value)
        text = _number(value, unit)
        parts.append(
            f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">'
            f"<title>{_e(line.label)} {_e(x_labels[i])}: {_e(text)}</title></circle>"
            f'<text class="chart-value" x="{x:.1f}" y="{y + offset:.1f}" text-anchor="middle" '
            f'font-size="{SMALL}" fill="{color}">{_e(text)}</text>'
        )
    return "".join(parts)
