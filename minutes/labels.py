"""Display names used by the minutes pages, translated when shown."""

from __future__ import annotations

from app.i18n import LazyText, lazy
from meetings.models import ItemKind, MeetingKind
from minutes.models import SignerRole

MEETING_KIND_LABELS: dict[MeetingKind, LazyText] = {
    MeetingKind.VILLAGERS_ASSEMBLY: lazy("村民会议"),
    MeetingKind.HOUSEHOLD_ASSEMBLY: lazy("户代表会议"),
    MeetingKind.REPRESENTATIVES_ASSEMBLY: lazy("村民代表会议"),
    MeetingKind.GROUP_MEETING: lazy("村民小组会议"),
    MeetingKind.ASSOCIATION_CONGRESS: lazy("协会会员代表大会"),
    MeetingKind.ASSOCIATION_COUNCIL: lazy("协会理事会"),
}

ITEM_KIND_LABELS: dict[ItemKind, LazyText] = {
    ItemKind.DISCUSSION: lazy("讨论"),
    ItemKind.MOTION: lazy("表决事项"),
    ItemKind.ELECTION: lazy("选举"),
    ItemKind.COMPACT_ADOPTION: lazy("通过村规民约"),
}

ROLE_LABELS: dict[SignerRole, LazyText] = {
    SignerRole.HOST: lazy("主持人"),
    SignerRole.RECORDER: lazy("记录人"),
}
