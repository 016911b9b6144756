"""Comparing two versions article by article, on the cases that fool a naive diff."""

from __future__ import annotations

from compacts.text import parse
from compacts.versions.diff import ChangeKind, Segment, compare, marks, render_marks

A = "## 目的\n为了建设文明和睦的村庄，制定本公约。"
B = "## 平等\n村民在公约面前一律平等。"
C = "## 邻里\n邻里之间互相帮助，有事好商量。"
D = "## 环境\n爱护公共环境，垃圾分类投放。"


def kinds(old: str, new: str) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    return [(c.kind.value, c.old_numbers, c.new_numbers) for c in compare(parse(old), parse(new))]


def test_same_text_is_unchanged() -> None:
    text = "\n".join([A, B, C])

    assert kinds(text, text) == [
        ("unchanged", (1,), (1,)),
        ("unchanged", (2,), (2,)),
        ("unchanged", (3,), (3,)),
    ]


def test_inserting_an_article_renumbers_the_rest_without_calling_them_changed() -> None:
    assert kinds("\n".join([A, B, C]), "\n".join([A, D, B, C])) == [
        ("unchanged", (1,), (1,)),
        ("added", (), (2,)),
        ("renumbered", (2,), (3,)),
        ("renumbered", (3,), (4,)),
    ]


def test_removed_article_is_shown_where_it_was() -> None:
    assert kinds("\n".join([A, B, C]), "\n".join([A, C])) == [
        ("unchanged", (1,), (1,)),
        ("removed", (2,), ()),
        ("renumbered", (3,), (2,)),
    ]


def test_an_article_moved_to_a_new_place() -> None:
    result = kinds("\n".join([A, B, C, D]), "\n".join([A, C, D, B]))

    assert ("moved", (2,), (4,)) in result
    assert ("renumbered", (3,), (2,)) in result
    assert ("renumbered", (4,), (3,)) in result
    assert len(result) == 4


def test_punctuation_only_change() -> None:
    new = "## 目的\n为了建设文明、和睦的村庄；制定本公约！"
    (change,) = compare(parse(A), parse(new))

    assert change.kind is ChangeKind.PUNCTUATION
    assert Segment("insert", "、") in change.marks
    assert Segment("delete", "，") in change.marks


def test_reworded_article_marks_characters() -> None:
    new = "## 目的\n为了建设文明和谐的美丽村庄，制定本公约。"
    (change,) = compare(parse(A), parse(new))

    assert change.kind is ChangeKind.REWORDED
    assert Segment("delete", "睦") in change.marks
    assert Segment("insert", "谐") in change.marks
    assert Segment("insert", "美丽") in change.marks


def test_reworded_and_renumbered_at_once() -> None:
    new_c = "## 邻里\n邻里之间互相帮助，遇事好好商量。"
    result = kinds("\n".join([A, B, C]), "\n".join([B, new_c]))

    assert result == [
        ("removed", (1,), ()),
        ("renumbered", (2,), (1,)),
        ("reworded", (3,), (2,)),
    ]


def test_an_article_split_in_two() -> None:
    old = "## 邻里\n邻里之间互相帮助，有事好商量。\n红白喜事从简办理，不铺张攀比。"
    new = "## 邻里\n邻里之间互相帮助，有事好商量。\n## 婚丧\n红白喜事从简办理，不铺张攀比。"
    result = compare(parse("\n".join([A, old])), parse("\n".join([A, new])))

    assert [c.kind for c in result] == [ChangeKind.UNCHANGED, ChangeKind.SPLIT]
    assert result[1].old_numbers == (2,)
    assert result[1].new_numbers == (2, 3)


def test_two_articles_merged_into_one() -> None:
    old = "## 邻里\n邻里之间互相帮助。\n## 婚丧\n红白喜事从简办理，不铺张攀比。"
    new = "## 邻里\n邻里之间互相帮助。\n红白喜事从简办理，不铺张攀比。"

    assert kinds(old, new) == [("merged", (1, 2), (1,))]


def test_an_added_article_next_to_a_reworded_one_is_not_a_split() -> None:
    new_a = "## 目的\n为了建设文明和睦的村庄，特制定本公约。"
    added = "## 施行\n本公约自通过之日起施行。"

    assert kinds(A, "\n".join([new_a, added])) == [
        ("reworded", (1,), (1,)),
        ("added", (), (2,)),
    ]


def test_an_entirely_rewritten_article_is_removed_and_added() -> None:
    result = kinds(A, D)

    assert sorted(result) == [("added", (), (1,)), ("removed", (1,), ())]


def test_latin_words_and_numbers_are_marked_whole() -> None:
    segments = marks("每户 100 元 fee", "每户 200 元 fee")

    assert Segment("delete", "100") in segments
    assert Segment("insert", "200") in segments


def test_rendered_marks_are_escaped() -> None:
    html = str(render_marks(marks("甲<b>", "甲<script>\n乙")))

    assert "<script>" not in html
    assert html == "甲&lt;<del>b</del><ins>script</ins>&gt;<ins><br>乙</ins>"
