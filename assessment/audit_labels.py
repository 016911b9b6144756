"""What the audit log calls the assessment's actions, objects and summary fields
(app.audit.labels); assessment.views imports this module, so the names are there wherever
the assessment pages are."""

from __future__ import annotations

from app.audit.labels import (
    register_actions,
    register_objects,
    register_summary_keys,
    register_summary_values,
)
from app.i18n import lazy, lazy_in
from assessment.standards import STANDARDS

register_actions({"assessment.setting": lazy("修改考核设置")})

register_objects({"assessment_standard": lazy_in("record", "考核标准")})

register_summary_keys(
    {
        "code": lazy("考核标准"),
        "applies": lazy("是否考核"),
        "threshold_percent": lazy("达标线（百分比）"),
    },
    action="assessment.setting",
)
register_summary_values("code", {s.code: s.title for s in STANDARDS}, action="assessment.setting")
