"""Sign-in, sign-out, own password, and staff account management."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from app.accounts import forms, services
from app.accounts.exceptions import InvalidCredentials, SigninThrottled
from app.accounts.models import StaffUser
from app.accounts.paths import USER, route
from app.errors import Conflict, NotFound
from app.i18n import LANGUAGE_COOKIE, gettext_, lazy
from app.permissions import ROLE_LABELS, Permission, Role
from app.registry.models import Village
from app.settings import SUPPORTED_LOCALES
from app.web import Ctx


def _safe_next(target: str, fallback: str) -> str:
    """Only same-site paths: never an open redirect."""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return fallback
    # Browsers read "/\\host" as "//host"; control characters have no place in a path.
    if "\\" in target or any(ord(char) < 32 for char in target):
        return fallback
    return target


def _client_address(ctx: Ctx) -> str:
    return ctx.request.client.host if ctx.request.client else "unknown"


def _throttle_policy(ctx: Ctx) -> services.ThrottlePolicy:
    settings = ctx.settings
    return services.ThrottlePolicy(
        max_per_account=settings.signin_max_failures_per_account,
        max_per_address=settings.signin_max_failures_per_address,
        window=timedelta(seconds=settings.signin_window_seconds),
    )


def password_problem(ctx: Ctx, user: StaffUser, password: str, wrong: str) -> str | None:
    """Check a signed-in user's password typed again (to certify, to sign) under the
    sign-in throttle: a session left open on a shared computer must not let anyone guess
    it. A message for the form (`wrong` when the password is wrong), or None when right."""
    address = _client_address(ctx)
    policy = _throttle_policy(ctx)
    try:
        services.authenticate(ctx.db, user.username, password, address, policy)
    except SigninThrottled as error:
        return error.render_message()
    except InvalidCredentials:

        def remember(session: Session) -> None:
            services.record_failure(session, user.username, address, policy)

        ctx.on_failure.append(remember)
        return wrong
    return None


def signin(ctx: Ctx) -> Response:
    next_url = _safe_next(ctx.request.query_params.get("next", ""), ctx.url("home"))
    if ctx.user is not None and ctx.request.method == "GET":
        return RedirectResponse(next_url, status_code=303)
    if ctx.request.method == "GET":
        return ctx.render("accounts/signin.html", form=None, errors={}, next=next_url)
    result = forms.parse_signin(ctx.field("username"), ctx.secret_field("password"))
    next_url = _safe_next(ctx.field("next"), ctx.url("home"))
    if not result.ok:
        return ctx.render(
            "accounts/signin.html", 422, form=result.raw, errors=result.errors, next=next_url
        )
    address = _client_address(ctx)
    policy = _throttle_policy(ctx)
    username = result.values["username"]
    try:
        user = services.authenticate(ctx.db, username, result.values["password"], address, policy)
    except (InvalidCredentials, SigninThrottled) as error:
        if isinstance(error, InvalidCredentials):

            def remember(session: Session) -> None:
                services.record_failure(session, username, address, policy)

            ctx.on_failure.append(remember)
        status = error.status_code if isinstance(error, SigninThrottled) else 401
        return ctx.render(
            "accounts/signin.html",
            status,
            form={"username": username},
            errors={"__all__": error.render_message()},
            next=next_url,
        )
    _begin_session(ctx, user)
    return RedirectResponse(next_url, status_code=303)


def _session_max_age(ctx: Ctx) -> timedelta:
    return timedelta(seconds=ctx.settings.session_max_age)


def _begin_session(ctx: Ctx, user: StaffUser) -> None:
    """A fresh sign-in session for this browser (a cookie copied before names an old one)."""
    services.end_session(ctx.db, ctx.request.session)
    ctx.request.session.clear()
    ctx.request.session.update(services.start_session(ctx.db, user, _session_max_age(ctx)))


def signout(ctx: Ctx) -> Response:
    services.end_session(ctx.db, ctx.request.session)
    ctx.request.session.clear()
    return ctx.redirect("accounts:signin")


def signout_everywhere(ctx: Ctx) -> Response:
    user = services.staff_member(ctx.db, ctx.require_user())
    services.sign_out_everywhere(ctx.db, ctx.actor, user)
    ctx.request.session.clear()
    ctx.flash(gettext_("已在所有设备上退出登录，包括这台。请重新登录。"))
    return ctx.redirect("accounts:signin")


def switch_language(ctx: Ctx) -> Response:
    target = _safe_next(ctx.request.query_params.get("next", "/"), "/")
    response = RedirectResponse(target, status_code=303)
    chosen = ctx.request.query_params.get("to", "")
    if chosen in SUPPORTED_LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response


def resume(ctx: Ctx) -> Response:
    """The handed-over device comes back: its teller types their password to go on."""
    teller = services.held_user(ctx.db, ctx.request.session)
    if teller is None:
        return ctx.redirect("accounts:signin")
    if ctx.request.method == "GET":
        return ctx.render("accounts/resume.html", teller=teller, errors={})
    problem = password_problem(
        ctx,
        teller,
        ctx.secret_field("password"),
        gettext_("密码不对。请监票人本人输入自己的密码。"),
    )
    if problem is not None:
        return ctx.render("accounts/resume.html", 422, teller=teller, errors={"password": problem})
    return RedirectResponse(
        _safe_next(services.resume(ctx.request.session), ctx.url("home")), status_code=303
    )


def password(ctx: Ctx) -> Response:
    user = services.staff_member(ctx.db, ctx.require_user())
    if ctx.request.method == "GET":
        return ctx.render("accounts/password.html", errors={})
    result = forms.parse_password_change(
        ctx.secret_field("current"), ctx.secret_field("password"), ctx.secret_field("confirm")
    )
    if result.ok and not services.verify_password(user.password_hash, result.values["current"]):
        result.error("current", gettext_("现在的密码不对，请重新输入。"))
    if not result.ok:
        return ctx.render("accounts/password.html", 422, errors=result.errors)
    services.change_password(ctx.db, ctx.actor, user, result.values["password"])
    # Keep this browser signed in (a new session); every other session of the account ends.
    ctx.request.session.update(services.start_session(ctx.db, user, _session_max_age(ctx)))
    ctx.flash(gettext_("密码已修改。"))
    return ctx.redirect("home")


def _villages_for(ctx: Ctx) -> list[Village]:
    user = ctx.require_user()
    stmt = select(Village).where(Village.township_id == user.township_id)
    if user.village_id is not None:
        stmt = stmt.where(Village.id == user.village_id)
    return list(ctx.db.scalars(stmt.order_by(Village.code)))


def staff_list(ctx: Ctx) -> Response:
    user = services.staff_member(ctx.db, ctx.require_user())
    return ctx.render(
        "accounts/staff_list.html",
        staff=services.staff_in_scope(ctx.db, user),
        role_labels=ROLE_LABELS,
    )


def staff_new(ctx: Ctx) -> Response:
    user = ctx.require_user()
    villages = _villages_for(ctx)
    context: dict[str, Any] = {
        "villages": villages,
        "roles": list(Role),
        "role_labels": ROLE_LABELS,
    }
    if ctx.request.method == "GET":
        return ctx.render("accounts/staff_new.html", form={}, errors={}, **context)
    result = forms.parse_new_staff(
        username=ctx.field("username"),
        display_name=ctx.field("display_name"),
        role=ctx.field("role"),
        village_id=ctx.field("village_id"),
        password=ctx.secret_field("password"),
        confirm=ctx.secret_field("confirm"),
        allowed_village_ids={v.id for v in villages},
    )
    if result.values["username"] and services.username_taken(ctx.db, result.values["username"]):
        result.error(
            "username",
            gettext_(
                "用户名“%(username)s”已被使用，请换一个。", username=result.values["username"]
            ),
        )
    if not result.ok:
        return ctx.render(
            "accounts/staff_new.html", 422, form=result.raw, errors=result.errors, **context
        )
    created = services.create_user(
        ctx.db,
        ctx.actor,
        username=result.values["username"],
        display_name=result.values["display_name"],
        password=result.values["password"],
        role=result.values["role"],
        township_id=user.township_id,
        village_id=result.values["village_id"],
    )
    ctx.flash(gettext_("已创建账号 %(username)s。", username=created.username))
    return ctx.redirect("accounts:staff")


def staff_toggle(ctx: Ctx) -> Response:
    viewer = ctx.require_user()
    target = USER.of(ctx)
    if target.township_id != viewer.township_id:
        raise NotFound(USER.missing)
    if target.id == viewer.id:
        raise Conflict(lazy("不能停用自己的账号。"))
    services.set_active(ctx.db, ctx.actor, target, not target.active)
    ctx.flash(gettext_("账号状态已更新。"))
    return ctx.redirect("accounts:staff")


routes = [
    route(
        "/signin",
        signin,
        name="accounts:signin",
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
    ),
    route(
        "/signout", signout, name="accounts:signout", permission=Permission.PUBLIC, methods=["POST"]
    ),
    route("/language", switch_language, name="language", permission=Permission.PUBLIC),
    route(
        "/account/resume",
        resume,
        name="accounts:resume",
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
    ),
    route(
        "/account/password",
        password,
        name="accounts:password",
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
    ),
    route(
        "/account/signout-everywhere",
        signout_everywhere,
        name="accounts:signout_everywhere",
        permission=Permission.SIGNED_IN,
        methods=["POST"],
    ),
    route("/staff", staff_list, name="accounts:staff", permission=Permission.STAFF_READ),
    route(
        "/staff/new",
        staff_new,
        name="accounts:staff_new",
        permission=Permission.STAFF_MANAGE,
        methods=["GET", "POST"],
    ),
    route(
        "/staff/{user_id:int}/toggle",
        staff_toggle,
        name="accounts:staff_toggle",
        permission=Permission.STAFF_MANAGE,
        methods=["POST"],
    ),
]
