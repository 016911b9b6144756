"""What the audit log calls the assemblies' and slips' actions, objects and summary fields
(app.audit.labels); slips.views imports this module, so the names are there wherever the
slip pages are."""

from __future__ import annotations

from app.audit.labels import register_actions, register_objects, register_summary_keys
from app.i18n import lazy

register_actions(
    {
        "assembly.create": lazy("建立投票大会"),
        "assembly.drill_remove": lazy("删除演练大会和它的纸条"),
        "slips.issue": lazy("发放二维码纸条"),
        "slip.reissue": lazy("作废并补发二维码纸条"),
        "slips.code_throttle_clear": lazy("解除输号码的限制"),
    }
)

register_objects({"assembly": lazy("投票大会"), "slip": lazy("二维码纸条")})

register_summary_keys({"revoked_slip_id": lazy("作废的纸条")}, ids=True)
register_summary_keys(
    {
        "held_on": lazy("开会日期"),
        "links_expire_at": lazy("二维码失效时间"),
    }
)
register_summary_keys(
    {"address": lazy("网络地址"), "cleared": lazy("清除的输错次数")},
    action="slips.code_throttle_clear",
)
register_summary_keys(
    {"issued": lazy("发出的纸条"), "audience": lazy("应发纸条的人数")}, action="slips.issue"
)
