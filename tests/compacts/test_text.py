"""Parsing the editor text into chapters, articles and clauses, and rendering it inert."""

from __future__ import annotations

import pytest

from compacts.text import Structure, chinese_number, parse, render_source, render_structure

SOURCE = """本公约由全体村民共同商议制定。

# 第一章 总则
## 目的
为了建设文明和睦的村庄，制定本公约。

##
村民在公约面前一律平等。
本公约对本村全体村民适用。

# 附则
## 第9条 施行
本公约自村民会议通过之日起施行。
"""


def test_headings_become_numbered_chapters_and_articles() -> None:
    # "## " typed with its space (editors and phones may keep trailing spaces).
    structure = parse(SOURCE.replace("##\n", "## \n"))

    assert structure.preamble == ("本公约由全体村民共同商议制定。",)
    assert [(c.label, c.title) for c in structure.chapters] == [
        ("第一章", "总则"),
        ("第二章", "附则"),
    ]
    # Typed numbers ("第一章", "第9条") are dropped: the platform numbers, in order,
    # and articles run on across chapters.
    assert [(a.label, a.title, a.chapter) for a in structure.articles] == [
        ("第一条", "目的", 1),
        ("第二条", "", 1),
        ("第三条", "施行", 2),
    ]
    assert structure.articles[1].clauses == (
        "村民在公约面前一律平等。",
        "本公约对本村全体村民适用。",
    )


def test_text_after_a_chapter_heading_is_never_lost() -> None:
    structure = parse("# 总则\n没有条标题的一段话。\n## 第二条\n内容")

    assert [a.clauses for a in structure.articles] == [("没有条标题的一段话。",), ("内容",)]
    assert [a.key for a in structure.articles] == ["1", "2"]


def test_full_width_hash_windows_line_endings_and_control_characters() -> None:
    structure = parse("＃ 总则\r\n＃＃ 目的\r\n第一款\x00内容\u202e。\r\n\r\n")

    assert structure.chapters[0].title == "总则"
    assert structure.articles[0].title == "目的"
    assert structure.articles[0].clauses == ("第一款内容。",)


def test_a_hash_without_a_space_or_three_hashes_is_ordinary_text() -> None:
    structure = parse("## 标签\n#话题 不是标题\n### 也不是标题")

    assert structure.chapters == ()
    assert structure.articles[0].clauses == ("#话题 不是标题", "### 也不是标题")


def test_text_without_headings_is_all_preamble() -> None:
    assert parse("只有一段话。") == Structure(preamble=("只有一段话。",))
    assert parse("   \n\n") == Structure()


def test_structure_survives_json() -> None:
    structure = parse(SOURCE)

    assert Structure.from_json(structure.to_json()) == structure


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "一"), (10, "十"), (15, "十五"), (20, "二十"), (101, "一百零一"), (110, "一百一十")],
)
def test_chinese_numbers(n: int, text: str) -> None:
    assert chinese_number(n) == text


HOSTILE = """# <script>alert(1)</script>
## <img src=x onerror=alert(1)>
点击[这里](javascript:alert(1))领取补贴
![图片](http://evil.example/x.png)
<a href="javascript:alert(1)">链接</a>
&lt;b&gt;粗体&lt;/b&gt; &amp; "引号" 'single'
"""


def test_rendering_is_inert() -> None:
    html = str(render_source(HOSTILE))

    assert "<script" not in html
    assert "<img" not in html
    assert "<a " not in html
    assert 'href="' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # Markdown links and images are shown as typed, never turned into elements.
    assert "点击[这里](javascript:alert(1))领取补贴" in html
    assert "![图片](http://evil.example/x.png)" in html
    # Entities the writer typed are shown as typed, not decoded.
    assert "&amp;lt;b&amp;gt;粗体" in html
    assert "&amp;amp;" in html
    assert "&#34;引号&#34;" in html


def test_rendering_numbers_chapters_and_anchors_articles() -> None:
    html = str(render_structure(parse(SOURCE)))

    assert '<h2 class="chapter">第二章 附则</h2>' in html
    assert '<section class="article" id="art-3"><h3>第三条 施行</h3>' in html
    assert html.index("第一章") < html.index("第一条") < html.index("第二章") < html.index("第三条")
