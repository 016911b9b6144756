"""What the audit log calls the minutes' actions, objects and summary fields
(app.audit.labels); minutes.views imports this module, so the names are there wherever
the minutes pages are."""

from __future__ import annotations

from app.audit.labels import (
    by_value,
    register_actions,
    register_objects,
    register_summary_keys,
    register_summary_values,
)
from app.i18n import lazy
from minutes.labels import ROLE_LABELS

register_actions(
    {
        "minutes.create": lazy("建立会议记录"),
        "minutes.notes": lazy("保存会议记录的内容"),
        "minutes.sign": lazy("在会议记录上签名"),
        "minutes.lock": lazy("会议记录已签名锁定"),
        "minutes.post": lazy("发布会议记录公开版"),
        "minutes.addendum": lazy("写一份更正说明"),
        "minutes.addendum_sign": lazy("在更正说明上签名"),
        "minutes.addendum_lock": lazy("更正说明签名锁定"),
    }
)

register_objects({"minutes": lazy("会议记录"), "minutes_addendum": lazy("更正说明")})

register_summary_keys({"minutes_id": lazy("会议记录"), "items": lazy("改了记录的议程")}, ids=True)
register_summary_keys(
    {
        "roles": lazy("签名身份"),
        "posted_on": lazy("发布日期"),
        "until": lazy("公示到"),
        "addenda": lazy("更正说明份数"),
    }
)
register_summary_keys({"number": lazy("第几份更正说明")}, action="minutes.addendum")
register_summary_keys({"number": lazy("第几份更正说明")}, action="minutes.addendum_sign")
register_summary_keys({"number": lazy("第几份更正说明")}, action="minutes.addendum_lock")
register_summary_values("roles", by_value(ROLE_LABELS))
