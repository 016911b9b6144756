"""The API's request layer: bearer tokens (or a staff session), scope, JSON errors.

Kept apart from app.web on purpose: API callers are other systems, so every answer is
JSON — a missing or bad token is a 401 (never a redirect to the sign-in page), anything
else refused is a JSON error with a Chinese message saying what to fix — never HTML.

A caller is either
- an API token (`Authorization: Bearer <token>`): it reads its township, or its one
  village when the token names one; or
- a signed-in staff member with ASSESSMENT_READ: they read what their scope covers.

Reads only. The one write is a token's `last_used_on`, at most once a day per token, so
the township admin can see which tokens are still in use and revoke the rest; it runs in
its own short transaction after the answer was computed, so a read never holds a lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from app.accounts.models import StaffUser
from app.accounts.services import staff_member
from app.api.models import ApiToken
from app.db import Database, utcnow
from app.errors import DomainError
from app.i18n import LazyText, gettext_, lazy
from app.permissions import Permission, allows, can_see_village
from app.registry.models import Village
from app.templating import CHINA_TIME
from app.web import load_user

logger = logging.getLogger("cunyi")

TOKEN_PREFIX = "cy_"  # noqa: S105 - a visible prefix, not a secret
TOKEN_BYTES = 32
# Ids are 32-bit integers in the database.
MAX_ID = 2**31 - 1


def new_token() -> str:
    """A fresh token: shown once; only its SHA-256 is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiError(DomainError):
    """An error the API answers as JSON: {"error": {"status", "code", "message"}}."""

    code = "error"

    def __init__(self, status: int, code: str, message: LazyText | str, **variables: Any) -> None:
        super().__init__(message, **variables)
        self.status_code = status
        self.code = code


def unauthorized(message: LazyText | str) -> ApiError:
    return ApiError(401, "unauthorized", message)


def forbidden(message: LazyText | str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: LazyText | str) -> ApiError:
    return ApiError(404, "not_found", message)


def bad_request(message: LazyText | str, **variables: Any) -> ApiError:
    return ApiError(400, "bad_request", message, **variables)


ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}


def json_response(
    data: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    return Response(
        body, status_code=status_code, media_type="application/json", headers=all_headers
    )


def error_response(status: int, code: str, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="cunyi"'} if status == 401 else None
    return json_response(
        {"error": {"status": status, "code": code, "message": message}}, status, headers
    )


@dataclass(frozen=True)
class Caller:
    """Who is asking: a token (by id) or a staff user, and the scope they may read."""

    township_id: int
    village_id: int | None  # None: every village of the township
    token_id: int | None = None
    user: StaffUser | None = None

    def may_read_township(self, township_id: int) -> bool:
        if self.user is not None:
            return self.user.village_id is None and self.user.township_id == township_id
        return self.village_id is None and self.township_id == township_id

    def may_read_village(self, village: Village) -> bool:
        if self.user is not None:
            return can_see_village(self.user, village.id, village.township_id)
        if self.village_id is not None:
            return self.village_id == village.id
        return self.township_id == village.township_id


@dataclass
class ApiCtx:
    request: Request
    db: Session
    caller: Caller

    def record_id(self, name: str) -> int:
        """An id from the path; one beyond any database id is simply not found."""
        value = int(self.request.path_params[name])
        if not 0 < value <= MAX_ID:
            raise not_found(lazy("没有这条记录。请检查地址中的编号。"))
        return value

    def url_for(self, name: str, params: dict[str, int]) -> str | None:
        """The path of a named page (evidence links); None if there is no such page."""
        try:
            return str(self.request.url_for(name, **params).path)
        except NoMatchFound:
            return None

    def year(self) -> int:
        raw = self.request.query_params.get("year", "").strip()
        if not raw:
            raise bad_request(lazy("请在地址中给出年份，例如 ?year=2026。"))
        if not re.fullmatch(r"[0-9]{4}", raw) or not 2000 <= int(raw) <= 2100:
            raise bad_request(
                lazy("年份“%(year)s”不对，请写四位数的年份，例如 2026。"), year=raw[:10]
            )
        return int(raw)

    def village(self, village_id: int) -> Village:
        """The village, if it exists and the caller may read it (404, then 403)."""
        village = self.db.get(Village, village_id)
        if village is None:
            raise not_found(lazy("没有这个村。请检查村的编号。"))
        if not self.caller.may_read_village(village):
            raise forbidden(lazy("这个村不在您的管辖范围内。这个令牌只能读取它所属的乡镇或村。"))
        return village


ApiView = Callable[[ApiCtx], Any]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


def _caller(request: Request, db: Session) -> tuple[Caller, ApiToken | None]:
    token = _bearer(request)
    if token is None:
        user = load_user(request, db) if "session" in request.scope else None
        if user is not None:
            if not allows(user, Permission.ASSESSMENT_READ):
                raise forbidden(lazy("您的账号没有读取考核数据的权限。"))
            return Caller(user.township_id, user.village_id, user=staff_member(db, user)), None
        raise unauthorized(lazy("缺少访问令牌。请在请求头中加上 Authorization: Bearer <令牌>。"))
    if not token:
        raise unauthorized(lazy("访问令牌的格式不对。请写成 Authorization: Bearer <令牌>。"))
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None:
        raise unauthorized(lazy("访问令牌无效。请向乡镇管理员索取新的令牌。"))
    if row.revoked_at is not None:
        raise unauthorized(lazy("这个访问令牌已被撤销。请向乡镇管理员索取新的令牌。"))
    return Caller(row.township_id, row.village_id, token_id=row.id), row


def _needs_touch(row: ApiToken, now: datetime) -> bool:
    if row.last_used_on is None:
        return True
    return row.last_used_on.astimezone(CHINA_TIME).date() != now.astimezone(CHINA_TIME).date()


def _touch(database: Database, token_id: int, now: datetime) -> None:
    session = database.session(write=True)
    try:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_on=now))
        session.commit()
    except SQLAlchemyError:
        # Only bookkeeping: a busy database must not fail the read that was answered.
        session.rollback()
        logger.warning("could not record the use of API token %s", token_id, exc_info=True)
    finally:
        session.close()


def _handle(request: Request, view: ApiView) -> Response:
    database: Database = request.app.state.database
    session = database.session()
    touch: int | None = None
    try:
        try:
            caller, row = _caller(request, session)
            data = view(ApiCtx(request, session, caller))
        except DomainError as error:
            code = (
                error.code
                if isinstance(error, ApiError)
                else ERROR_CODES.get(error.status_code, "bad_request")
            )
            return error_response(error.status_code, code, error.render_message())
        except Exception:
            # Still JSON for the calling system; the traceback goes to the log.
            logger.exception("API error on %s", request.url.path)
            return error_response(
                500,
                "server_error",
                gettext_("服务器处理时出现了问题。请稍后再试；如果一直出错，请联系乡镇管理员。"),
            )
        now = utcnow()
        if row is not None and _needs_touch(row, now):
            touch = row.id
        response = data if isinstance(data, Response) else json_response(data)
    finally:
        session.rollback()
        session.close()
    if touch is not None:
        _touch(database, touch, now)
    return response


class ApiRoute(Route):
    """A JSON route: its own auth (token or session); a wrong method is a JSON 405."""

    # Authenticated by the bearer token (like a villager's signed link), not by the
    # sign-in session: the route walk must not expect a redirect to the sign-in page.
    permission = Permission.PUBLIC

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            response = error_response(
                405, "method_not_allowed", gettext_("这个接口只能用 GET 读取。")
            )
            response.headers["Allow"] = ", ".join(sorted(self.methods))
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)


def api_route(path: str, view: ApiView, *, name: str) -> ApiRoute:
    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(_handle, request, view)

    endpoint.__name__ = getattr(view, "__name__", "endpoint")
    endpoint.__doc__ = view.__doc__
    return ApiRoute(path, endpoint, name=name, methods=["GET"])


async def not_found_json(scope: Scope, receive: Receive, send: Send) -> None:
    """Anything under /api/v1/ that is no endpoint: a JSON 404, not the HTML page."""
    response = error_response(
        404, "not_found", gettext_("没有这个接口。请查看 /api/v1/openapi.json 中列出的接口。")
    )
    await response(scope, receive, send)
