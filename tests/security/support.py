"""A world of three villages for the security suite, and a fast "nothing written" check.

`home` and `sibling` share a township; `far` is in another township. Each holds one row
of every kind (tests/app/helpers.py `existing_ids`), and every name and title outside
`home` carries a marker, so a page that leaks another village's records is caught by
looking for the marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, inspect, text
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.routing import Match
from starlette.testclient import TestClient

from app.accounts.models import StaffUser
from app.permissions import ROLE_PERMISSIONS, Permission, Role
from app.registry.models import Village
from tests import factories
from tests.app.helpers import RouteInfo, existing_ids, fill_path, signed_in, walk_routes
from tests.conftest import csrf_from

SIBLING_MARK = "邻村机密"
FAR_MARK = "外镇机密"
DENIED = "您的账号没有进行此操作的权限"
# Routes that stream (server-sent events) and never end on their own.
STREAMING = frozenset({"meetings:projector_events"})


@dataclass
class World:
    home: Village
    sibling: Village
    far: Village
    ids: dict[str, dict[str, Any]]  # "home" | "sibling" | "far" -> path parameters
    users: dict[Role, StaffUser] = field(default_factory=dict)


def _mark(connection: Connection, village_ids: list[int], marker: str) -> None:
    """Prefix every name and title of these villages' rows with `marker`."""
    inspector = inspect(connection)
    for table in inspector.get_table_names():
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        if table == "village":
            where = "id"
        elif "village_id" in columns:
            where = "village_id"
        else:
            continue
        for column in ("name", "title"):
            if column in columns:
                ids = ", ".join(str(i) for i in village_ids)
                connection.execute(
                    text(
                        f'UPDATE "{table}" SET "{column}" = :mark || "{column}" '
                        f"WHERE {where} IN ({ids})"
                    ),
                    {"mark": marker},
                )


def mark(connection: Connection, village_ids: list[int], marker: str) -> None:
    _mark(connection, village_ids, marker)


def build_world(db: Session, connection: Connection) -> World:
    home = factories.VillageFactory()
    sibling = factories.VillageFactory(township=home.township)
    far = factories.VillageFactory()
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=home.township)
    far_admin = factories.staff(Role.TOWNSHIP_ADMIN, township=far.township)
    ids = {
        "home": existing_ids(db, home.id, admin),
        "sibling": existing_ids(db, sibling.id, admin),
        "far": existing_ids(db, far.id, far_admin),
    }
    # existing_ids opens a round and records entrustments and paper counts: the
    # election is voting, as it would be in a village (a draft has none of those).
    from ballots.models import Election, Stage

    for village_ids in ids.values():
        election = db.get(Election, village_ids["election_id"])
        assert election is not None
        election.stage = Stage.VOTING_OPEN
    db.flush()
    _mark(connection, [sibling.id], SIBLING_MARK)
    _mark(connection, [far.id], FAR_MARK)
    connection.execute(
        text("UPDATE township SET name = :mark || name WHERE id = :id"),
        {"mark": FAR_MARK, "id": far.township_id},
    )
    db.expire_all()
    world = World(home=home, sibling=sibling, far=far, ids=ids)
    for role in Role:
        if role in (Role.TOWNSHIP_ADMIN, Role.AUDITOR):
            world.users[role] = factories.staff(role, township=home.township)
        else:
            world.users[role] = factories.staff(role, home)
    return world


def browsers(app: Starlette, world: World) -> dict[Role, tuple[TestClient, str]]:
    """A signed-in browser and its CSRF token per role."""
    out = {}
    for role, user in world.users.items():
        browser = signed_in(app, user)
        out[role] = (browser, csrf_from(browser, "/"))
    return out


def allowed(role: Role, permission: Permission) -> bool:
    return permission is Permission.PUBLIC or permission in ROLE_PERMISSIONS[role]


def staff_routes(app: Starlette) -> list[RouteInfo]:
    """Every route a role decides about: not public, not a static mount."""
    return [
        info
        for info in walk_routes(app.routes)
        if not info.is_mount and info.permission is not Permission.PUBLIC
    ]


class Snapshot:
    """Row counts of every table in one query, and the audit log's length."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        names = sorted(inspect(connection).get_table_names())
        selects = ", ".join(f'(SELECT count(*) FROM "{n}")' for n in names)
        self.names = names
        self.query = text(f"SELECT {selects}")

    def take(self) -> dict[str, int]:
        row = self.connection.execute(self.query).one()
        return dict(zip(self.names, (int(v) for v in row), strict=True))

    def changes(
        self, before: dict[str, int], ignore: frozenset[str] = frozenset()
    ) -> dict[str, tuple[int, int]]:
        after = self.take()
        return {
            k: (before[k], after[k]) for k in before if before[k] != after[k] and k not in ignore
        }


# --- Forms as the pages draw them ----------------------------------------------------

TEXT_TYPES = frozenset({"text", "search", "textarea", "tel", "email", "url", ""})


@dataclass
class FormField:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str
    options: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def free_text(self) -> bool:
        """Typed words, not a number, date or code in a text box."""
        return (
            self.kind in TEXT_TYPES
            and self.attrs.get("inputmode") not in ("numeric", "decimal")
            and "pattern" not in self.attrs
            and not self.value.strip().isdigit()
        )

    def sample(self) -> str:
        """A value a person would plausibly submit for a non-text field."""
        if self.kind == "select":
            chosen = [o for o in self.options if o]
            return self.value or (chosen[0] if chosen else "")
        if self.value:
            return self.value
        return {
            "date": "2027-06-01",
            "datetime-local": "2027-06-01T09:00",
            "time": "09:00",
            "number": "1",
            "month": "2027-06",
        }.get(self.kind, "1" if self.kind in TEXT_TYPES else self.value)


@dataclass
class Form:
    action: str
    fields: list[FormField] = field(default_factory=list)

    @property
    def text_names(self) -> list[str]:
        return sorted({f.name for f in self.fields if f.free_text})

    def filled(self, text: str | None = None) -> dict[str, str | list[str]]:
        """The form as a person fills it: every free-text field set to `text` (cut to
        the field's maxlength), the other fields to plausible values."""
        data: dict[str, list[str]] = {}
        seen_radio: set[str] = set()
        for item in self.fields:
            if item.kind == "radio":
                if item.name in seen_radio:
                    continue
                seen_radio.add(item.name)
            if item.kind in ("submit", "button", "file", "reset", "image"):
                continue
            if item.kind == "hidden" or item.kind in ("checkbox", "radio"):
                value = item.value
            elif text is not None and item.free_text:
                limit = item.attrs.get("maxlength", "")
                value = text[: int(limit)] if limit.isdigit() else text
            else:
                value = item.sample()
            data.setdefault(item.name, []).append(value)
        return {k: v[0] if len(v) == 1 else v for k, v in data.items()}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(action=a.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            # Checkboxes are sent ticked: forms that need a choice then have one.
            kind = a.get("type", "text").lower()
            self._form.fields.append(FormField(a["name"], kind, a.get("value", ""), attrs=a))
        elif tag == "textarea":
            self._textarea = FormField(a["name"], "textarea", "", attrs=a)
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = FormField(a["name"], "select", "")
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.value = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(page: str, path: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    for form in parser.forms:
        form.action = urlsplit(form.action).path if form.action else urlsplit(path).path
    return parser.forms


def crawl_forms(
    app: Starlette, clients: dict[Role, tuple[TestClient, str]], ids: dict[str, Any]
) -> dict[str, Form]:
    """Every POST form drawn on the GET pages of `ids`' village, by action path; each
    page is fetched by the first role allowed to see it."""
    found: dict[str, Form] = {}
    for info in walk_routes(app.routes):
        if info.is_mount or "GET" not in info.methods or info.name in STREAMING:
            continue
        roles = [r for r in clients if allowed(r, info.permission)]
        if not roles:
            continue
        path = fill_path(app, info, ids)
        for role in roles[:2]:
            response = clients[role][0].get(path)
            if response.status_code != 200 or "html" not in response.headers.get(
                "content-type", ""
            ):
                continue
            for form in forms_on(response.text, path):
                if form.action not in found or len(form.fields) > len(found[form.action].fields):
                    found[form.action] = form
    return found


def route_for(app: Starlette, path: str) -> RouteInfo | None:
    """The declared route a concrete path belongs to."""
    for info in walk_routes(app.routes):
        if info.is_mount:
            continue
        match, _scope = info.route.matches({"type": "http", "path": path, "method": "POST"})
        if match is Match.FULL:
            return info
    return None
