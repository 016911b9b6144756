"""Parsing the meeting forms into values and per-field messages (Chinese): the meeting
and its agenda, the tellers' check-in, the votes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from app import drill
from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_, lazy
from app.templating import CHINA_TIME
from meetings.agenda import ItemInput
from meetings.models import Choice, ItemKind, MeetingKind, VoteMethod
from meetings.services import MeetingInput

MEETING_FIELDS = (
    "kind",
    "title",
    "group_id",
    "convener",
    "host_id",
    "recorder_id",
    "place",
    "starts_at",
    "notice_text",
    "assembly_id",
)
ITEM_FIELDS = (
    "title",
    "description",
    "kind",
    "party_studied_on",
    "party_studied_note",
    "compact_version_ref",
)
TEXT_LIMIT = 4000
MAX_SCAN_LENGTH = 400  # a pasted slip link is about 100 characters
MAX_MOTION_TEXT = 2000
MAX_HANDS = 100_000

KIND_LABELS = {
    MeetingKind.VILLAGERS_ASSEMBLY: lazy("村民会议"),
    MeetingKind.HOUSEHOLD_ASSEMBLY: lazy("户代表会议"),
    MeetingKind.REPRESENTATIVES_ASSEMBLY: lazy("村民代表会议"),
    MeetingKind.GROUP_MEETING: lazy("村民小组会议"),
    MeetingKind.ASSOCIATION_CONGRESS: lazy("协会会员代表大会"),
    MeetingKind.ASSOCIATION_COUNCIL: lazy("协会理事会"),
}
ITEM_KIND_LABELS = {
    ItemKind.DISCUSSION: lazy("讨论"),
    ItemKind.MOTION: lazy("表决事项"),
    ItemKind.ELECTION: lazy("选举"),
    ItemKind.COMPACT_ADOPTION: lazy("通过村规民约"),
}


def _choice(result: FormResult, name: str, value: str, message: str) -> int | None:
    result.raw[name] = value
    number = whole_number(value) if value else None
    if number is None:
        result.error(name, message)
    return number


def parse_starts_at(value: str) -> datetime | None:
    """'2026-12-01T09:00' (or with a space) read as China time, returned in UTC."""
    try:
        local = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    if local.tzinfo is not None:
        return None
    try:
        return local.replace(tzinfo=CHINA_TIME).astimezone(UTC)
    except OverflowError:  # the first hours of year 1, which UTC cannot reach
        return None


def parse_meeting(
    fields: Mapping[str, str], drill_default_seconds: int | None = None
) -> FormResult:
    """The meeting form; with `drill_default_seconds` (creating) also its 这是演练 fields."""
    result = FormResult()
    result.values["drill_day_seconds"] = None
    if drill_default_seconds is not None:
        drill.parse_drill(result, fields, drill_default_seconds)
    kind_raw = fields.get("kind", "")
    result.raw["kind"] = kind_raw
    kinds = {k.value: k for k in MeetingKind}
    if kind_raw not in kinds:
        result.error("kind", gettext_("请选择会议类型。"))
    title = required_text(
        result, "title", fields.get("title", ""), label=gettext_("会议名称"), max_length=200
    )
    convener = required_text(
        result, "convener", fields.get("convener", ""), label=gettext_("召集人"), max_length=100
    )
    place = required_text(
        result, "place", fields.get("place", ""), label=gettext_("开会地点"), max_length=200
    )
    host = _choice(result, "host_id", fields.get("host_id", ""), gettext_("请选择主持人。"))
    recorder = _choice(
        result, "recorder_id", fields.get("recorder_id", ""), gettext_("请选择记录人。")
    )
    group_raw = fields.get("group_id", "")
    result.raw["group_id"] = group_raw
    group_id = whole_number(group_raw) if group_raw else None
    assembly_raw = fields.get("assembly_id", "")
    result.raw["assembly_id"] = assembly_raw
    assembly_id = whole_number(assembly_raw) if assembly_raw else None
    if assembly_raw and assembly_id is None:
        result.error(
            "assembly_id",
            gettext_("请从列表里选择本村一次二维码还能用的大会，或者不选（不用二维码签到）。"),
        )
    starts_raw = fields.get("starts_at", "")
    result.raw["starts_at"] = starts_raw
    starts_at = parse_starts_at(starts_raw) if starts_raw else None
    if not starts_raw:
        result.error("starts_at", gettext_("请填写开会时间，例如 2026-12-01 09:00。"))
    elif starts_at is None:
        result.error("starts_at", gettext_("时间格式不对，请写成 2026-12-01 09:00 这样。"))
    notice = fields.get("notice_text", "")
    result.raw["notice_text"] = notice
    if len(notice) > TEXT_LIMIT:
        result.error("notice_text", gettext_("通知内容最多 %(n)s 个字。", n=TEXT_LIMIT))
    if result.ok and host is not None and recorder is not None and starts_at is not None:
        result.values["input"] = MeetingInput(
            kind=kinds[kind_raw],
            title=title,
            group_id=group_id,
            convener=convener,
            host_id=host,
            recorder_id=recorder,
            place=place,
            starts_at=starts_at,
            notice_text=notice,
            assembly_id=assembly_id,
            drill_day_seconds=result.values["drill_day_seconds"],
        )
    return result


def _day(result: FormResult, name: str, value: str, *, required: bool) -> date | None:
    result.raw[name] = value
    if not value:
        if required:
            result.error(name, gettext_("请填写日期，格式如 2026-05-01。"))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        result.error(name, gettext_("日期格式不对，请写成 2026-05-01 这样的年-月-日。"))
        return None


def parse_item(fields: Mapping[str, str]) -> FormResult:
    result = FormResult()
    title = required_text(
        result, "title", fields.get("title", ""), label=gettext_("议程名称"), max_length=200
    )
    description = fields.get("description", "")
    result.raw["description"] = description
    if len(description) > TEXT_LIMIT:
        result.error("description", gettext_("说明最多 %(n)s 个字。", n=TEXT_LIMIT))
    kind_raw = fields.get("kind", "")
    result.raw["kind"] = kind_raw
    kinds = {k.value: k for k in ItemKind}
    if kind_raw not in kinds:
        result.error("kind", gettext_("请选择议程类型。"))
    studied = _day(result, "party_studied_on", fields.get("party_studied_on", ""), required=False)
    note = fields.get("party_studied_note", "")
    result.raw["party_studied_note"] = note
    if note and studied is None and "party_studied_on" not in result.errors:
        result.error("party_studied_on", gettext_("写了研究情况，也请填写村党组织研究的日期。"))
    ref = fields.get("compact_version_ref", "")
    result.raw["compact_version_ref"] = ref
    if kind_raw == ItemKind.COMPACT_ADOPTION.value and not ref:
        result.error(
            "compact_version_ref", gettext_("请填写要通过的村规民约版本，例如 2026 修订稿。")
        )
    elif len(ref) > 60:
        result.error("compact_version_ref", gettext_("版本名称最多 60 个字。"))
    if result.ok:
        result.values["input"] = ItemInput(
            title=title,
            description=description,
            kind=kinds[kind_raw],
            party_studied_on=studied,
            party_studied_note=note,
            compact_version_ref=ref,
        )
    return result


def parse_party_study(on: str, note: str) -> FormResult:
    result = FormResult()
    result.values["on"] = _day(result, "party_studied_on", on, required=True)
    result.raw["party_studied_note"] = note
    if len(note) > TEXT_LIMIT:
        result.error("party_studied_note", gettext_("研究情况最多 %(n)s 个字。", n=TEXT_LIMIT))
    result.values["note"] = note
    return result


def parse_short_reason(reason: str) -> FormResult:
    result = FormResult()
    result.raw["short_notice_reason"] = reason
    if len(reason) > TEXT_LIMIT:
        result.error("short_notice_reason", gettext_("原因最多 %(n)s 个字。", n=TEXT_LIMIT))
    result.values["reason"] = reason
    return result


# --- attendance ------------------------------------------------------------------------


def parse_scan(code: str) -> FormResult:
    """The slip's short code or link that a teller typed, scanned or pasted."""
    result = FormResult(raw={"code": code})
    if not code:
        result.error("code", gettext_("请输入纸条上二维码下面的 8 位号码，或粘贴扫码得到的链接。"))
    elif len(code) > MAX_SCAN_LENGTH:
        result.error("code", gettext_("内容太长，不像是纸条上的号码或链接。请重新扫码或输入号码。"))
    else:
        result.values["code"] = code
    return result


# --- votes -------------------------------------------------------------------------------


def parse_motion(text: str, method: str) -> FormResult:
    result = FormResult()
    result.values["text"] = required_text(
        result, "text", text, label=gettext_("表决内容"), max_length=MAX_MOTION_TEXT
    )
    result.raw["method"] = method
    try:
        result.values["method"] = VoteMethod(method)
    except ValueError:
        result.error("method", gettext_("请选择表决方式：扫码表决或举手表决。"))
    return result


def _count(result: FormResult, name: str, raw: str, label: str) -> int:
    result.raw[name] = raw
    if not raw:
        result.error(name, gettext_("请填写%(label)s的人数，没有人就填 0。", label=label))
        return 0
    number = whole_number(raw)
    if number is None or number > MAX_HANDS:
        result.error(name, gettext_("%(label)s要填一个整数，例如 12。", label=label))
        return 0
    return number


def parse_hands(yes: str, no: str, abstain: str) -> FormResult:
    result = FormResult()
    result.values["yes"] = _count(result, "yes", yes, gettext_("赞成"))
    result.values["no"] = _count(result, "no", no, gettext_("反对"))
    result.values["abstain"] = _count(result, "abstain", abstain, gettext_("弃权"))
    return result


def parse_choice(choice: str) -> FormResult:
    result = FormResult()
    result.raw["choice"] = choice
    try:
        result.values["choice"] = Choice(choice)
    except ValueError:
        result.error("choice", gettext_("请选一项：同意、不同意或弃权。"))
    return result


def parse_round(round_id: str) -> FormResult:
    result = FormResult()
    result.raw["round_id"] = round_id
    number = whole_number(round_id)
    if number is None:
        result.error("round_id", gettext_("请选择要在这项议程里进行的选举轮次。"))
    else:
        result.values["round_id"] = number
    return result
