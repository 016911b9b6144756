"""What the audit log calls the compacts' actions, objects and summary fields
(app.audit.labels); compacts.views imports this module, so the names are there wherever
the compact pages are."""

from __future__ import annotations

from app.audit.labels import (
    by_value,
    register_actions,
    register_objects,
    register_summary_keys,
    register_summary_values,
)
from app.i18n import lazy
from compacts.adoption.views import OUTCOMES
from compacts.models import DeliveryMethod, FilingDecision
from compacts.rounds.views_lead import CHOICE_LABELS
from meetings.audit_labels import VOTE_METHODS

register_actions(
    {
        "compact.create": lazy("新建村规民约"),
        "compact.draft_save": lazy("保存公约草稿"),
        "compact.version_freeze": lazy("公约草稿保存为新版本"),
        "compact.round_open": lazy("开始征求意见"),
        "compact.comment": lazy("对公约提意见"),
        "compact.vote": lazy("对公约表态"),
        "compact.group_summary": lazy("保存小组汇总意见"),
        "compact.round_close": lazy("结束征求意见"),
        "compact.answer": lazy("答复意见"),
        "compact.adoption": lazy("记下村民会议对公约的表决"),
        "compact.filing_submit": lazy("公约报乡镇备案"),
        "compact.filing_decide": lazy("乡镇答复公约备案"),
        "compact.order_answer": lazy("标明某一版回应改正通知"),
        "compact.publish": lazy("公布村规民约"),
        "compact.delivery": lazy("登记公约送达到户"),
    }
)

register_objects(
    {
        "compact": lazy("公约"),
        "compact_version": lazy("公约版本"),
        "deliberation_round": lazy("征求意见轮次"),
        "deliberation_group": lazy("征求意见的小组"),
        "compact_comment": lazy("公约意见"),
        "compact_vote": lazy("公约表态"),
        "compact_filing": lazy("公约备案"),
    }
)

register_summary_keys(
    {
        "compact_id": lazy("公约"),
        "version_id": lazy("公约版本"),
        "answers_filing_id": lazy("所回应的改正意见"),
        "groups": lazy("小组"),
        "silent_groups": lazy("没有汇总意见的小组"),
    },
    ids=True,
)
register_summary_keys(
    {
        "from_model": lazy("用范本起草"),
        "chars": lazy("字数"),
        "articles": lazy("条文"),
        "version": lazy("第几版"),
        "filing_id": lazy("所回应的改正通知"),
        "deadline": lazy("截止日期"),
        "article": lazy("针对的条文"),
        "paper": lazy("纸质录入"),
        "choice": lazy("表态"),
        "length": lazy("字数"),
        "adopted": lazy("公约通过"),
        "figures": lazy("表决情况"),
        "decision": lazy("备案决定"),
        "order_text": lazy("改正意见"),
        "outcome": lazy("答复结果"),
        "published_on": lazy("公布日期"),
    }
)
register_summary_keys({"number": lazy("第几版")}, action="compact.version_freeze")
register_summary_keys({"articles": lazy("要改正的条文")}, action="compact.filing_decide")
# The adoption keeps the closed motion's figures; their "reason" is its verdict.
register_summary_keys({"reason": lazy("结论")}, action="compact.adoption")

register_summary_values("method", VOTE_METHODS, action="compact.adoption")
register_summary_values(
    "method",
    {
        DeliveryMethod.QR.value: lazy("户代表扫码确认收到"),
        DeliveryMethod.LEADER.value: lazy("小组长登记送达"),
    },
    action="compact.delivery",
)
register_summary_values("article", {"": lazy("整体意见")}, action="compact.comment")
register_summary_values("choice", by_value(CHOICE_LABELS), action="compact.vote")
register_summary_values("outcome", OUTCOMES, action="compact.answer")
register_summary_values(
    "decision",
    {
        FilingDecision.ACKNOWLEDGED.value: lazy("予以备案"),
        FilingDecision.CORRECTION_ORDERED.value: lazy("责令改正"),
    },
    action="compact.filing_decide",
)
