"""What the paper, mobile-box and proxy pages share: the voter a form names, labels."""

from __future__ import annotations

from starlette.responses import Response

from app.errors import NotFound
from app.i18n import LazyText, gettext_, join_list, lazy
from app.web import Ctx
from ballots.models import Channel, Election, RollEntry
from ballots.paper.reading import Reading

CHANNEL_LABELS: dict[Channel, LazyText] = {
    Channel.ONLINE: lazy("扫码投票"),
    Channel.PAPER: lazy("纸质选票"),
    Channel.MOBILE: lazy("流动票箱"),
    Channel.PROXY: lazy("委托投票"),
}


def on_roll(election: Election, entry: RollEntry | None) -> RollEntry:
    """The voter, if on this election's roll and not struck off it."""
    if entry is None or entry.election_id != election.id or entry.struck:
        raise NotFound(lazy("选民名单上没有这个人。"))
    return entry


def entry_in(ctx: Ctx, election: Election, entry_id: int | None) -> RollEntry:
    """The voter a form names by `entry_id` (read with app.forms.whole_number)."""
    return on_roll(election, None if entry_id is None else ctx.db.get(RollEntry, entry_id))


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
