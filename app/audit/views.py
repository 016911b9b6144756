"""Auditors browse and filter the audit log (read-only)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from starlette.responses import Response

from app.audit.models import AuditEntry
from app.audit.paths import route
from app.audit.services import iter_entries, verify_chain
from app.forms import whole_number
from app.permissions import Permission
from app.registry.models import Village
from app.templating import CHINA_TIME
from app.web import Ctx

PAGE_SIZE = 50


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _scoped(ctx: Ctx, stmt: Select[Any]) -> Select[Any]:
    """Village-bound readers see their village's entries; the others their township's."""
    user = ctx.require_user()
    if user.village_id is not None:
        return stmt.where(AuditEntry.village_id == user.village_id)
    return stmt.where(AuditEntry.township_id == user.township_id)


def _villages_in_scope(ctx: Ctx) -> list[Village]:
    user = ctx.require_user()
    stmt = select(Village).where(Village.township_id == user.township_id)
    if user.village_id is not None:
        stmt = stmt.where(Village.id == user.village_id)
    return list(ctx.db.scalars(stmt.order_by(Village.code)))


def audit_log(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    filters = {
        "action": params.get("action", "").strip(),
        "actor": params.get("actor", "").strip(),
        "object": params.get("object", "").strip(),
        "village_id": params.get("village_id", "").strip(),
        "since": params.get("since", "").strip(),
        "until": params.get("until", "").strip(),
    }
    page = max(1, whole_number(params.get("page", "1").strip()) or 1)
    stmt = _scoped(ctx, select(AuditEntry))
    if filters["action"]:
        stmt = stmt.where(AuditEntry.action.startswith(filters["action"], autoescape=True))
    if filters["actor"]:
        stmt = stmt.where(AuditEntry.actor_label.icontains(filters["actor"], autoescape=True))
    if filters["object"]:
        kind, _sep, ident = filters["object"].partition(":")
        stmt = stmt.where(AuditEntry.object_type == kind)
        if ident:
            stmt = stmt.where(AuditEntry.object_id == ident)
    village_number = whole_number(filters["village_id"])
    if village_number is not None:
        stmt = stmt.where(AuditEntry.village_id == village_number)
    since, until = _parse_day(filters["since"]), _parse_day(filters["until"])
    if since:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(since, time(), CHINA_TIME))
    if until:
        stmt = stmt.where(
            AuditEntry.at < datetime.combine(until + timedelta(days=1), time(), CHINA_TIME)
        )
    total = ctx.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    entries = list(
        ctx.db.scalars(
            stmt.order_by(AuditEntry.seq.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        )
    )
    villages = _villages_in_scope(ctx)
    actions = sorted(ctx.db.scalars(_scoped(ctx, select(AuditEntry.action).distinct())))
    return ctx.render(
        "audit/log.html",
        entries=entries,
        filters=filters,
        page=page,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        total=total,
        villages=villages,
        actions=actions,
    )


def audit_verify(ctx: Ctx) -> Response:
    checked, problem = verify_chain(iter_entries(ctx.db))
    return ctx.render("audit/verify.html", checked=checked, problem=problem)


routes = [
    route("/audit", audit_log, name="audit:log", permission=Permission.AUDIT_READ),
    route("/audit/verify", audit_verify, name="audit:verify", permission=Permission.AUDIT_READ),
]
