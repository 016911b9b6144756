"""Every form parser, fed anything: a result with Chinese messages, or a DomainError.

The parsers are found by walking the packages' forms modules, so a new forms module
(surveys, assessment, ...) is covered as soon as it exists. Arguments are generated
from the type hints: text for `str`, lists of text for sequences, dicts of text for
mappings, the real types for ids, dates, times and FormResult collectors.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import importlib
import inspect
import os
import re
import types
import typing
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import Base
from app.errors import DomainError
from app.forms import FormResult
from app.settings import PROJECT_ROOT
from tests.security.strategies import TRICKY, text_lists, texts

PACKAGES = ("app", "assessment", "ballots", "compacts", "meetings", "minutes", "surveys")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def forms_modules() -> list[ModuleType]:
    found = []
    for package in PACKAGES:
        root = PROJECT_ROOT / package
        for path in sorted(Path(root).rglob("forms*.py")):
            relative = path.relative_to(PROJECT_ROOT).with_suffix("")
            found.append(importlib.import_module(".".join(relative.parts)))
    return found


def parsers() -> list[tuple[str, Any]]:
    out = []
    for module in forms_modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                out.append((f"{module.__name__}.{name}", function))
    return out


# Parameters the caller fills from its own code, never from the request.
FIXED = {
    "message": st.just("请选择一项。"),
    "label": st.just("名称"),
    "name": st.sampled_from(["title", "reason", "field"]),
    "max_length": st.integers(min_value=1, max_value=500),
    "max_digits": st.integers(min_value=1, max_value=18),
}


def strategy_for(
    hint: Any, name: str, text: st.SearchStrategy[str] = texts
) -> st.SearchStrategy[Any]:
    if name in FIXED:
        return FIXED[name]
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a, name, text) for a in args if a is not type(None)))
    if hint is str:
        return text
    if hint is bool:
        return st.booleans()
    if hint is int:
        # `seats` and similar counts come from the database: small and positive.
        return st.integers(min_value=0, max_value=10**6)
    if hint is datetime:
        # The app passes aware times (app.db.utcnow); a form's own values are text.
        return st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        )
    if hint is date:
        return st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
    if hint is FormResult:
        return st.builds(FormResult)
    if origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping):
        return st.dictionaries(st.sampled_from(_KEYS) | texts, text, max_size=12)
    if origin in (
        collections.abc.Sequence,
        collections.abc.Collection,
        collections.abc.Container,
        collections.abc.Iterable,
        list,
        set,
        frozenset,
        tuple,
    ):
        item = args[0] if args else str
        if item is str:
            strings = text_lists if text is texts else st.lists(text, min_size=1, max_size=2)
            return strings.map(origin if origin in (list, set, frozenset, tuple) else list)
        elements = st.lists(strategy_for(item, name, text), max_size=5)
        return elements.map(origin if origin in (list, set, frozenset, tuple) else list)
    if origin is collections.abc.Callable:
        # A field reader (ctx.secret_field): whatever the browser sent under each name.
        returns = strategy_for(args[1], name, text) if len(args) == 2 else text
        return st.functions(like=lambda field: "", returns=returns, pure=True)
    if dataclasses.is_dataclass(hint):
        return st.from_type(hint)
    if isinstance(hint, type) and issubclass(hint, Base):
        raise Unsupported(hint.__name__)
    raise AssertionError(f"teach tests/security/test_forms_properties.py the type {hint!r}")


class Unsupported(Exception):
    """A parser that takes a database row: its text inputs are covered over HTTP
    (tests/security/test_http_properties.py)."""


# Field names the Mapping-taking parsers read (any other key is ignored by them).
_KEYS = [
    "title",
    "office",
    "electorate",
    "seats",
    "election_day",
    "profile",
    "name",
    "gender",
    "birth_date",
    "household",
    "group",
    "kind",
    "starts_at",
    "place",
    "convener",
    "host",
    "recorder",
    "notice_days",
    "residence",
    "id_number",
    "note",
]


def call_strategy(
    function: Any, text: st.SearchStrategy[str] = texts
) -> st.SearchStrategy[tuple[list[Any], dict[str, Any]]]:
    hints = typing.get_type_hints(function)
    positional: list[st.SearchStrategy[Any]] = []
    keywords: dict[str, st.SearchStrategy[Any]] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.default is not inspect.Parameter.empty and parameter.name not in hints:
            continue
        strategy = strategy_for(hints[parameter.name], parameter.name, text)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            keywords[parameter.name] = strategy
        else:
            positional.append(strategy)
    return st.tuples(st.tuples(*positional).map(list), st.fixed_dictionaries(keywords))


PLAIN_FIXED = {"message": "请选择一项。", "label": "名称", "name": "field", "max_length": 50}


def plain_value(hint: Any, name: str, text: str) -> Any:
    """The simplest argument of a type, with `text` wherever the user types."""
    if name in PLAIN_FIXED:
        return PLAIN_FIXED[name]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return plain_value(next(a for a in args if a is not type(None)), name, text)
    simple = {
        str: text,
        bool: False,
        int: 1,
        date: date(2026, 5, 1),
        datetime: datetime(2026, 5, 1, tzinfo=UTC),
    }
    if hint in simple:
        return simple[hint]
    if hint is FormResult:
        return FormResult()
    if origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping):
        return dict.fromkeys(_KEYS, text)
    if origin is collections.abc.Callable:
        return lambda _field: text  # a field reader: the same text under every name
    if origin is not None and args:
        item = plain_value(args[0], name, text)
        return set([item]) if origin in (set, frozenset) else [item, item]
    raise Unsupported(str(hint))  # a dataclass of rules: the random examples cover it


def plain_call(function: Any, text: str) -> tuple[list[Any], dict[str, Any]]:
    hints = typing.get_type_hints(function)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.default is not inspect.Parameter.empty and parameter.name not in hints:
            continue
        value = plain_value(hints[parameter.name], parameter.name, text)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return args, kwargs


ALL = parsers()


def test_the_walk_finds_the_parsers():
    names = {name for name, _ in ALL}
    assert "app.registry.forms.parse_person" in names
    assert "ballots.setup.forms.parse_election" in names
    assert len(names) > 50


def _check_outcome(name: str, outcome: Any) -> None:
    if isinstance(outcome, FormResult):
        for field_name, message in outcome.errors.items():
            assert isinstance(message, str) and CHINESE.search(message), (
                f"{name}: the message for {field_name} is not Chinese: {message!r}"
            )


def _run(name: str, function: Any, call: tuple[list[Any], dict[str, Any]]) -> None:
    args, kwargs = call
    try:
        outcome = function(*args, **kwargs)
    except DomainError as error:
        message = error.render_message()
        assert message and CHINESE.search(message), f"{name}: {message!r}"
        return
    _check_outcome(name, outcome)


@pytest.mark.parametrize(("name", "function"), ALL, ids=[n for n, _ in ALL])
def test_any_input_gives_a_result_or_a_clear_error(name, function):
    try:
        strategy = call_strategy(function)
    except Unsupported as error:
        pytest.skip(f"{name} takes a {error} row: covered over HTTP")

    # Nothing left to chance: every tricky value in every text parameter at once, the
    # other parameters at their simplest.
    try:
        plain = [plain_call(function, value) for value in TRICKY]
    except Unsupported:
        plain = []
    for call in plain:
        _run(name, function, call)

    @settings(
        max_examples=int(os.environ.get("CUNYI_HYPOTHESIS_EXAMPLES", "30")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(call=strategy)
    def check(call: tuple[list[Any], dict[str, Any]]) -> None:
        _run(name, function, call)

    check()
