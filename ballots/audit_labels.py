"""What the audit log calls the elections' actions, objects and summary fields
(app.audit.labels); ballots.views imports this module, so the names are there wherever
the election pages are."""

from __future__ import annotations

from app.audit.labels import (
    by_value,
    register_actions,
    register_change_actions,
    register_objects,
    register_summary_keys,
    register_summary_values,
)
from app.i18n import lazy, lazy_in
from ballots.results.services import VOID_REASONS
from ballots.results.views_public import KIND_LABELS
from ballots.setup.rules import ELECTORATE_LABELS, OFFICE_LABELS, PROFILE_LABELS, STAGE_LABELS

register_actions(
    {
        "election.create": lazy("新建选举"),
        "election.drill_remove": lazy("删除演练选举"),
        "election.update": lazy("修改选举设置"),
        "election.roll_build": lazy("生成选民名单"),
        "election.stage": lazy("推进选举阶段"),
        "election.objection_file": lazy("登记对选民名单的异议"),
        "election.objection_decide": lazy("答复对选民名单的异议"),
        "election.nomination_add": lazy("录入提名"),
        "election.candidates_publish": lazy("公布候选人名单"),
        "election.candidate_withdraw": lazy("候选人退出"),
        "election.candidate_photo": lazy("上传候选人照片"),
        "election.candidate_photo_remove": lazy("去掉候选人照片"),
        "election.ballot_audio": lazy("生成选票朗读"),
        "election.assembly": lazy("安排选举在投票大会上投票"),
        "election.tellers": lazy("指定本轮的监计票人"),
        "election.close_voting": lazy("结束投票"),
        "election.attendance": lazy("填写小组会议选举的到会人数"),
        "election.open_box": lazy("开启票箱"),
        "election.announce": lazy("计票并当场公布结果"),
        "election.confirm_result": lazy("监计票人确认结果"),
        "election.certify": lazy("选举结果生效"),
        "election.annul": lazy("宣布选举结果无效"),
        "election.further_round": lazy("安排新一轮投票"),
        "entrustment.add": lazy("登记委托投票"),
        "entrustment.revoke": lazy("撤销委托投票"),
        "mobile_box.mark": lazy("加入流动票箱名单"),
        "mobile_box.unmark": lazy("移出流动票箱名单"),
        "paper_count.start": lazy("开始录入纸质选票"),
        "paper_count.entry": lazy("录入一张纸质选票"),
        "paper_count.undo": lazy("撤回刚录入的一张选票"),
        "paper_count.correct": lazy("改正录入的一张选票"),
        "paper_count.close": lazy("结束纸质选票录入"),
    }
)
# election.update records only what changed, each field as [before, after].
register_change_actions("election.update")

register_objects(
    {
        "election": lazy_in("record", "选举"),
        "election_round": lazy("选举轮次"),
        "nomination": lazy("提名"),
        "candidate": lazy_in("record", "候选人"),
        "candidate_photo": lazy("候选人照片"),
        "ballot_audio": lazy("选票朗读"),
        "roll_objection": lazy("名单异议"),
        "entrustment": lazy("委托投票"),
        "roll_entry": lazy("选民"),
        "paper_count": lazy("纸质选票录入"),
    }
)

register_summary_keys(
    {
        "office": lazy("职务"),
        "office_label": lazy("职务名称"),
        "electorate": lazy("选民范围"),
        "seats": lazy("应选人数"),
        "profile": lazy("选举规则"),
        "overrides": lazy("改过的规则参数"),
        "election_day": lazy("选举日"),
        "voters": lazy("选民人数"),
        "roll_size": lazy("名单上的选民"),
        "round": lazy("第几轮"),
        "credentials_made": lazy("生成的投票凭证"),
        "credentials_used": lazy("用过的投票凭证"),
        "filed_on": lazy("提出日期"),
        "upheld": lazy("异议成立"),
        "roll_change": lazy("名单的改动"),
        "nominee": lazy("被提名人"),
        "nominator": lazy("提名人"),
        "candidates": lazy("候选人"),
        "count": lazy("人数"),
        "replacement": lazy("接替的人"),
        "valid": lazy("本轮有效"),
        "void_reasons": lazy("无效的原因"),
        "ballots_cast": lazy("投出的选票"),
        "elected": lazy("当选人"),
        "unfilled": lazy("未选出的名额"),
        "tie": lazy("票数相同的人"),
        "export_sha256": lazy("计票数据校验码"),
        "audio_sha256": lazy("朗读录音校验码"),
        "took_part": lazy("投了票的人数"),
        "online_ballots": lazy("扫码投的选票"),
        "voter": lazy("委托人"),
        "proxy": lazy("受托人"),
        "written_on": lazy("委托书日期"),
        "relation": lazy("关系"),
        "stack": lazy("第几叠"),
        "stacks": lazy("叠数"),
        "marks": lazy("选的人"),
        "invalid": lazy("废票"),
        "blank": lazy("空白票"),
        "was": lazy("改正前"),
        "ballots": lazy("计入的选票"),
        "previous_assembly_id": lazy("原来的投票大会"),
        "outcome_id": lazy("结果记录"),
    }
)
register_summary_keys(
    {
        "election": lazy_in("record", "选举"),
        "group": lazy_in("record", "小组"),
        "person": lazy("村民"),
        "tellers": lazy("监计票人"),
    },
    ids=True,
)
register_summary_keys({"issued": lazy("发出的纸质选票")}, action="paper_count.close")
register_summary_keys({"kind": lazy("这一轮")}, action="election.further_round")

# The election report's one entry: the polling facilities the organizer enters.
register_actions({"election.facilities": lazy("填写票箱和秘密写票处的数量")})
register_objects({"election_facilities": lazy("投票设施")})
register_summary_keys(
    {
        "ballot_boxes": lazy("票箱"),
        "mobile_boxes": lazy("流动票箱"),
        "booths": lazy("秘密写票处"),
        "replaces_id": lazy("更正的记录"),
    },
    action="election.facilities",
)

register_summary_values("from", by_value(STAGE_LABELS), action="election.stage")
register_summary_values("to", by_value(STAGE_LABELS), action="election.stage")
register_summary_values("kind", by_value(KIND_LABELS), action="election.further_round")
register_summary_values("office", by_value(OFFICE_LABELS))
register_summary_values("electorate", by_value(ELECTORATE_LABELS))
register_summary_values("profile", PROFILE_LABELS)
register_summary_values("void_reasons", VOID_REASONS)
