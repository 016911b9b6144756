"""Auditors browse and filter the audit log (read-only)."""

from __future__ import annotations

from datetime import date

from starlette.responses import Response

from app.audit.display import log_rows
from app.audit.labels import action_label
from app.audit.paths import route
from app.audit.services import (
    DRILL_NONE,
    DRILL_ONLY,
    LogFilters,
    actions_in_scope,
    chain_anchor,
    iter_entries,
    search_log,
    verify_chain,
    villages_in_scope,
)
from app.forms import whole_number
from app.i18n import gettext_
from app.permissions import Permission
from app.web import Ctx


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def audit_log(ctx: Ctx) -> Response:
    reader = ctx.require_user()
    params = ctx.request.query_params
    filters = {
        "action": params.get("action", "").strip(),
        "actor": params.get("actor", "").strip(),
        "object": params.get("object", "").strip(),
        "village_id": params.get("village_id", "").strip(),
        "since": params.get("since", "").strip(),
        "until": params.get("until", "").strip(),
        "drill": params.get("drill", "").strip(),
    }
    if filters["drill"] not in (DRILL_ONLY, DRILL_NONE):
        filters["drill"] = ""
    page = max(1, whole_number(params.get("page", "1").strip()) or 1)
    wanted = LogFilters(
        action=filters["action"],
        actor=filters["actor"],
        object=filters["object"],
        village_id=whole_number(filters["village_id"]),
        since=_parse_day(filters["since"]),
        until=_parse_day(filters["until"]),
        drill=filters["drill"],
    )
    found = search_log(ctx.db, reader, wanted, page)
    return ctx.render(
        "audit/log.html",
        rows=log_rows(found.entries),
        filters=filters,
        page=page,
        pages=found.pages,
        total=found.total,
        villages=villages_in_scope(ctx.db, reader),
        # The raw names stay the values: the filter matches them by prefix.
        actions=[(a, action_label(a)) for a in actions_in_scope(ctx.db, reader)],
        drill_choices=[
            ("", gettext_("正式和演练都看")),
            (DRILL_NONE, gettext_("不看演练")),
            (DRILL_ONLY, gettext_("只看演练")),
        ],
    )


def audit_verify(ctx: Ctx) -> Response:
    checked, problem = verify_chain(iter_entries(ctx.db))
    return ctx.render(
        "audit/verify.html", checked=checked, problem=problem, anchor=chain_anchor(ctx.db)
    )


routes = [
    route("/audit", audit_log, name="audit:log", permission=Permission.AUDIT_READ),
    route("/audit/verify", audit_verify, name="audit:verify", permission=Permission.AUDIT_READ),
]
