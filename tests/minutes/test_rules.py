"""The minutes document rules: canonical text, public edition, posting period."""

from __future__ import annotations

from datetime import date

from minutes import rules

MEETING = {"title": "村民会议", "host": "王主任", "recorder": "李会计"}
ELECTION = {
    "elected": ["张三"],
    "counts": {"张三": 80, "李四": 20},
    "valid": True,
}
ITEMS = [
    {"item_id": 7, "title": "修路", "party_studied_note": "党支部会议记录", "election": None},
    {"item_id": 8, "title": "选组长", "party_studied_note": "", "election": ELECTION},
]


def document():
    return rules.build_document(MEETING, {"eligible": 100}, ITEMS, {7: "赵六说路太窄"})


def test_notes_go_under_their_item():
    doc = document()
    assert doc["items"][0]["notes"] == "赵六说路太窄"
    assert doc["items"][1]["notes"] == ""


def test_canonical_text_does_not_depend_on_key_order():
    doc = document()
    shuffled = dict(reversed(list(doc.items())))
    assert rules.canonical(doc) == rules.canonical(shuffled)
    assert "赵六" in rules.canonical(doc)  # Chinese kept as characters, not escapes
    assert rules.digest(rules.canonical(doc)) == rules.digest(rules.canonical(shuffled))


def test_public_edition_hides_notes_and_candidates_not_elected():
    public = rules.public_edition(document(), [{"number": 1, "text": "更正", "sha256": "a"}])
    text = rules.canonical(public)
    assert "赵六" not in text and "党支部会议记录" not in text
    assert "李四" not in text
    assert public["items"][1]["election"]["counts"] == {"张三": 80}
    assert public["meeting"]["host"] == "王主任"
    assert public["addenda"] == [{"number": 1, "text": "更正", "sha256": "a"}]
    # The signed original is untouched.
    assert document()["items"][0]["notes"] == "赵六说路太窄"


def test_posting_needs_fifteen_days_counting_both_ends():
    start = date(2026, 12, 1)
    assert rules.posting_problem(start, date(2026, 12, 15)) is None
    problem = rules.posting_problem(start, date(2026, 12, 14))
    assert problem is not None
    assert "至少 15 天" in problem and "2026-12-15" in problem


def test_addendum_hash_names_the_original():
    one = rules.addendum_digest("a" * 64, 1, "第二项赞成票应为 51")
    assert one != rules.addendum_digest("b" * 64, 1, "第二项赞成票应为 51")
    assert one != rules.addendum_digest("a" * 64, 2, "第二项赞成票应为 51")
