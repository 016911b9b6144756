"""Names sort as a person counts them."""

from __future__ import annotations

from app.ordering import counting_key


def test_groups_count_in_chinese_numerals():
    names = ["第三村民小组", "第十村民小组", "第一村民小组", "第十一村民小组", "第二村民小组"]
    assert sorted(names, key=counting_key) == [
        "第一村民小组",
        "第二村民小组",
        "第三村民小组",
        "第十村民小组",
        "第十一村民小组",
    ]


def test_stems_digits_and_plain_names():
    assert sorted(["乙", "丙", "甲"], key=counting_key) == ["甲", "乙", "丙"]
    assert sorted(["组10", "组2", "组1"], key=counting_key) == ["组1", "组2", "组10"]
    assert sorted(["监票人乙", "监票人甲"], key=counting_key) == ["监票人甲", "监票人乙"]
    assert sorted(["王芳", "李明"], key=counting_key) == sorted(["王芳", "李明"])
