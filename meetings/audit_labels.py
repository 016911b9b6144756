"""What the audit log calls the meetings' actions, objects and summary fields
(app.audit.labels); meetings.views imports this module, so the names are there wherever
the meeting pages are."""

from __future__ import annotations

from app.audit.labels import (
    by_value,
    register_actions,
    register_objects,
    register_summary_keys,
    register_summary_values,
)
from app.i18n import lazy, lazy_in
from meetings.forms import ITEM_KIND_LABELS, KIND_LABELS
from meetings.models import CheckInMethod, VoteMethod

register_actions(
    {
        "meeting.create": lazy("新建会议"),
        "meeting.drill_remove": lazy("删除演练会议"),
        "meeting.update": lazy("修改会议"),
        "meeting.notice": lazy("发布会议通知"),
        "meeting.open": lazy("开始开会（开放签到）"),
        "meeting.close": lazy("结束会议"),
        "meeting.slips_prepare": lazy("为会议准备二维码纸条"),
        "meeting.check_in": lazy("签到"),
        "meeting.check_out": lazy("登记离场"),
        "meeting.item_add": lazy("加一项议程"),
        "meeting.item_move": lazy("调整议程顺序"),
        "meeting.item_party_study": lazy("记录村党组织研究情况（第二十八条）"),
        "meeting.box_holders": lazy("指定会议扫码表决的开箱保管人"),
        "agenda_item.link_round": lazy("把选举轮次关联到议程"),
        "round.attendance": lazy("按签到记下选举轮次的到会人数"),
        "motion.create": lazy("新建表决事项"),
        "motion.open": lazy("开始表决"),
        "motion.hand_count": lazy("录入举手人数"),
        "motion.close": lazy("结束表决"),
    }
)

register_objects(
    {
        "meeting": lazy_in("record", "会议"),
        "agenda_item": lazy("议程"),
        "motion": lazy("表决事项"),
        "round": lazy("选举轮次"),
    }
)

register_summary_keys(
    {
        "host_id": lazy("主持人"),
        "recorder_id": lazy("记录人"),
        "item_id": lazy("议程"),
        "motion_id": lazy("表决事项"),
    },
    ids=True,
)
register_summary_keys(
    {
        "starts_at": lazy("开会时间"),
        "for_household": lazy("作为户代表"),
        "late": lazy("迟到"),
        "party_studied": lazy("村党组织已事先研究"),
        "days_before": lazy("提前几天通知"),
        "required_days": lazy("至少要提前几天"),
        "short_reason": lazy("通知期不足的原因"),
        "noticed_for": lazy("通知的开会时间"),
        "early_reason": lazy("提前开会的原因"),
        "outside_notice": lazy("未列入会议通知"),
        "yes": lazy("赞成"),
        "no": lazy("反对"),
        "abstain": lazy("弃权"),
        "not_voting": lazy("未表态"),
        "base": lazy("计算过半的基数"),
        "body": lazy("表决的会议"),
        "passed": lazy("通过"),
        "rule": lazy("规则"),
    }
)
register_summary_keys({"assembly_id": lazy("大会")}, action="meeting.slips_prepare", ids=True)
register_summary_keys({"slips": lazy("发出的纸条")}, action="meeting.slips_prepare")
# A closed motion's "reason" is its verdict in a sentence.
register_summary_keys({"reason": lazy("结论")}, action="motion.close")
register_summary_values("kind", by_value(KIND_LABELS), action="meeting.create")
register_summary_values("kind", by_value(KIND_LABELS), action="meeting.update")
register_summary_values("kind", by_value(ITEM_KIND_LABELS), action="meeting.item_add")
# A motion's or an adoption's "body" is the meeting whose rules decided it (a profile name).
BODY_LABELS = {kind.value.replace("_", "-"): label for kind, label in KIND_LABELS.items()} | {
    "recall": lazy("罢免表决")
}
register_summary_values("body", BODY_LABELS)
CHECK_IN_METHODS = {
    CheckInMethod.QR: lazy("本人扫码签到"),
    CheckInMethod.SCAN: lazy("工作人员扫纸条签到"),
    CheckInMethod.TICK: lazy("工作人员在名单上勾选"),
}
register_summary_values("method", by_value(CHECK_IN_METHODS), action="meeting.check_in")
# How a motion is voted, in the words its pages use.
VOTE_METHODS = {VoteMethod.QR.value: lazy("扫码表决"), VoteMethod.HANDS.value: lazy("举手表决")}
register_summary_values("method", VOTE_METHODS, action="motion.create")
register_summary_values("method", VOTE_METHODS, action="motion.open")
register_summary_values("method", VOTE_METHODS, action="motion.close")
