"""The audit log in words: every action the code records has a name, and so has every
object type and summary field; the summary reads as labelled fields (app.audit.display).

The actions are read off the source, as `grep record(` would find them: each call of
app.audit.services.record, and each call of a package's own audit helper (a function
whose name says "audit") that passes the action on.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import select

import app.main  # noqa: F401  (imports every package's audit labels, as the app does)
from app.audit.display import Field, breakable, summary_fields
from app.audit.labels import (
    ACTION_LABELS,
    EVERY_ACTION,
    OBJECT_LABELS,
    SUMMARY_VALUE_LABELS,
    action_label,
    object_label,
    summary_key_label,
)
from app.audit.models import AuditEntry
from app.demo import build_demo
from app.settings import PROJECT_ROOT

PACKAGES = ("app", "ballots", "meetings", "minutes", "compacts", "surveys", "slips", "assessment")
ACTION = re.compile(r"[a-z_]+\.[a-z_]+")
# app.registry.structure.audit picks the object type by the object's class.
TYPES_PICKED_BY_CLASS = {"person", "household", "group"}


@dataclass
class Found:
    actions: dict[str, str] = field(default_factory=dict)  # action -> where
    object_types: set[str] = field(default_factory=set)
    # (action or EVERY_ACTION, key, where) for summary dicts written out in the call
    keys: set[tuple[str, str, str]] = field(default_factory=set)
    # (action, key, where) for fields that store a code: an enum's `.value`
    codes: set[tuple[str, str, str]] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _constants(node: ast.expr) -> list[str] | None:
    """The strings an argument can be: a literal, or either side of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _constants(node.body), _constants(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


class _Calls(ast.NodeVisitor):
    def __init__(self, path: Path, found: Found) -> None:
        self.path, self.found, self.functions = path, found, [""]

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    def visit_Call(self, node: ast.Call) -> None:
        where = f"{self.path.relative_to(PROJECT_ROOT)}:{node.lineno}"
        name = _name(node)
        if name == "record" and len(node.args) >= 4:
            self._record(node, where)
        elif "audit" in name:
            self._helper(node, where)
        self.generic_visit(node)

    def _record(self, node: ast.Call, where: str) -> None:
        actions = _constants(node.args[2])
        if actions is None:
            # Only an audit helper may pass its caller's action on (checked there).
            if not (isinstance(node.args[2], ast.Name) and "audit" in self.functions[-1]):
                self.found.unreadable.append(f"{where}: {ast.unparse(node.args[2])}")
            actions = [EVERY_ACTION]
        for action in actions:
            if action:
                self.found.actions.setdefault(action, where)
        object_types = _constants(node.args[3])
        if object_types is not None:
            self.found.object_types.update(object_types)
        summary = node.args[5] if len(node.args) > 5 else None
        self._keys(actions, summary, where)

    def _helper(self, node: ast.Call, where: str) -> None:
        actions = [
            value
            for arg in node.args
            for value in (_constants(arg) or [])
            if ACTION.fullmatch(value)
        ]
        for action in actions:
            self.found.actions.setdefault(action, where)
            for arg in node.args:
                self._keys([action], arg, where)
            for keyword in node.keywords:
                if keyword.arg:
                    self.found.keys.add((action, keyword.arg, where))

    def _keys(self, actions: list[str], summary: ast.expr | None, where: str) -> None:
        if not isinstance(summary, ast.Dict):
            return
        for key, value in zip(summary.keys, summary.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self.found.keys.update((action, key.value, where) for action in actions)
                if _stores_a_code(value):
                    self.found.codes.update((action, key.value, where) for action in actions)


def _stores_a_code(value: ast.expr) -> bool:
    """`x.kind.value`, `[r.value for r in roles]`, or either side of `a if c else b`."""
    if isinstance(value, ast.Attribute):
        return value.attr == "value"
    if isinstance(value, ast.ListComp | ast.GeneratorExp):
        return _stores_a_code(value.elt)
    if isinstance(value, ast.IfExp):
        return _stores_a_code(value.body) or _stores_a_code(value.orelse)
    return False


@cache
def found_in_code() -> Found:
    found = Found()
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            _Calls(path, found).visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_every_recorded_action_is_read_off_the_code() -> None:
    found = found_in_code()
    assert found.unreadable == [], (
        "pass the action to record() as a literal, or name the helper *audit*"
    )
    # Today's count, so that a change in how actions are recorded shows up here.
    assert len(found.actions) >= 100


def test_every_recorded_action_has_a_name_and_every_name_an_action() -> None:
    recorded = found_in_code().actions
    unnamed = {action: where for action, where in recorded.items() if action not in ACTION_LABELS}
    assert unnamed == {}, "name these in the package's audit_labels module"
    assert set(ACTION_LABELS) - set(recorded) == set(), "names for actions nothing records"


def test_no_two_actions_share_a_name() -> None:
    """The filter lists the names: two alike could not be told apart."""
    counts = Counter(str(label) for label in ACTION_LABELS.values())
    assert [name for name, n in counts.items() if n > 1] == []


def test_every_recorded_object_type_has_a_name() -> None:
    types = found_in_code().object_types | TYPES_PICKED_BY_CLASS
    assert types - set(OBJECT_LABELS) == set()


def test_every_summary_field_written_in_a_call_has_a_name() -> None:
    unnamed = sorted(
        f"{where}: {action or '*'} {key}"
        for action, key, where in found_in_code().keys
        if summary_key_label(action, key) == key
    )
    assert unnamed == []


def test_every_code_written_in_a_call_reads_in_words() -> None:
    """A field that stores an enum's value (`"method": method.value`) has names for its
    values, so the log never shows `tick` or `villagers-assembly` to a person."""
    unnamed = sorted(
        f"{where}: {action} {key}"
        for action, key, where in found_in_code().codes
        if (action, key) not in SUMMARY_VALUE_LABELS
        and (EVERY_ACTION, key) not in SUMMARY_VALUE_LABELS
    )
    assert unnamed == []


def _unnamed(fields: tuple[Field, ...]) -> Iterator[str]:
    for item in fields:
        # Numbered items (a list's) and roll numbers (an import's changes) are their own names.
        if item.label == item.key and not item.key.isdigit():
            yield item.key
        yield from _unnamed(item.fields)


# A stored code, as a person should never read it: `tick`, `villagers-assembly`, `moved_away`.
CODE = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")
GROUPED_HEX = re.compile(r"[0-9a-f]{4}(?:-[0-9a-f]{4})+")
FREE_TEXT_KEYS = {"username"}  # what a person typed may look like a code


def _codes(fields: tuple[Field, ...]) -> Iterator[tuple[str, str]]:
    for item in fields:
        yield from _codes(item.fields)
        if item.fields or item.key in FREE_TEXT_KEYS:
            continue
        for part in re.split(r"、| → ", item.text.striptags()):
            if CODE.fullmatch(part) and not GROUPED_HEX.fullmatch(part):
                yield item.key, part


def test_every_field_of_a_demo_year_reads_in_words(db, settings) -> None:
    """The demo township lives through a year (elections, meetings, a compact, surveys):
    each of its entries reads in words, down to the fields inside fields, and no value shows
    the code kept in the record (a method, a meeting body, a survey's kind, a reason)."""
    build_demo(db, settings)
    unnamed, codes, actions = set(), set(), set()
    for entry in db.scalars(select(AuditEntry)):
        actions.add(entry.action)
        assert entry.action in ACTION_LABELS, entry.action
        assert entry.object_type in OBJECT_LABELS, entry.object_type
        fields = summary_fields(entry.action, entry.summary)
        unnamed.update(f"{entry.action} {key}" for key in _unnamed(fields))
        codes.update(f"{entry.action} {key}={value}" for key, value in _codes(fields))
    assert len(actions) > 40
    assert sorted(unnamed) == []
    assert sorted(codes) == []


def test_a_deactivation_reads_its_reason_in_words() -> None:
    summary = json.dumps({"reason": "moved_away", "note": ""})
    assert _texts(summary_fields("person.deactivate", summary))["注销原因"] == "迁出本村"


# --- how a summary reads ----------------------------------------------------------------


def _texts(fields: tuple[Field, ...]) -> dict[str, object]:
    return {
        item.label: _texts(item.fields) if item.fields else item.text.striptags() for item in fields
    }


def test_a_summary_reads_as_named_fields() -> None:
    digest = "ab" * 32
    summary = json.dumps(
        {
            "ballots_cast": 99,
            "valid": True,
            "void_reasons": [],
            "elected": ["朱淑珍", "徐丽娟"],
            "election_id": 4,
            "export_sha256": digest,
            "note": "",
        }
    )
    assert _texts(summary_fields("election.announce", summary)) == {
        "投出的选票": "99",
        "本轮有效": "是",
        "无效的原因": "—",
        "当选人": "朱淑珍、徐丽娟",
        "选举": "#4",
        "计票数据校验码": "-".join(["abab"] * 16),
        "说明": "—",
    }


def test_codes_read_as_their_names_and_changes_as_before_and_after() -> None:
    stage = json.dumps({"from": "draft", "to": "roll_published", "on": "2026-03-02"})
    assert _texts(summary_fields("election.stage", stage)) == {
        "从": "准备",
        "到": "选民名单公示",
        "日期": "2026-03-02",
    }
    update = json.dumps({"seats": [1, 2], "title": ["旧名", "新名"]})
    assert _texts(summary_fields("election.update", update)) == {
        "应选人数": "1 → 2",
        "名称": "旧名 → 新名",
    }
    deactivation = json.dumps({"changes": {"active": [True, False]}, "name": "胡建国"})
    assert _texts(summary_fields("person.deactivate", deactivation)) == {
        "改动": {"在册": "是 → 否"},
        "姓名": "胡建国",
    }


def test_nested_figures_and_lists_of_records_read_as_fields() -> None:
    adoption = json.dumps({"adopted": True, "figures": {"yes": 67, "no": 9, "reason": "通过"}})
    assert _texts(summary_fields("compact.adoption", adoption)) == {
        "公约通过": "是",
        "表决情况": {"赞成": "67", "反对": "9", "结论": "通过"},
    }
    question = json.dumps({"options": [{"text": "满意", "correct": False}], "qtype": "single"})
    assert _texts(summary_fields("survey.question_add", question)) == {
        "选项": {"1": {"内容": "满意", "正确答案": "否"}},
        "题型": "单选题",
    }


def test_what_nobody_named_shows_its_raw_name() -> None:
    assert action_label("test.step") == "test.step"
    assert object_label("test", "1") == "test:1"
    assert object_label("election", "12") == "选举 #12"
    assert _texts(summary_fields("test.step", '{"odd_key": 1}')) == {"odd_key": "1"}
    assert summary_fields("test.step", "not json") == ()
    assert summary_fields("test.step", "[1, 2]") == ()


def test_breakable_text_adds_no_characters() -> None:
    stored = json.dumps({"sha256": "ab" * 32, "name": "<b>王</b>"}, separators=(",", ":"))
    marked = breakable(stored)
    assert isinstance(marked, Markup)
    assert "<wbr>" in marked and "<b>" not in marked
    assert Markup(marked.replace("<wbr>", "")).unescape() == stored
    # Every run between two break opportunities is short.
    runs = re.split(r"<wbr>|\s", str(marked.unescape()))
    assert max(len(run) for run in runs) <= 16
    assert breakable("short words stay whole") == "short words stay whole"
