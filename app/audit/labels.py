"""The audit log in words: what each action, object and summary field is called.

The log stores raw names (`election.announce`, `election_round:3`, `{"ballots_cast":99}`)
and keeps them: they are what the chain hashes. People read labels. Each domain names its
own actions, objects and summary fields from its `audit_labels` module (imported where
the package composes, its views), so this module imports no domain; the actions of the
app itself (staff accounts, the registry and its roll, the API, the demo) and the summary
fields several packages share are named here. Whatever nobody named shows its raw name.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from app.i18n import LazyText, lazy, lazy_in
from app.permissions import ROLE_LABELS

# A summary field named for every action (rather than for one).
EVERY_ACTION = ""

ACTION_LABELS: dict[str, LazyText] = {}
OBJECT_LABELS: dict[str, LazyText] = {}
# (action or EVERY_ACTION, field) -> label; the action's own label wins.
SUMMARY_KEY_LABELS: dict[tuple[str, str], LazyText] = {}
# (action or EVERY_ACTION, field) -> {stored value: label}, for fields holding a code.
SUMMARY_VALUE_LABELS: dict[tuple[str, str], dict[str, LazyText]] = {}
# Fields whose whole numbers are record ids, shown as #12 (besides any *_id and *_ids).
SUMMARY_ID_KEYS: set[str] = set()
# Actions whose whole summary maps each changed field to [before, after] (a field
# called "changes" holds such a map in any action).
CHANGE_ACTIONS: set[str] = set()


Name = TypeVar("Name", str, tuple[str, str])


def _merge(registry: dict[Name, LazyText], new: Mapping[Name, LazyText]) -> None:
    for name, label in new.items():
        known = registry.get(name)
        if known is not None and known != label:
            raise ValueError(f"{name!r} is labelled twice: {known.message!r} and {label.message!r}")
        registry[name] = label


def register_actions(labels: Mapping[str, LazyText]) -> None:
    """Name actions (`election.announce`: 计票并当场公布结果); a second, different name refuses."""
    _merge(ACTION_LABELS, labels)


def register_objects(labels: Mapping[str, LazyText]) -> None:
    """Name object types (`election`: 选举), shown as 选举 #12."""
    _merge(OBJECT_LABELS, labels)


def register_summary_keys(
    labels: Mapping[str, LazyText], *, action: str = EVERY_ACTION, ids: bool = False
) -> None:
    """Name summary fields, for one action or for all; `ids`: their numbers are record ids."""
    _merge(SUMMARY_KEY_LABELS, {(action, key): label for key, label in labels.items()})
    if ids:
        SUMMARY_ID_KEYS.update(labels)


def register_summary_values(
    key: str, labels: Mapping[str, LazyText], *, action: str = EVERY_ACTION
) -> None:
    """Name the codes a summary field holds (`"to": "voting_open"`: 投票)."""
    known = SUMMARY_VALUE_LABELS.setdefault((action, key), {})
    for value, label in labels.items():
        if value in known and known[value] != label:
            raise ValueError(f"{key}={value!r} is labelled twice")
        known[value] = label


Code = TypeVar("Code", bound=Enum)


def by_value(labels: Mapping[Code, LazyText]) -> dict[str, LazyText]:
    """An enum's labels keyed by the stored values, for `register_summary_values`."""
    return {str(member.value): label for member, label in labels.items()}


def register_change_actions(*actions: str) -> None:
    CHANGE_ACTIONS.update(actions)


def action_label(action: str) -> str:
    """The action in words, or its raw name when nobody named it."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str, object_id: str) -> str:
    """The object in words (选举 #12), or type:id when its type has no name."""
    label = OBJECT_LABELS.get(object_type)
    return f"{label} #{object_id}" if label is not None else f"{object_type}:{object_id}"


def summary_key_label(action: str, key: str) -> str:
    label = SUMMARY_KEY_LABELS.get((action, key)) or SUMMARY_KEY_LABELS.get((EVERY_ACTION, key))
    return str(label) if label is not None else key


def summary_value_label(action: str, key: str, value: str) -> str | None:
    for scope in (action, EVERY_ACTION):
        label = SUMMARY_VALUE_LABELS.get((scope, key), {}).get(value)
        if label is not None:
            return str(label)
    return None


def is_id_key(key: str) -> bool:
    return key.endswith(("_id", "_ids")) or key in SUMMARY_ID_KEYS


# --- the app's own actions ------------------------------------------------------------

register_actions(
    {
        "staff.create": lazy("创建工作人员账号"),
        "staff.activate": lazy("重新启用账号"),
        "staff.deactivate": lazy("停用账号"),
        "staff.password": lazy("修改账号密码"),
        "staff.signout_everywhere": lazy("在所有设备上退出登录"),
        "api.token_create": lazy("创建接口令牌"),
        "api.token_revoke": lazy("撤销接口令牌"),
        "person.create": lazy("登记村民"),
        "person.update": lazy("修改村民登记"),
        "person.move": lazy("村民换户或换小组"),
        "person.deactivate": lazy("注销村民"),
        "person.reactivate": lazy("恢复村民在册"),
        "household.create": lazy("建立新户"),
        "household.representative": lazy("设定户代表"),
        "group.create": lazy("新建小组"),
        "group.rename": lazy("小组改名"),
        "roll.upload": lazy("上传花名册文件"),
        "roll.import": lazy("导入花名册"),
        "roll.export": lazy("导出村民名单"),
        "demo.build": lazy("生成演示数据"),
    }
)

register_objects(
    {
        "township": lazy("乡镇"),
        "village": lazy("村"),
        "staff_user": lazy("工作人员账号"),
        "api_token": lazy_in("record", "接口令牌"),
        "person": lazy("村民"),
        "household": lazy_in("record", "户"),
        "group": lazy_in("record", "小组"),
        "roll_import": lazy("花名册导入"),
    }
)

# Fields several packages write.
register_summary_keys(
    {
        "title": lazy("名称"),
        "name": lazy("姓名"),
        "reason": lazy("原因"),
        "note": lazy("说明"),
        "kind": lazy("类型"),
        "position": lazy("序号"),
        "text": lazy("内容"),
        "sha256": lazy("校验码"),
        "method": lazy("方式"),
        "from": lazy("从"),
        "to": lazy("到"),
        "on": lazy("日期"),
        "place": lazy("地点"),
        "changes": lazy("改动"),
        "members": lazy("应到人数"),
        "eligible": lazy("应到人数"),
        "present": lazy("实到人数"),
        "households": lazy("总户数"),
        "households_present": lazy("到会户代表"),
        "quorum": lazy("达到法定人数"),
        # app.audit.services.record marks a drill's entries (app.drill).
        "drill": lazy("演练"),
        "drill_day_seconds": lazy("演练中一天的秒数"),
        "removed": lazy("删除的记录"),
    }
)
register_summary_keys(
    {
        "village_id": lazy("村"),
        "election_id": lazy_in("record", "选举"),
        "round_id": lazy("轮次"),
        "meeting_id": lazy_in("record", "会议"),
        "person_id": lazy("村民"),
        "person_ids": lazy("村民"),
        "group_id": lazy_in("record", "小组"),
        "assembly_id": lazy("投票大会"),
        "teller_id": lazy("监计票人"),
        "teller_ids": lazy("监计票人"),
        "opened_by": lazy("开箱人"),
    },
    ids=True,
)
# Staff accounts, the API, the roll and its people.
register_summary_keys(
    {
        "username": lazy("用户名"),
        "role": lazy("角色"),
        "sessions": lazy("结束的登录"),
        "label": lazy("名称"),
        "filename": lazy("文件名"),
        "bytes": lazy("文件大小（字节）"),
        "added": lazy("新增"),
        "changed": lazy("有改动"),
        "unchanged": lazy("没有改动"),
        "not_in_file": lazy("文件里没有的"),
        "households_created": lazy("新建的户"),
        "addresses_changed": lazy("改了住址的"),
        "groups_created": lazy("新建的小组"),
        "format": lazy("格式"),
        "people": lazy("人数"),
        "roll_number": lazy("编号"),
        "sex": lazy("性别"),
        "birth": lazy("出生年月"),
        "residence": lazy("登记类别"),
        "address": lazy("住址"),
        "household": lazy("户号"),
        "representative": lazy("户代表"),
        "is_household_representative": lazy("户代表"),
        "household_representative": lazy("户代表"),
        "is_villager_representative": lazy("村民代表"),
        "villager_representative": lazy("村民代表"),
        "is_cadre": lazy("村干部"),
        "cadre": lazy("村干部"),
        "is_association_member": lazy("协会会员"),
        "association_member": lazy("协会会员"),
        "active": lazy("在册"),
        "group_villagers": lazy("村民小组"),
        "villagers_group": lazy("村民小组"),
        "group_women": lazy("育龄妇女小组"),
        "women_group": lazy("育龄妇女小组"),
        "group_association": lazy("协会联户组"),
        "association_group": lazy("协会联户组"),
        "reason_text": lazy("原因"),
        "villages": lazy("村"),
    }
)
register_summary_keys({"number": lazy("户号")}, action="household.create")
register_summary_keys({"number": lazy("户号")}, action="household.representative")
register_summary_keys({"reason": lazy("注销原因")}, action="person.deactivate")
register_summary_keys({"name": lazy("名称")}, action="group.create")
register_summary_keys({"name": lazy("名称")}, action="group.rename")
register_summary_values("role", by_value(ROLE_LABELS))
