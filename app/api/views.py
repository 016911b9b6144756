"""Routes of the read-only JSON API, its OpenAPI document and page, and the token pages.

The JSON endpoints live in one Router mounted at /api/v1 whose fallback is a JSON 404,
so nothing under /api/v1/ ever answers with an HTML page. The token pages are ordinary
staff pages (app.web.route), for the township admin.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Router

from app.accounts.services import staff_member
from app.api import data, openapi, services
from app.api.auth import ApiCtx, ApiRoute, api_route, json_response, not_found, not_found_json
from app.api.forms import parse_token_form
from app.api.paths import TOKEN, route
from app.errors import InvalidInput
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.web import Ctx
from assessment import services as assessment
from ballots.models import Election
from meetings.models import Meeting

API_PREFIX = "/api/v1"


# --- JSON endpoints ------------------------------------------------------------------------


def village_assessment(ctx: ApiCtx) -> dict[str, Any]:
    village = ctx.village(ctx.record_id("village_id"))
    year = ctx.year()
    return data.village_assessment(
        assessment.village_assessment(ctx.db, village.id, year), ctx.url_for
    )


def township_overview(ctx: ApiCtx) -> dict[str, Any]:
    year = ctx.year()
    caller = ctx.caller
    only = [caller.village_id] if caller.village_id is not None else None
    overview = assessment.township_overview(ctx.db, caller.township_id, year, village_ids=only)
    return data.township_overview(overview)


def election_results(ctx: ApiCtx) -> dict[str, Any]:
    election = ctx.db.get(Election, ctx.record_id("election_id"))
    if election is None or election.is_drill:  # a drill (app.drill) is not in the API
        raise not_found(lazy("没有这次选举。请检查选举的编号。"))
    village = ctx.village(election.village_id)
    return data.election_results(ctx.db, election, village)


def meeting_attendance(ctx: ApiCtx) -> dict[str, Any]:
    meeting = ctx.db.get(Meeting, ctx.record_id("meeting_id"))
    if meeting is None or meeting.is_drill:  # a drill (app.drill) is not in the API
        raise not_found(lazy("没有这个会议。请检查会议的编号。"))
    village = ctx.village(meeting.village_id)
    return data.meeting_attendance(ctx.db, meeting, village)


async def openapi_json(request: Request) -> Response:
    server = str(request.url_for("api:docs").path).rstrip("/")
    return json_response(openapi.document(server), headers={"Cache-Control": "no-cache"})


def docs(ctx: Ctx) -> Response:
    """A short page for people: the endpoints, how to authenticate, the document."""
    base = ctx.url("api:docs").rstrip("/")
    endpoints = [
        {
            "path": base + path,
            "summary": item["get"]["summary"],
            "params": item["get"]["parameters"],
        }
        for path, item in openapi.PATHS.items()
    ]
    return ctx.render("api/docs.html", endpoints=endpoints)


# --- token pages (township admin) ------------------------------------------------------------


def _tokens_page(ctx: Ctx, status_code: int = 200, **context: Any) -> Response:
    user = ctx.require_user()
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.setdefault("created", None)
    return ctx.render(
        "api/tokens.html",
        status_code=status_code,
        tokens=services.list_tokens(ctx.db, user.township_id),
        villages=services.township_villages(ctx.db, user.township_id),
        **context,
    )


def tokens(ctx: Ctx) -> Response:
    return _tokens_page(ctx)


def token_create(ctx: Ctx) -> Response:
    user = staff_member(ctx.db, ctx.require_user())
    villages = services.township_villages(ctx.db, user.township_id)
    form = {"label": ctx.field("label"), "village_id": ctx.field("village_id")}
    try:
        label, village_id = parse_token_form(
            form["label"], form["village_id"], {v.id for v in villages}
        )
    except InvalidInput as error:
        return _tokens_page(ctx, 422, form=form, errors=error.errors)
    created = services.create_token(ctx.db, ctx.actor, user, label, village_id)
    # Shown on this answer only (not flashed: the session cookie must not carry it).
    page = _tokens_page(ctx, created=created)
    page.headers["Cache-Control"] = "no-store"
    return page


def token_revoke(ctx: Ctx) -> Response:
    user = staff_member(ctx.db, ctx.require_user())
    token = services.revoke_token(ctx.db, ctx.actor, user, TOKEN.of(ctx))
    ctx.flash(gettext_("已撤销令牌“%(label)s”，用它的系统将无法再读取数据。", label=token.label))
    return ctx.redirect("api:tokens")


json_routes: list[BaseRoute] = [
    api_route(
        "/villages/{village_id:int}/assessment", village_assessment, name="api:village_assessment"
    ),
    api_route("/assessment/overview", township_overview, name="api:overview"),
    api_route(
        "/elections/{election_id:int}/results", election_results, name="api:election_results"
    ),
    api_route(
        "/meetings/{meeting_id:int}/attendance", meeting_attendance, name="api:meeting_attendance"
    ),
    ApiRoute("/openapi.json", openapi_json, name="api:openapi", methods=["GET"]),
    route("/", docs, name="api:docs", permission=Permission.PUBLIC),
]

routes: list[BaseRoute] = [
    Mount(API_PREFIX, app=Router(routes=json_routes, default=not_found_json)),
    route("/api/tokens", tokens, name="api:tokens", permission=Permission.ASSESSMENT_MANAGE),
    route(
        "/api/tokens",
        token_create,
        name="api:token_create",
        permission=Permission.ASSESSMENT_MANAGE,
        methods=["POST"],
    ),
    route(
        "/api/tokens/{token_id:int}/revoke",
        token_revoke,
        name="api:token_revoke",
        permission=Permission.ASSESSMENT_MANAGE,
        methods=["POST"],
    ),
]
