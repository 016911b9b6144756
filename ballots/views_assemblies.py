"""Organizer pages: assemblies, the elections voted at them, QR slips and slip sheets.

Slip sheets and single slips carry live voting links, so they need ELECTION_MANAGE
even to look at; the assembly page (names and counts only) is ELECTION_READ.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.db import utcnow
from app.errors import NotFound
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Person, Village
from app.registry.paths import VILLAGE
from app.web import Ctx, check_village_scope
from ballots import credentials, slips
from ballots.exceptions import AssemblyRefused
from ballots.forms_voting import parse_assembly, parse_choice, parse_reason
from ballots.models import Assembly, Election, Slip, Stage
from ballots.paths import route

SEARCH_LIMIT = 30


def _assembly(ctx: Ctx) -> tuple[Assembly, Village]:
    """The assembly in the path, if the user may see its village."""
    assembly = ctx.db.get(Assembly, ctx.path["assembly_id"])
    village = ctx.db.get(Village, assembly.village_id) if assembly else None
    if assembly is None or village is None:
        raise NotFound(lazy("没有这个投票大会。"))
    check_village_scope(ctx, village)
    return assembly, village


def _slip(ctx: Ctx, assembly: Assembly) -> Slip:
    slip = ctx.db.get(Slip, ctx.path["slip_id"])
    if slip is None or slip.assembly_id != assembly.id:
        raise NotFound(lazy("这次大会没有这张二维码。"))
    return slip


def _link_for(ctx: Ctx) -> Callable[[str], str]:
    # A phone scans the QR, so the link must be absolute: this server as the organizer
    # reached it. Built once; url_for per slip would walk the routes 3,000 times.
    marker = "TOKEN"
    prefix = str(ctx.request.url_for("ballots:slip", token=marker)).removesuffix(marker)
    return lambda token: prefix + token


# --- assemblies ----------------------------------------------------------------------


def assemblies(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    found = list(
        ctx.db.scalars(
            select(Assembly)
            .where(Assembly.village_id == village.id)
            .order_by(Assembly.held_on.desc(), Assembly.id.desc())
        )
    )
    return ctx.render("ballots/voting_assemblies.html", village=village, assemblies=found)


def assembly_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    if ctx.request.method == "GET":
        return ctx.render("ballots/voting_assembly_new.html", village=village, form={}, errors={})
    result = parse_assembly(
        title=ctx.field("title"),
        held_on=ctx.field("held_on"),
        place=ctx.field("place"),
        expires_on=ctx.field("expires_on"),
        expires_time=ctx.field("expires_time"),
        now=utcnow(),
    )
    if not result.ok:
        return ctx.render(
            "ballots/voting_assembly_new.html",
            422,
            village=village,
            form=result.raw,
            errors=result.errors,
        )
    created = credentials.create_assembly(
        ctx.db,
        ctx.actor,
        village_id=village.id,
        title=result.values["title"],
        held_on=result.values["held_on"],
        place=result.values["place"],
        links_expire_at=result.values["links_expire_at"],
    )
    ctx.flash(gettext_("已建立投票大会“%(title)s”。", title=created.title))
    return ctx.redirect("ballots:assembly", assembly_id=created.id)


def _linkable(ctx: Ctx, assembly: Assembly) -> list[Election]:
    closed = (Stage.COUNTING, Stage.ANNOUNCED, Stage.CERTIFIED)
    stmt = select(Election).where(
        Election.village_id == assembly.village_id,
        Election.stage.not_in(closed),
        (Election.assembly_id.is_(None)) | (Election.assembly_id != assembly.id),
    )
    return list(ctx.db.scalars(stmt.order_by(Election.id)))


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


def _assembly_page(ctx: Ctx, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    assembly, village = _assembly(ctx)
    query = ctx.request.query_params.get("q", "").strip()[:50]
    linkable = _linkable(ctx, assembly)
    return ctx.render(
        "ballots/voting_assembly.html",
        status,
        assembly=assembly,
        village=village,
        elections=credentials.assembly_elections(ctx.db, assembly),
        election_options=[(e.id, e.title) for e in linkable],
        counts=_slip_counts(ctx, assembly),
        groups=slips.slip_groups(ctx.db, assembly),
        query=query,
        found=_search(ctx, assembly, query),
        form={},
        errors=errors or {},
        expired=utcnow() >= assembly.links_expire_at,
    )


def assembly(ctx: Ctx) -> Response:
    return _assembly_page(ctx)


def assembly_link(ctx: Ctx) -> Response:
    assembly, _village = _assembly(ctx)
    linkable = {e.id: e for e in _linkable(ctx, assembly)}
    result = parse_choice(
        ctx.field("election_id"),
        list(linkable),
        "election_id",
        gettext_("请从列表里选择一个本村还没结束投票的选举。"),
    )
    if not result.ok:
        return _assembly_page(ctx, result.errors, 422)
    election = linkable[result.values["election_id"]]
    credentials.link_election(ctx.db, ctx.actor, assembly, election)
    ctx.flash(gettext_("“%(title)s”将在这次大会上投票。", title=election.title))
    return ctx.redirect("ballots:assembly", assembly_id=assembly.id)


def slips_issue(ctx: Ctx) -> Response:
    assembly, _village = _assembly(ctx)
    if utcnow() >= assembly.links_expire_at:
        raise AssemblyRefused(lazy("这次大会的二维码已经过了失效时间，不能再发。"))
    issued = credentials.issue_slips(ctx.db, ctx.actor, assembly, settings=ctx.settings)
    ctx.flash(gettext_("新发了 %(n)s 张二维码。", n=len(issued)))
    return ctx.redirect("ballots:assembly", assembly_id=assembly.id)


def slip_sheet(ctx: Ctx) -> Response:
    assembly, village = _assembly(ctx)
    group = ctx.request.query_params.get("group", "")
    group_id = whole_number(group)
    rows = slips.sheet_rows(ctx.db, ctx.settings, assembly, _link_for(ctx), group_id)
    return ctx.render(
        "ballots/voting_slip_sheet.html",
        assembly=assembly,
        village=village,
        rows=rows,
        code_url=str(ctx.request.url_for("ballots:code")),
    )


def _slip_page(ctx: Ctx, errors: dict[str, str], status: int = 200) -> Response:
    assembly, village = _assembly(ctx)
    slip = _slip(ctx, assembly)
    person = ctx.db.get(Person, slip.person_id)
    link = _link_for(ctx)(credentials.slip_token(ctx.settings, slip))
    return ctx.render(
        "ballots/voting_slip_one.html",
        status,
        assembly=assembly,
        village=village,
        slip=slip,
        person=person,
        link=link,
        qr=slips.qr_svg(link, best_mask=True),
        code=credentials.slip_short_code(ctx.settings, slip),
        code_url=str(ctx.request.url_for("ballots:code")),
        form={},
        errors=errors,
    )


def slip_detail(ctx: Ctx) -> Response:
    return _slip_page(ctx, {})


def slip_reissue(ctx: Ctx) -> Response:
    assembly, _village = _assembly(ctx)
    slip = _slip(ctx, assembly)
    result = parse_reason(ctx.field("reason"))
    if not result.ok:
        return _slip_page(ctx, result.errors, 422)
    new = credentials.revoke_and_reissue(
        ctx.db, ctx.actor, slip, result.values["reason"], settings=ctx.settings
    )
    ctx.flash(gettext_("旧二维码已作废，新二维码在下面，请打印交给本人。"))
    return ctx.redirect("ballots:slip_detail", assembly_id=assembly.id, slip_id=new.id)


ASSEMBLY = "/assemblies/{assembly_id:int}"

routes: list[BaseRoute] = [
    route(
        "/villages/{village_id:int}/assemblies",
        assemblies,
        name="ballots:assemblies",
        permission=Permission.ELECTION_READ,
    ),
    route(
        "/villages/{village_id:int}/assemblies/new",
        assembly_new,
        name="ballots:assembly_new",
        permission=Permission.ELECTION_MANAGE,
        methods=["GET", "POST"],
    ),
    route(ASSEMBLY, assembly, name="ballots:assembly", permission=Permission.ELECTION_READ),
    route(
        ASSEMBLY + "/elections",
        assembly_link,
        name="ballots:assembly_link",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(
        ASSEMBLY + "/slips",
        slips_issue,
        name="ballots:slips_issue",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(
        ASSEMBLY + "/slips/sheet",
        slip_sheet,
        name="ballots:slip_sheet",
        permission=Permission.ELECTION_MANAGE,
    ),
    route(
        ASSEMBLY + "/slips/{slip_id:int}",
        slip_detail,
        name="ballots:slip_detail",
        permission=Permission.ELECTION_MANAGE,
    ),
    route(
        ASSEMBLY + "/slips/{slip_id:int}/reissue",
        slip_reissue,
        name="ballots:slip_reissue",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
]
