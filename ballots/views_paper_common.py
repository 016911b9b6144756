"""What the paper, mobile-box and proxy pages share: loading records within scope, labels."""

from __future__ import annotations

from starlette.responses import Response

from app.errors import NotFound
from app.forms import whole_number
from app.i18n import LazyText, gettext_, join_list, lazy
from app.registry.models import Village
from app.web import Ctx, check_village_scope
from ballots.models import Channel, Election, RollEntry, Round
from ballots.paper_reading import Reading

CHANNEL_LABELS: dict[Channel, LazyText] = {
    Channel.ONLINE: lazy("扫码投票"),
    Channel.PAPER: lazy("纸质选票"),
    Channel.MOBILE: lazy("流动票箱"),
    Channel.PROXY: lazy("委托投票"),
}


def in_scope(ctx: Ctx, election: Election) -> None:
    """Staff reach only elections of villages they may see."""
    village = ctx.db.get(Village, election.village_id)
    assert village is not None
    check_village_scope(ctx, village)


def election_of(ctx: Ctx, *, public: bool = False) -> Election:
    election = ctx.db.get(Election, ctx.path["election_id"])
    if election is None:
        raise NotFound(lazy("没有这个选举。"))
    if not public:
        in_scope(ctx, election)
    return election


def round_of(ctx: Ctx) -> Round:
    round_ = ctx.db.get(Round, ctx.path["round_id"])
    if round_ is None:
        raise NotFound(lazy("没有这一轮投票。"))
    in_scope(ctx, round_.election)
    return round_


def entry_of(ctx: Ctx, election: Election, entry_id: int) -> RollEntry:
    entry = ctx.db.get(RollEntry, entry_id)
    if entry is None or entry.election_id != election.id or entry.struck:
        raise NotFound(lazy("选民名单上没有这个人。"))
    return entry


def form_int(ctx: Ctx, name: str) -> int:
    raw = ctx.field(name)
    number = whole_number(raw)
    if number is None:
        raise NotFound(lazy("选民名单上没有这个人。"))
    return number


def describe(reading: Reading | None) -> str:
    """A paper ballot as a teller reads it back, in words."""
    if reading is None:
        return gettext_("（没有录入）")
    if reading.invalid and reading.marks:
        return gettext_("废票（选了 %(names)s）", names=join_list(reading.marks))
    if reading.invalid:
        return gettext_("废票")
    if reading.blank:
        return gettext_("空白票")
    return join_list(reading.marks)


def private(response: Response) -> Response:
    """Pages showing a villager's choices: never kept in the browser's cache or history."""
    response.headers["cache-control"] = "no-store"
    return response
