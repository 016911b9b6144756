"""Server-drawn SVG charts: well-formed, every label and value as text, no data never 0."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

from app.charts import Bar, Series, bar_chart, fit_lines, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def _texts(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))


def test_bar_chart_is_svg_with_every_label_value_and_threshold() -> None:
    chart = bar_chart(
        [Bar("东山村", 85.0, threshold=90), Bar("西河村", Fraction(200, 3), threshold=80)],
        title="干部知晓率",
    )
    root = _parse(chart)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None
    text = _texts(root)
    for piece in ("干部知晓率", "东山村", "西河村", "85.0%", "66.7%", "门槛 90%", "100%"):
        assert piece in text
    assert len(root.findall(f".//{SVG}line[@class='threshold']")) == 2
    assert "style=" not in str(chart) and "<script" not in str(chart)


def test_a_missing_value_is_labelled_no_data_and_has_no_bar() -> None:
    root = _parse(bar_chart([Bar("有数据", 0.0), Bar("没有调查", None, 85)], title="满意率"))
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    # Only the real zero is a bar (of length 0); the missing value is not a bar at all.
    assert len(bars) == 1 and bars[0].get("width") == "0.0"
    assert "0.0%" in _texts(root)
    no_data = root.findall(f".//{SVG}text[@class='no-data']")
    assert [el.text for el in no_data] == ["无数据"]


def test_long_chinese_labels_are_wrapped_or_shortened_with_the_full_label_kept() -> None:
    label = "第一村民小组和第二村民小组联合的非常非常长的名称以及更多的文字说明"
    root = _parse(bar_chart([Bar(label, 50)], title="t"))
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert label in titles
    lines = fit_lines(label, 160)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert fit_lines("短", 160) == ["短"]


def test_labels_are_escaped() -> None:
    chart = bar_chart([Bar("<script>alert(1)</script>", 10)], title="<b>&")
    assert "<script>" not in str(chart)
    root = _parse(chart)
    assert "<script>alert(1)</script>" in _texts(root)
    line = line_chart([Series("<script>", [1.0])], ["<i>"], title="x")
    assert "<script>" not in str(line)
    assert "<script>" in _texts(_parse(line))


def test_line_chart_draws_points_and_marks_gaps_as_no_data() -> None:
    chart = line_chart(
        [Series("参选率", [80.0, None, 90.5]), Series("到会率", [60, 70, 75])],
        ["2024", "2025", "2026"],
        title="历年参与",
    )
    root = _parse(chart)
    text = _texts(root)
    for piece in ("2024", "2025", "2026", "参选率", "到会率", "80.0%", "90.5%", "75.0%"):
        assert piece in text
    no_data = root.findall(f".//{SVG}text[@class='no-data']")
    assert ["".join(el.itertext()).endswith("无数据") for el in no_data] == [True]
    # The gap is not drawn as a point at 0: 5 points, not 6.
    assert len(root.findall(f".//{SVG}circle")) == 5
    # The first series is broken at the gap: no polyline joins 2024 and 2026 through it.
    first = [p for p in root.findall(f".//{SVG}polyline") if "series-0" in (p.get("class") or "")]
    assert first == []
    assert "style=" not in str(chart)
