"""Every form through HTTP, with hypothesis-made values: never a 500, and a refused
form (4xx) writes nothing.

Each POST form drawn on the village's pages is submitted by a role allowed to, with a
few of its fields replaced by hostile text (control characters, huge numbers, unicode
digits, markup, 100 000 characters) or repeated or left out. Routes whose form no page
drew get the field names seen anywhere. Each example runs in its own savepoint, rolled
back afterwards, so every example starts from the same village.
"""

from __future__ import annotations

import os
from typing import Any

import httpx2 as httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.permissions import Permission
from tests.app.helpers import fill_path, walk_routes
from tests.security.strategies import texts
from tests.security.support import (
    STREAMING,
    Form,
    Snapshot,
    allowed,
    browsers,
    build_world,
    crawl_forms,
    route_for,
)

# A wrong password is counted even though the form is refused (throttling, by design:
# app.web Ctx.on_failure); nothing else may be written by a refused form.
KEPT_ON_FAILURE = frozenset({"signin_failure"})
EXAMPLES = int(os.environ.get("CUNYI_HYPOTHESIS_EXAMPLES", "5"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@st.composite
def submissions(draw: st.DrawFn, base: dict[str, Any], names: list[str]) -> dict[str, Any]:
    data = dict(base)
    pool = sorted(set(names) | set(base)) or ["text"]
    for name in draw(st.lists(st.sampled_from(pool), max_size=4, unique=True)):
        how = draw(st.integers(min_value=0, max_value=5))
        if how == 0:
            data.pop(name, None)
        elif how == 1:
            data[name] = draw(st.lists(texts, min_size=2, max_size=3))
        else:
            data[name] = draw(texts)
    return data


def _fuzz(problems, connection, snapshot, browser, token, path, base, names, where) -> None:
    @BOUNDED
    @given(data=submissions(base, names))
    def run(data: dict[str, Any]) -> None:
        nested = connection.begin_nested()
        try:
            before = snapshot.take()
            try:
                response = browser.post(path, data={**data, "csrf_token": token})
            except Exception as error:  # the test client re-raises the server's error
                problems.append(f"{where}: {type(error).__name__} for {_short(data)}")
                return
            status = response.status_code
            if status >= 500:
                problems.append(f"{where}: {status} for {_short(data)}")
            elif status >= 400 and (changed := snapshot.changes(before, KEPT_ON_FAILURE)):
                problems.append(f"{where}: {status} but wrote {changed} for {_short(data)}")
        finally:
            nested.rollback()

    run()


def _short(data: dict[str, Any]) -> str:
    return repr({k: (v[:40] if isinstance(v, str) else v) for k, v in data.items()})[:600]


def test_any_form_input_gives_an_answer_never_a_500_and_a_refusal_writes_nothing(
    app, client, db, connection
):
    world = build_world(db, connection)
    ids = world.ids["home"]
    clients = browsers(app, world)
    forms = crawl_forms(app, clients, ids)
    all_names = sorted({f.name for form in forms.values() for f in form.fields} - {"csrf_token"})
    snapshot = Snapshot(connection)
    problems: list[str] = []

    targets: list[tuple[str, Any, Form | None]] = []
    covered = set()
    for action, form in sorted(forms.items()):
        info = route_for(app, action)
        if info is not None and info.permission is not Permission.PUBLIC:
            targets.append((action, info, form))
            covered.add(info.name)
    for info in walk_routes(app.routes):
        if (
            "POST" in info.methods
            and info.permission is not Permission.PUBLIC
            and info.name not in covered
        ):
            targets.append((fill_path(app, info, ids), info, None))
    assert len(targets) > 50

    for path, info, form in targets:
        role = next(r for r in clients if allowed(r, info.permission))
        browser, token = clients[role]
        base = form.filled() if form else {}
        names = [f.name for f in form.fields if f.name != "csrf_token"] if form else all_names
        where = f"{role} POST {path} ({info.name})"
        _fuzz(problems, connection, snapshot, browser, token, path, base, names, where)
    assert problems == [], "\n".join(problems)


QUERY_NAMES = [
    "page",
    "q",
    "name",
    "group",
    "group_id",
    "household",
    "status",
    "since",
    "until",
    "actor",
    "action",
    "object",
    "village_id",
    "year",
    "round",
    "old",
    "new",
    "lang",
    "next",
]


def test_any_query_string_gives_an_answer_never_a_500(app, client, db, connection):
    world = build_world(db, connection)
    ids = world.ids["home"]
    clients = browsers(app, world)
    problems: list[str] = []
    queries = st.dictionaries(st.sampled_from(QUERY_NAMES) | texts, texts, min_size=1, max_size=4)
    for info in walk_routes(app.routes):
        if info.is_mount or "GET" not in info.methods or info.name in STREAMING:
            continue
        if info.permission is Permission.PUBLIC and "{token}" in info.path:
            continue
        role = next(r for r in clients if allowed(r, info.permission))
        _query_fuzz(problems, queries, clients[role][0], fill_path(app, info, ids))
    assert problems == [], "\n".join(problems)


def _query_fuzz(problems, queries, browser, path) -> None:
    @BOUNDED
    @given(params=queries)
    def run(params: dict[str, str]) -> None:
        try:
            status = browser.get(path, params=params).status_code
        except httpx.InvalidURL:
            return  # the client would not send it (too long, or a character URLs forbid)
        except Exception as error:  # the test client re-raises the server's error
            problems.append(f"GET {path}: {type(error).__name__} for {_short(params)}")
            return
        if status >= 500:
            problems.append(f"GET {path}: {status} for {_short(params)}")

    run()
