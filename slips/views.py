"""The slip pages: the villager's (the slip home page, the typed-code page, and the page
decorator every villager page wears) and the organizer's (assemblies, QR slips, slip
sheets). What a slip opens comes from the domains' registered sections (slips.sections).

Slip sheets and single slips carry live voting links, so they need ELECTION_MANAGE
even to look at; the assembly page (names and counts only) is ELECTION_READ.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from sqlalchemy import func, select
from starlette.responses import Response
from starlette.routing import BaseRoute

import slips.audit_labels  # noqa: F401  (the audit log's names for this package's actions)
from app.db import utcnow
from app.errors import DomainError, Forbidden
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.public_address import is_loopback_url
from app.qr import qr_svg
from app.registry.models import Person, Village
from app.registry.paths import VILLAGE
from app.web import SAFE_METHODS, Ctx, View
from app.web import route as web_route
from slips import links, services, sheets
from slips.exceptions import AssemblyRefused, LinkUnknown
from slips.forms import parse_assembly, parse_code, parse_reason
from slips.models import Assembly, Slip
from slips.paths import ASSEMBLY, SLIP, route
from slips.sections import assembly_sections, slip_sections

SEARCH_LIMIT = 30


# --- the villager's pages ------------------------------------------------------------


def villager_page(view: View) -> View:
    """Villager pages show their own error page (no staff menu) and, when they submit,
    refuse a browser signed in as staff: a villager's vote must never be recorded
    under a staff session, and auditors change nothing here either."""

    @wraps(view)
    def wrapped(ctx: Ctx) -> Response:
        token = ctx.path.get("token")
        banner = services.slip_drill(ctx.db, ctx.settings, token) if token else None
        if banner is not None:
            ctx.in_drill(banner)
        try:
            if ctx.request.method not in SAFE_METHODS and ctx.user is not None:
                raise Forbidden(
                    lazy(
                        "这个浏览器登录着工作人员账号。村民投票不能用工作人员账号：请先退出登录，或者换一个浏览器再扫码。"
                    )
                )
            response = view(ctx)
        except DomainError as error:
            response = ctx.render(
                "slips/voting_error.html",
                error.status_code,
                title=str(error.title),
                message=error.render_message(),
            )
        # The link is the villager's key and the page may show a receipt: keep neither
        # in a shared phone's cache or history snapshots.
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


@villager_page
def slip(ctx: Ctx) -> Response:
    """The slip's home page: everything this slip opens, as the domains registered it."""
    token = ctx.path["token"]
    access = services.resolve_slip(ctx.db, ctx.settings, token)
    page = {"access": access, "token": token}
    return ctx.render(
        "slips/voting_slip.html", **page, **slip_sections(ctx.db, access, [*page, "user"])
    )


def _address(ctx: Ctx) -> str:
    return ctx.request.client.host if ctx.request.client else "unknown"


@villager_page
def code(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return ctx.render("slips/voting_code.html", form={}, errors={})
    result = parse_code(ctx.field("code"))
    if not result.ok:
        return ctx.render("slips/voting_code.html", 422, form=result.raw, errors=result.errors)
    # Counted as wrong and committed before it is checked: the request layer rolls a
    # refused request back, and a count kept apart from the check lets a burst through.
    # The one commit a view makes; the check and the release that follow commit as usual.
    reservation = services.reserve_code_check(ctx.db, _address(ctx))
    ctx.db.commit()
    try:
        access = services.resolve_short_code(ctx.db, ctx.settings, result.values["code"])
    except LinkUnknown as error:
        return ctx.render(
            "slips/voting_code.html",
            error.status_code,
            form=result.raw,
            errors={"code": error.render_message()},
        )
    services.release_code_check(ctx.db, reservation)
    token = links.slip_token(ctx.settings, access.slip)
    return ctx.redirect("slips:slip", token=token)


# --- the organizer's pages -----------------------------------------------------------


def _village(ctx: Ctx, assembly: Assembly) -> Village:
    village = ctx.db.get(Village, assembly.village_id)
    assert village is not None  # a foreign key
    return village


def link_for(ctx: Ctx) -> Callable[[str], str]:
    """The absolute slip link of a token. A phone scans the QR, so the link must be
    absolute, on the address phones open (Ctx.phone_url). Built once; url_for per slip
    would walk the routes 3,000 times."""
    marker = "TOKEN"
    prefix = ctx.phone_url("slips:slip", token=marker).removesuffix(marker)
    return lambda token: prefix + token


def link_check(ctx: Ctx) -> Response:
    """What the assembly page's "test your link" QR code opens: the organizer scans it with
    their own phone before printing, and this page says the phone got through."""
    return ctx.render("slips/link_check.html", address=ctx.phone_url("slips:code"))


def assemblies(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    found = list(
        ctx.db.scalars(
            select(Assembly)
            .where(Assembly.village_id == village.id)
            .order_by(Assembly.held_on.desc(), Assembly.id.desc())
        )
    )
    return ctx.render("slips/voting_assemblies.html", village=village, assemblies=found)


def assembly_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    if ctx.request.method == "GET":
        return ctx.render("slips/voting_assembly_new.html", village=village, form={}, errors={})
    result = parse_assembly(
        drill=ctx.field("drill") == "1",
        title=ctx.field("title"),
        held_on=ctx.field("held_on"),
        place=ctx.field("place"),
        expires_on=ctx.field("expires_on"),
        expires_time=ctx.field("expires_time"),
        now=utcnow(),
    )
    if not result.ok:
        return ctx.render(
            "slips/voting_assembly_new.html",
            422,
            village=village,
            form=result.raw,
            errors=result.errors,
        )
    created = services.create_assembly(
        ctx.db,
        ctx.actor,
        village_id=village.id,
        title=result.values["title"],
        held_on=result.values["held_on"],
        place=result.values["place"],
        links_expire_at=result.values["links_expire_at"],
        drill=result.values["drill"],
    )
    ctx.flash(gettext_("已建立投票大会“%(title)s”。", title=created.title))
    return ctx.redirect("slips:assembly", assembly_id=created.id)


def _slip_counts(ctx: Ctx, assembly: Assembly) -> dict[str, int]:
    rows = ctx.db.execute(
        select(Slip.revoked_at.is_(None), func.count())
        .where(Slip.assembly_id == assembly.id)
        .group_by(Slip.revoked_at.is_(None))
    )
    counts = {bool(live): int(n) for live, n in rows}
    return {"live": counts.get(True, 0), "revoked": counts.get(False, 0)}


def _search(ctx: Ctx, assembly: Assembly, query: str) -> list[tuple[Slip, Person]]:
    if not query:
        return []
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        select(Slip, Person)
        .join(Person, Person.id == Slip.person_id)
        .where(
            Slip.assembly_id == assembly.id,
            (Person.name.like(f"%{escaped}%", escape="\\")) | (Person.roll_number == query),
        )
        .order_by(Person.roll_number, Slip.id)
        .limit(SEARCH_LIMIT)
    )
    return [(slip, person) for slip, person in ctx.db.execute(stmt)]


def assembly_page(ctx: Ctx, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    """The assembly page; a registered section's form refused shows it again, with `errors`."""
    assembly = ASSEMBLY.of(ctx)
    query = ctx.request.query_params.get("q", "").strip()[:50]
    check_url = ctx.phone_url("slips:link_check")
    page = {
        "assembly": assembly,
        "village": _village(ctx, assembly),
        "counts": _slip_counts(ctx, assembly),
        "groups": sheets.slip_groups(ctx.db, assembly),
        "query": query,
        "found": _search(ctx, assembly, query),
        "form": {},
        "errors": errors or {},
        "expired": utcnow() >= assembly.links_expire_at,
        "throttled": services.throttled_addresses(ctx.db),
        "audience": services.audience_size(ctx.db, assembly),
        "check_url": check_url,
        "check_qr": qr_svg(check_url, best_mask=True),
        "check_loopback": is_loopback_url(check_url),
    }
    return ctx.render(
        "slips/voting_assembly.html",
        status,
        **page,
        **assembly_sections(ctx, assembly, [*page, "user"]),
    )


def assembly(ctx: Ctx) -> Response:
    return assembly_page(ctx)


def slips_issue(ctx: Ctx) -> Response:
    assembly = ASSEMBLY.of(ctx)
    if utcnow() >= assembly.links_expire_at:
        raise AssemblyRefused(lazy("这次大会的二维码已经过了失效时间，不能再发。"))
    issued = services.issue_slips(ctx.db, ctx.actor, assembly, settings=ctx.settings)
    ctx.flash(gettext_("新发了 %(n)s 张二维码。", n=len(issued)))
    return ctx.redirect("slips:assembly", assembly_id=assembly.id)


def slip_sheet(ctx: Ctx) -> Response:
    """The printable sheet. While its links point at this machine only (loopback), it shows
    how to fix that instead of slips no phone could open; `anyway=1` prints them for a
    test on this machine, with the warning on the paper."""
    assembly = ASSEMBLY.of(ctx)
    group = ctx.request.query_params.get("group", "")
    group_id = whole_number(group)
    code_url = ctx.phone_url("slips:code")
    loopback = is_loopback_url(code_url)
    anyway = ctx.request.query_params.get("anyway") == "1"
    rows = (
        sheets.sheet_rows(ctx.db, ctx.settings, assembly, link_for(ctx), group_id)
        if anyway or not loopback
        else []
    )
    return ctx.render(
        "slips/voting_slip_sheet.html",
        assembly=assembly,
        village=_village(ctx, assembly),
        rows=rows,
        code_url=code_url,
        loopback=loopback,
        anyway=anyway,
        group=group,
    )


def _slip_page(ctx: Ctx, errors: dict[str, str], status: int = 200) -> Response:
    assembly = ASSEMBLY.of(ctx)
    slip = SLIP.of(ctx)
    person = ctx.db.get(Person, slip.person_id)
    link = link_for(ctx)(links.slip_token(ctx.settings, slip))
    return ctx.render(
        "slips/voting_slip_one.html",
        status,
        assembly=assembly,
        village=_village(ctx, assembly),
        slip=slip,
        person=person,
        link=link,
        qr=qr_svg(link, best_mask=True),
        code=links.slip_short_code(ctx.settings, slip),
        code_url=ctx.phone_url("slips:code"),
        loopback=is_loopback_url(link),
        form={},
        errors=errors,
    )


def slip_detail(ctx: Ctx) -> Response:
    return _slip_page(ctx, {})


def slip_reissue(ctx: Ctx) -> Response:
    assembly = ASSEMBLY.of(ctx)
    slip = SLIP.of(ctx)
    result = parse_reason(ctx.field("reason"))
    if not result.ok:
        return _slip_page(ctx, result.errors, 422)
    new = services.revoke_and_reissue(
        ctx.db, ctx.actor, slip, result.values["reason"], settings=ctx.settings
    )
    ctx.flash(gettext_("旧二维码已作废，新二维码在下面，请打印交给本人。"))
    return ctx.redirect("slips:slip_detail", assembly_id=assembly.id, slip_id=new.id)


def code_throttle_clear(ctx: Ctx) -> Response:
    assembly = ASSEMBLY.of(ctx)
    address = ctx.field("address")
    services.clear_code_throttle(ctx.db, ctx.actor, assembly, address)
    ctx.flash(gettext_("已解除 %(address)s 输号码的限制。", address=address.strip()))
    return ctx.redirect("slips:assembly", assembly_id=assembly.id)


ASSEMBLY_PATH = "/assemblies/{assembly_id:int}"

routes: list[BaseRoute] = [
    route("/s", code, name="slips:code", permission=Permission.PUBLIC, methods=("GET", "POST")),
    route("/link-check", link_check, name="slips:link_check", permission=Permission.PUBLIC),
    # On the vote path: on SQLite its view runs on the event loop (app.web.route, on_loop).
    web_route("/s/{token}", slip, name="slips:slip", permission=Permission.PUBLIC, on_loop=True),
    route(
        "/villages/{village_id:int}/assemblies",
        assemblies,
        name="slips:assemblies",
        permission=Permission.ELECTION_READ,
    ),
    route(
        "/villages/{village_id:int}/assemblies/new",
        assembly_new,
        name="slips:assembly_new",
        permission=Permission.ELECTION_MANAGE,
        methods=["GET", "POST"],
    ),
    route(ASSEMBLY_PATH, assembly, name="slips:assembly", permission=Permission.ELECTION_READ),
    route(
        ASSEMBLY_PATH + "/slips",
        slips_issue,
        name="slips:slips_issue",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(
        ASSEMBLY_PATH + "/code-throttle/clear",
        code_throttle_clear,
        name="slips:code_throttle_clear",
        # The staff helping villagers in at the hall: tellers and organizers.
        permission=Permission.MEETING_ATTENDANCE,
        methods=["POST"],
    ),
    route(
        ASSEMBLY_PATH + "/slips/sheet",
        slip_sheet,
        name="slips:slip_sheet",
        permission=Permission.ELECTION_MANAGE,
    ),
    route(
        ASSEMBLY_PATH + "/slips/{slip_id:int}",
        slip_detail,
        name="slips:slip_detail",
        permission=Permission.ELECTION_MANAGE,
    ),
    route(
        ASSEMBLY_PATH + "/slips/{slip_id:int}/reissue",
        slip_reissue,
        name="slips:slip_reissue",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
]
