"""Staff accounts: creation by the township admin, deactivation, password changes, scope."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import StaffUser
from app.accounts.services import verify_password
from app.audit.models import AuditEntry
from app.permissions import Role
from tests import factories
from tests.app.helpers import signed_in, table_counts
from tests.conftest import csrf_from, post_form, sign_in

PASSWORD = "a long enough password"
VILLAGE_ROLES = [Role.ORGANIZER, Role.GROUP_LEADER, Role.TELLER, Role.RECORDER]


@pytest.fixture
def admin(client, db):
    user = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, user.username)
    return user


@pytest.fixture
def village(admin):
    return factories.VillageFactory(township=admin.township)


def new_staff(role, village_id="", **changes):
    data = {
        "display_name": "新同事",
        "username": "newcomer",
        "role": role.value if isinstance(role, Role) else role,
        "village_id": str(village_id),
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    return {**data, **changes}


def field_error(response, name):
    """The message shown right beside the field `name`, or None."""
    match = re.search(rf'<p class="error" id="e-{name}">(.*?)</p>', response.text)
    return match.group(1) if match else None


def find(db, username):
    return db.scalar(select(StaffUser).where(StaffUser.username == username))


@pytest.mark.parametrize("role", VILLAGE_ROLES)
def test_admin_creates_village_accounts(client, db, admin, village, role):
    response = post_form(client, "/staff/new", new_staff(role, village.id))
    assert response.status_code == 303
    created = find(db, "newcomer")
    assert (created.role, created.village_id, created.township_id) == (
        role,
        village.id,
        admin.township_id,
    )
    assert verify_password(created.password_hash, PASSWORD)
    assert "已创建账号 newcomer" in client.get("/staff").text


@pytest.mark.parametrize("with_village", [False, True])
def test_admin_creates_auditors_for_the_township_or_one_village(
    client, db, admin, village, with_village
):
    village_id = village.id if with_village else ""
    assert post_form(client, "/staff/new", new_staff(Role.AUDITOR, village_id)).status_code == 303
    assert find(db, "newcomer").village_id == (village.id if with_village else None)


def test_admin_creates_another_township_admin(client, db, admin):
    assert post_form(client, "/staff/new", new_staff(Role.TOWNSHIP_ADMIN)).status_code == 303
    assert find(db, "newcomer").role is Role.TOWNSHIP_ADMIN


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"village_id": ""}, "village_id", "这个角色在村里工作，请选择所在的村。"),
        ({"role": "township_admin", "village_id": "VILLAGE"}, "village_id", "乡镇管理员属于乡镇"),
        ({"role": ""}, "role", "请选择一个角色。"),
        ({"display_name": ""}, "display_name", "请填写姓名。"),
        ({"username": ""}, "username", "请填写用户名。"),
        ({"username": "has space"}, "username", "用户名只能用字母、数字"),
        ({"password": "short", "confirm": "short"}, "password", "密码至少要 10 位"),
        ({"confirm": "something else"}, "confirm", "两次输入的密码不一样"),
        ({"role": "auditor", "village_id": "OTHER"}, "village_id", "请从列表里选择一个村。"),
        ({"username": "TAKEN"}, "username", "已被使用，请换一个"),
    ],
)
def test_form_errors_are_shown_beside_the_field_and_nothing_is_written(
    client, db, connection, admin, village, changes, field, message
):
    taken = factories.staff(Role.ORGANIZER, village)
    other_village = factories.VillageFactory()  # another township's
    replace = {
        "VILLAGE": str(village.id),
        "OTHER": str(other_village.id),
        "TAKEN": taken.username.upper(),
    }
    data = new_staff(Role.ORGANIZER, village.id)
    data.update({key: replace.get(value, value) for key, value in changes.items()})
    before = table_counts(connection)
    response = post_form(client, "/staff/new", data)
    assert response.status_code == 422
    assert message in (field_error(response, field) or "")
    assert "请按提示修改后再提交，内容没有保存。" in response.text
    assert table_counts(connection) == before
    # What was typed comes back, except the passwords.
    if data["display_name"]:
        assert f'value="{data["display_name"]}"' in response.text
    assert PASSWORD not in response.text


def test_deactivation_ends_the_users_sessions(app, client, db, admin, village):
    member = factories.staff(Role.ORGANIZER, village)
    their_browser = signed_in(app, member)
    assert their_browser.get("/").status_code == 200
    response = post_form(client, f"/staff/{member.id}/toggle", {}, page="/staff")
    assert response.status_code == 303
    assert their_browser.get("/").headers["location"].startswith("/signin")
    refused = post_form(
        their_browser, "/signin", {"username": member.username, "password": factories.PASSWORD}
    )
    assert refused.status_code == 401
    assert "已停用" in client.get("/staff").text
    post_form(client, f"/staff/{member.id}/toggle", {}, page="/staff")
    sign_in(their_browser, member.username)


def test_admin_cannot_deactivate_themselves(client, db, admin):
    response = post_form(client, f"/staff/{admin.id}/toggle", {}, page="/staff")
    assert response.status_code == 409
    assert "不能停用自己的账号" in response.text
    db.refresh(admin)
    assert admin.active


def test_admin_cannot_touch_another_townships_staff(client, db, admin):
    stranger = factories.staff(Role.ORGANIZER)
    response = post_form(client, f"/staff/{stranger.id}/toggle", {}, page="/staff")
    assert response.status_code == 404
    db.refresh(stranger)
    assert stranger.active


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, db):
    user = factories.staff(Role.TELLER)
    sign_in(client, user.username)
    other_browser = signed_in(app, user)
    data = {
        "current": factories.PASSWORD,
        "password": "new long password",
        "confirm": "new long password",
    }
    response = post_form(client, "/account/password", data)
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert other_browser.get("/").status_code == 303
    db.refresh(user)
    assert verify_password(user.password_hash, "new long password")
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "staff.password",
        user.id,
        str(user.id),
    )


def test_password_change_confirms_with_the_flash(app, client, db):
    user = factories.staff(Role.TELLER)
    sign_in(client, user.username)
    data = {
        "current": factories.PASSWORD,
        "password": "new long password",
        "confirm": "new long password",
    }
    post_form(client, "/account/password", data)
    assert "密码已修改。" in client.get("/").text


def test_wrong_current_password_is_shown_beside_the_field(client, db, connection):
    user = factories.staff(Role.TELLER)
    sign_in(client, user.username)
    before = table_counts(connection)
    data = {
        "current": "not my password",
        "password": "new long password",
        "confirm": "new long password",
    }
    response = post_form(client, "/account/password", data)
    assert response.status_code == 422
    assert field_error(response, "current") == "现在的密码不对，请重新输入。"
    assert table_counts(connection) == before


def test_organizer_sees_only_their_villages_staff_and_cannot_create(client, db):
    organizer = factories.staff(Role.ORGANIZER)
    colleague = factories.staff(Role.RECORDER, organizer.village)
    neighbour = factories.staff(
        Role.RECORDER, factories.VillageFactory(township=organizer.township)
    )
    boss = factories.staff(Role.TOWNSHIP_ADMIN, township=organizer.township)
    sign_in(client, organizer.username)
    page = client.get("/staff")
    assert page.status_code == 200
    assert colleague.display_name in page.text
    assert organizer.display_name in page.text
    for hidden in (neighbour, boss):
        assert hidden.display_name not in page.text
    assert 'href="/staff/new"' not in page.text
    assert "/toggle" not in page.text
    assert client.get("/staff/new").status_code == 403
    token = csrf_from(client, "/staff")
    response = client.post(
        "/staff/new", data={**new_staff(Role.RECORDER, organizer.village_id), "csrf_token": token}
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count()).where(StaffUser.username == "newcomer")) == 0
