"""Links from the election page to the other areas' pages (proxies, mobile box, slips)."""

from __future__ import annotations

from app.i18n import gettext_
from app.permissions import Permission, allows
from app.web import Ctx
from ballots.models import Election
from ballots.setup.views import ELECTION_PAGE_LINKS
from slips.models import Assembly


def _election_links(ctx: Ctx, election: Election) -> list[tuple[str, str]]:
    links = [
        (gettext_("委托投票"), ctx.url("ballots:entrustments", election_id=election.id)),
        (gettext_("流动票箱名单"), ctx.url("ballots:homebound", election_id=election.id)),
        (
            gettext_("公开的委托投票名单"),
            ctx.url("ballots:entrustments_public", election_id=election.id),
        ),
    ]
    if election.assembly_id is not None:
        assembly = ctx.db.get(Assembly, election.assembly_id)
        if assembly is not None:
            links.append(
                (
                    gettext_("投票大会与二维码纸条：%(title)s", title=assembly.title),
                    ctx.url("slips:assembly", assembly_id=assembly.id),
                )
            )
    elif allows(ctx.user, Permission.ELECTION_MANAGE):
        links.append(
            (
                gettext_("把选举安排到投票大会（印二维码纸条）"),
                ctx.url("slips:assemblies", village_id=election.village_id),
            )
        )
    return links


ELECTION_PAGE_LINKS.append(_election_links)
