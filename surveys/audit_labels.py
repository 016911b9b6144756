"""What the audit log calls the surveys' actions, objects and summary fields
(app.audit.labels); surveys.views imports this module, so the names are there wherever
the survey pages are."""

from __future__ import annotations

from app.audit.labels import (
    by_value,
    register_actions,
    register_objects,
    register_summary_keys,
    register_summary_values,
)
from app.i18n import lazy
from surveys.forms import AUDIENCE_LABELS, KIND_LABELS, MEASURE_LABELS, QTYPE_LABELS

register_actions(
    {
        "survey.create": lazy("新建问卷"),
        "survey.question_add": lazy("加一道题"),
        "survey.question_edit": lazy("修改题目"),
        "survey.question_remove": lazy("删除一道题"),
        "survey.box_holders": lazy("指定问卷的开箱保管人"),
        "survey.open": lazy("开始答题"),
        "survey.close": lazy("结束答题"),
        "survey.open_box": lazy("打开问卷票箱"),
        "survey.paper_hand": lazy("发纸质问卷"),
        "survey.paper_sheet": lazy("录入纸质问卷"),
    }
)

register_objects({"survey": lazy("问卷")})

register_summary_keys({"holder_ids": lazy("开箱保管人")}, ids=True)
register_summary_keys(
    {
        "year": lazy("年度"),
        "audience": lazy("调查对象"),
        "questions": lazy("题数"),
        "qtype": lazy("题型"),
        "measure": lazy("计入哪项考核"),
        "options": lazy("选项"),
        "correct": lazy("正确答案"),
        "opened_on": lazy("开始日期"),
        "closed_on": lazy("结束日期"),
        "audience_size": lazy("调查对象人数"),
        "responses": lazy("答卷份数"),
        "qr_responses": lazy("扫码答卷"),
        "paper_responses": lazy("纸质答卷"),
        "sheets_entered": lazy("已录入的纸质问卷"),
        "handed_out": lazy("发出的纸质问卷"),
    }
)
register_summary_values("kind", by_value(KIND_LABELS), action="survey.create")
register_summary_values("audience", by_value(AUDIENCE_LABELS), action="survey.create")
register_summary_values("qtype", by_value(QTYPE_LABELS))
register_summary_values("measure", by_value(MEASURE_LABELS))
