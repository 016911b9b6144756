"""Answers, adoption, filing, publication and delivery pages.

Staff pages name a version (/compacts/versions/{version_id}/...), which the request layer
loads and scope-checks; villagers reach their answers and their household's receipt through
their QR slip (/s/{token}/...); the published text and its A4 edition are public.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.actors import Actor
from app.audit.services import chain_anchor
from app.drill import not_drill
from app.errors import InvalidInput, NotFound
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission, allows
from app.registry.models import Household, Village
from app.web import Ctx
from compacts.adoption import answers, delivery
from compacts.adoption import services as adoption
from compacts.adoption.forms import parse_answer, parse_decision, parse_households, parse_put
from compacts.adoption.views_township import routes as township_routes
from compacts.exceptions import FilingRefused
from compacts.models import Compact, DeliveryMethod, Version
from compacts.paths import COMMENT, VERSION, route, slip_route
from compacts.text import render_source
from compacts.versions.services import (
    mark_order_answered,
    open_correction_orders,
    orders_a_version_may_answer,
)
from meetings.models import Meeting, MeetingStatus, Motion
from meetings.refs import VERSION_NAMES, shown_text
from slips import SLIP_PAGE_SECTIONS, PageSection
from slips.services import SlipAccess, resolve_slip
from slips.views import villager_page

VILLAGER_QR = Actor(label="村民扫码（村规民约送达）")
OUTCOMES = {
    "accepted": lazy("采纳"),
    "partly": lazy("部分采纳"),
    "not_accepted": lazy("不采纳"),
}


def _with_compact(ctx: Ctx, version: Version) -> tuple[Version, Compact, Village]:
    compact = answers.compact_of(ctx.db, version)
    village = ctx.db.get(Village, compact.village_id)
    assert village is not None
    return version, compact, village


def _version(ctx: Ctx) -> tuple[Version, Compact, Village]:
    """The version in the path, loaded (and on staff pages scope-checked) by the request
    layer."""
    return _with_compact(ctx, VERSION.of(ctx))


def _slip_version(ctx: Ctx) -> tuple[Version, Compact, Village]:
    version = ctx.db.get(Version, ctx.path["version_id"])
    if version is None:
        raise NotFound(VERSION.missing)
    return _with_compact(ctx, version)


# --- answers -------------------------------------------------------------------------


def _answers_page(ctx: Ctx, *, errors: dict[int, dict[str, str]] | None = None) -> Response:
    version, compact, village = _version(ctx)
    return ctx.render(
        "compacts/adoption_answers.html",
        422 if errors else 200,
        version=version,
        compact=compact,
        village=village,
        rows=answers.comments_to_answer(ctx.db, version),
        missing=answers.unanswered_count(ctx.db, version),
        outcomes=OUTCOMES,
        errors=errors or {},
        raw=ctx.form or {},
        may_answer=allows(ctx.user, Permission.COMPACT_MANAGE),
    )


def answers_view(ctx: Ctx) -> Response:
    return _answers_page(ctx)


def answer_post(ctx: Ctx) -> Response:
    version, _compact, _village = _version(ctx)
    comment = COMMENT.of(ctx)
    if not answers.must_answer(ctx.db, version, comment):
        raise NotFound(COMMENT.missing)
    result = parse_answer(ctx.field("outcome"), ctx.field("reason"))
    if not result.ok:
        return _answers_page(ctx, errors={comment.id: result.errors})
    answers.answer(
        ctx.db, ctx.actor, comment, result.values["outcome"], result.values["reason"], version
    )
    ctx.flash(gettext_("答复已保存。"))
    return ctx.redirect("compacts:answers", version_id=version.id)


# --- adoption and filing -------------------------------------------------------------


def _meetings(ctx: Ctx, village: Village) -> list[Meeting]:
    stmt = (
        select(Meeting)
        .where(
            Meeting.village_id == village.id,
            not_drill(Meeting),  # a drill (app.drill) adopts nothing
            Meeting.kind.in_(adoption.adopting_kinds()),
            Meeting.status.not_in([MeetingStatus.CLOSED, MeetingStatus.CANCELLED]),
        )
        .order_by(Meeting.starts_at)
    )
    return list(ctx.db.scalars(stmt))


def _adoption_context(ctx: Ctx) -> dict[str, Any]:
    version, compact, village = _version(ctx)
    filings = adoption.filings_of(ctx.db, version)
    answerable = orders_a_version_may_answer(ctx.db, compact, version)
    ref = adoption.version_ref(version)
    name = adoption.version_name(ctx.db, ref)
    motions = adoption.motions_for(ctx.db, version)
    return {
        "version": version,
        "compact": compact,
        "village": village,
        "missing": answers.unanswered_count(ctx.db, version),
        "open_orders": open_correction_orders(ctx.db, compact),
        "answerable": answerable,
        "answerable_options": [(str(f.id), f.order_text[:40]) for f in answerable],
        "meetings": _meetings(ctx, village),
        "motions": motions,
        "motion_texts": {m.id: shown_text(m.text, ref, name) for m in motions},
        "recorded": {a.motion_id for a in adoption.adoptions_of(ctx.db, version)},
        "adoptions": adoption.adoptions_of(ctx.db, version),
        "adopted": adoption.adopted(ctx.db, version),
        "figures": adoption.figures,
        "filings": filings,
        "articles_of": adoption.filing_articles,
        "pending": adoption.pending_filing(ctx.db, version),
        "acknowledged": adoption.acknowledged(ctx.db, version),
        "publication": delivery.publication_of(ctx.db, version),
        "coverage": delivery.coverage(ctx.db, version),
        "may_manage": allows(ctx.user, Permission.COMPACT_MANAGE),
        "may_file": allows(ctx.user, Permission.COMPACT_FILE),
        "may_lead": allows(ctx.user, Permission.COMPACT_LEAD),
        "errors": {},
        "raw": ctx.form or {},
    }


def adoption_view(ctx: Ctx) -> Response:
    return ctx.render("compacts/adoption_page.html", **_adoption_context(ctx))


def _refused(ctx: Ctx, errors: dict[str, str]) -> Response:
    context = {**_adoption_context(ctx), "errors": errors}
    return ctx.render("compacts/adoption_page.html", 422, **context)


def put_post(ctx: Ctx) -> Response:
    version, _compact, village = _version(ctx)
    meetings = _meetings(ctx, village)
    result = parse_put(ctx.field("meeting"), ctx.field("method"), [m.id for m in meetings])
    if not result.ok:
        return _refused(ctx, result.errors)
    meeting = ctx.db.get(Meeting, result.values["meeting_id"])
    assert meeting is not None
    adoption.put_to_assembly(ctx.db, ctx.actor, version, meeting, result.values["method"])
    ctx.flash(gettext_("已列入会议议程，开会时由主持人组织表决。"))
    return ctx.redirect("compacts:adoption", version_id=version.id)


def record_post(ctx: Ctx) -> Response:
    version, _compact, _village = _version(ctx)
    motion_id = ctx.field("motion")
    number = whole_number(motion_id)
    motion = ctx.db.get(Motion, number) if number is not None else None
    if motion is None:
        return _refused(ctx, {"motion": gettext_("请选择要登记结果的表决。")})
    row = adoption.record_adoption(ctx.db, ctx.actor, version, motion)
    ctx.flash(gettext_("表决通过，已登记。") if row.adopted else gettext_("表决未通过，已登记。"))
    return ctx.redirect("compacts:adoption", version_id=version.id)


def filing_post(ctx: Ctx) -> Response:
    version, _compact, _village = _version(ctx)
    adoption.submit_filing(ctx.db, ctx.actor, version)
    ctx.flash(gettext_("已报乡镇备案。"))
    return ctx.redirect("compacts:adoption", version_id=version.id)


def decide_post(ctx: Ctx) -> Response:
    version, _compact, _village = _version(ctx)
    filing = adoption.pending_filing(ctx.db, version)
    if filing is None:
        raise NotFound(lazy("这个版本没有等待答复的备案。"))
    result = parse_decision(ctx.field("decision"), ctx.field("order_text"), ctx.field("articles"))
    if not result.ok:
        return _refused(ctx, result.errors)
    try:
        adoption.decide_filing(ctx.db, ctx.actor, filing, **result.values)
    except FilingRefused as refused:
        return _refused(ctx, {"__all__": refused.render_message()})
    ctx.flash(gettext_("备案答复已保存。"))
    return ctx.redirect("compacts:adoption", version_id=version.id)


def order_answer_post(ctx: Ctx) -> Response:
    """Mark this (already saved) version as the one answering a correction order."""
    version, compact, _village = _version(ctx)
    filing_id = whole_number(ctx.field("filing_id"))
    try:
        mark_order_answered(ctx.db, ctx.actor, compact, version, filing_id or 0)
    except InvalidInput as refused:
        return _refused(ctx, {"__all__": " ".join(refused.errors.values())})
    ctx.flash(gettext_("已标明第 %(n)s 版回应乡镇的改正通知。", n=version.number))
    return ctx.redirect("compacts:adoption", version_id=version.id)


def publish_post(ctx: Ctx) -> Response:
    version, _compact, _village = _version(ctx)
    delivery.publish(ctx.db, ctx.actor, version)
    ctx.flash(gettext_("已公布。"))
    return ctx.redirect("compacts:adoption", version_id=version.id)


# --- delivery by the group leader ----------------------------------------------------


def _delivery_page(ctx: Ctx, errors: dict[str, str] | None = None) -> Response:
    version, compact, village = _version(ctx)
    return ctx.render(
        "compacts/adoption_delivery.html",
        422 if errors else 200,
        version=version,
        compact=compact,
        village=village,
        households=delivery.village_households(ctx.db, village.id),
        names=delivery.household_names(ctx.db, village.id),
        delivered=delivery.delivered_households(ctx.db, version),
        coverage=delivery.coverage(ctx.db, version),
        publication=delivery.publication_of(ctx.db, version),
        errors=errors or {},
    )


def delivery_view(ctx: Ctx) -> Response:
    return _delivery_page(ctx)


def delivery_post(ctx: Ctx) -> Response:
    version, _compact, _village = _version(ctx)
    result = parse_households(ctx.fields("household"))
    if not result.ok:
        return _delivery_page(ctx, result.errors)
    count = delivery.record_deliveries(ctx.db, ctx.actor, version, result.values["household_ids"])
    ctx.flash(gettext_("已登记 %(n)s 户收到。", n=count))
    return ctx.redirect("compacts:delivery", version_id=version.id)


# --- public pages --------------------------------------------------------------------


def _public_context(ctx: Ctx) -> dict[str, Any]:
    version, compact, village = _version(ctx)
    adopted = adoption.adopted(ctx.db, version)
    standing, struck = answers.standing_answers(ctx.db, version)
    return {
        "version": version,
        "compact": compact,
        "village": village,
        "text": render_source(version.source),
        "rows": standing,
        "struck": struck,
        "outcomes": OUTCOMES,
        "adopted": adopted,
        "figures": adoption.figures(adopted) if adopted else {},
        "acknowledged": adoption.acknowledged(ctx.db, version),
        "publication": delivery.publication_of(ctx.db, version),
        "anchor": chain_anchor(ctx.db),
    }


def _back(ctx: Ctx) -> str:
    """Where the villager came from (their ballot under the slip link, `?back=`): only a
    slip page path of this site, never another address."""
    back = ctx.request.query_params.get("back", "")
    safe = back.startswith("/s/") and "//" not in back and "\\" not in back
    return back if safe else ""


def public_view(ctx: Ctx) -> Response:
    return ctx.render("compacts/adoption_public.html", **_public_context(ctx), back=_back(ctx))


def print_view(ctx: Ctx) -> Response:
    """The A4 edition a village posts: the title centred, the text, and at the end the
    village committee and the date of publication; the version's facts in a footnote."""
    context = _public_context(ctx)
    if context["publication"] is None:
        raise NotFound(lazy("这个版本还没有公布，没有印刷版。"))
    return ctx.render(
        "compacts/adoption_print.html",
        **context,
        committee=gettext_("%(village)s村民委员会", village=context["village"].name),
    )


# --- villager pages (QR slip) --------------------------------------------------------


@villager_page
def slip_answers(ctx: Ctx) -> Response:
    access = resolve_slip(ctx.db, ctx.settings, ctx.path["token"])
    return ctx.render(
        "compacts/adoption_slip_answers.html",
        access=access,
        token=ctx.path["token"],
        rows=answers.answers_for_person(ctx.db, access.person),
        outcomes=OUTCOMES,
        published=delivery.published_versions(ctx.db, access.assembly.village_id),
    )


def _received_context(ctx: Ctx) -> dict[str, Any]:
    access = resolve_slip(ctx.db, ctx.settings, ctx.path["token"])
    version, compact, _village = _slip_version(ctx)
    if compact.village_id != access.assembly.village_id:
        raise NotFound(lazy("这份村规民约不是您村的。"))
    household = ctx.db.get(Household, access.person.household_id)
    if household is None:
        raise NotFound(lazy("没有找到您家的户口，请找村里的工作人员登记。"))
    return {
        "access": access,
        "token": ctx.path["token"],
        "version": version,
        "compact": compact,
        "household": household,
        "received": household.id in delivery.delivered_households(ctx.db, version),
        "publication": delivery.publication_of(ctx.db, version),
    }


@villager_page
def received_view(ctx: Ctx) -> Response:
    return ctx.render("compacts/adoption_received.html", **_received_context(ctx))


@villager_page
def received_post(ctx: Ctx) -> Response:
    context = _received_context(ctx)
    delivery.record_delivery(
        ctx.db, VILLAGER_QR, context["version"], context["household"], DeliveryMethod.QR
    )
    return ctx.render("compacts/adoption_received.html", **{**context, "received": True})


STAFF_VERSION = "/compacts/versions/{version_id:int}"
PUBLIC_VERSION = "/public/compacts/versions/{version_id:int}"
SLIP = "/s/{token}/compacts"
READ, MANAGE = Permission.COMPACT_READ, Permission.COMPACT_MANAGE
LEAD, FILE, PUBLIC = Permission.COMPACT_LEAD, Permission.COMPACT_FILE, Permission.PUBLIC
POST = ["POST"]

# fmt: off


def _slip_section(_session: Session, _access: SlipAccess) -> PageSection:
    """On the villager's slip page: the answers to this villager's compact comments (a
    link to read, not something to do at the assembly)."""
    return PageSection("compacts/adoption_slip_links.html", place=40, offers=False)


SLIP_PAGE_SECTIONS.append(_slip_section)
VERSION_NAMES.append(adoption.version_name)


routes: list[BaseRoute] = [
    route(STAFF_VERSION + "/answers", answers_view, name="compacts:answers", permission=READ),
    route(STAFF_VERSION + "/answers/{comment_id:int}", answer_post, name="compacts:answer", permission=MANAGE, methods=POST),
    route(STAFF_VERSION + "/adoption", adoption_view, name="compacts:adoption", permission=READ),
    route(STAFF_VERSION + "/adoption/put", put_post, name="compacts:adoption_put", permission=MANAGE, methods=POST),
    route(STAFF_VERSION + "/adoption/record", record_post, name="compacts:adoption_record", permission=MANAGE, methods=POST),
    route(STAFF_VERSION + "/filing", filing_post, name="compacts:filing_submit", permission=MANAGE, methods=POST),
    route(STAFF_VERSION + "/filing/decide", decide_post, name="compacts:filing_decide", permission=FILE, methods=POST),
    route(STAFF_VERSION + "/order-answer", order_answer_post, name="compacts:order_answer", permission=MANAGE, methods=POST),
    route(STAFF_VERSION + "/publish", publish_post, name="compacts:publish", permission=MANAGE, methods=POST),
    route(STAFF_VERSION + "/delivery", delivery_view, name="compacts:delivery", permission=READ),
    route(STAFF_VERSION + "/delivery/tick", delivery_post, name="compacts:delivery_tick", permission=LEAD, methods=POST),
    route(PUBLIC_VERSION, public_view, name="compacts:public_version", permission=PUBLIC),
    route(PUBLIC_VERSION + "/print", print_view, name="compacts:print", permission=PUBLIC),
    slip_route(SLIP + "/answers", slip_answers, name="compacts:slip_answers", permission=PUBLIC),
    slip_route(SLIP + "/{version_id:int}/received", received_view, name="compacts:received", permission=PUBLIC),
    slip_route(SLIP + "/{version_id:int}/received", received_post, name="compacts:received_post", permission=PUBLIC, methods=POST),
]
# fmt: on
routes += township_routes
