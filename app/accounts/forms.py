from __future__ import annotations

from app.accounts.services import MIN_PASSWORD_LENGTH
from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from app.permissions import Role


def parse_signin(username: str, password: str) -> FormResult:
    result = FormResult()
    result.values["username"] = required_text(
        result, "username", username, label=gettext_("用户名"), max_length=50
    )
    result.values["password"] = password
    if not password:
        result.error("password", gettext_("请填写密码。"))
    return result


def check_new_password(result: FormResult, password: str, confirm: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        result.error(
            "password",
            gettext_("密码至少要 %(n)s 位，请换一个更长的。", n=MIN_PASSWORD_LENGTH),
        )
    elif password != confirm:
        result.error("confirm", gettext_("两次输入的密码不一样，请重新输入。"))
    result.values["password"] = password


def parse_password_change(current: str, password: str, confirm: str) -> FormResult:
    result = FormResult()
    if not current:
        result.error("current", gettext_("请填写现在的密码。"))
    result.values["current"] = current
    check_new_password(result, password, confirm)
    return result


def parse_new_staff(
    *,
    username: str,
    display_name: str,
    role: str,
    village_id: str,
    password: str,
    confirm: str,
    allowed_village_ids: set[int],
) -> FormResult:
    result = FormResult()
    name = required_text(result, "username", username, label=gettext_("用户名"), max_length=50)
    if name and not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        result.error("username", gettext_("用户名只能用字母、数字和 _ - . 。"))
    result.values["username"] = name
    result.values["display_name"] = required_text(
        result, "display_name", display_name, label=gettext_("姓名"), max_length=50
    )
    result.raw["role"] = role
    try:
        result.values["role"] = Role(role)
    except ValueError:
        result.error("role", gettext_("请选择一个角色。"))
    result.raw["village_id"] = village_id
    chosen: int | None = None
    if village_id:
        number = whole_number(village_id)
        chosen = -1 if number is None else number
        if chosen not in allowed_village_ids:
            result.error("village_id", gettext_("请从列表里选择一个村。"))
    result.values["village_id"] = chosen
    role_value = result.values.get("role")
    if role_value is Role.TOWNSHIP_ADMIN and chosen is not None:
        result.error("village_id", gettext_("乡镇管理员属于乡镇，不要选择村。"))
    if role_value in (Role.ORGANIZER, Role.GROUP_LEADER, Role.TELLER, Role.RECORDER) and (
        chosen is None
    ):
        result.error("village_id", gettext_("这个角色在村里工作，请选择所在的村。"))
    check_new_password(result, password, confirm)
    return result
