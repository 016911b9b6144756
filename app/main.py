"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, NoMatchFound, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.services import session_user
from app.accounts.views import routes as account_routes
from app.api.views import routes as api_routes
from app.audit.views import routes as audit_routes
from app.db import Database, make_engine
from app.home import routes as home_routes
from app.i18n import LANGUAGE_COOKIE, lazy, negotiate, set_locale
from app.permissions import Permission
from app.registry.views import routes as registry_routes
from app.settings import STATIC_DIR, Settings, load_settings
from app.templating import render_error
from assessment.views import routes as assessment_routes
from ballots.views import routes as ballot_routes
from compacts.views import routes as compact_routes
from meetings.views import routes as meeting_routes
from minutes.views import routes as minutes_routes
from slips.views import routes as slip_routes
from surveys.views import routes as survey_routes

logger = logging.getLogger("cunyi")

SESSION_COOKIE = "cunyi_session"
STATIC_PATH = "/static"


class LocaleMiddleware:
    """Picks the language for this request (cookie, then Accept-Language)."""

    def __init__(self, app: ASGIApp, default_locale: str) -> None:
        self.app = app
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            cookie_value = None
            for part in headers.get("cookie", "").split(";"):
                key, _sep, value = part.strip().partition("=")
                if key == LANGUAGE_COOKIE:
                    cookie_value = value
            locale = negotiate(cookie_value, headers.get("accept-language"))
            if cookie_value is None and not headers.get("accept-language"):
                locale = self.default_locale
            set_locale(locale)
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """Headers every page gets: no framing, no sniffing, a strict script policy."""

    HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
            b"script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer but the static files', unless the
    answer says otherwise itself.

    Staff pages carry personal data (people lists, the audit log) and villagers' pages
    carry their slip's link: neither may stay in a shared township computer's cache or
    a proxy's. The stylesheet and scripts under /static stay cacheable.
    """

    HEADER: ClassVar[tuple[bytes, bytes]] = (b"cache-control", b"no-store")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        path = path.removeprefix(root) if root else path
        static = path == STATIC_PATH or path.startswith(STATIC_PATH + "/")
        if scope["type"] != "http" or static:
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(key.lower() == b"cache-control" for key, _value in headers):
                    headers.append(self.HEADER)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_no_store)


class HeadWithoutBodyMiddleware:
    """The answer to HEAD is the GET's headers without its body.

    The request layer (app.web) runs HEAD as GET; here the body is dropped, as the
    HTTP servers do, so that every server (and the test client) answers HEAD alike.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_headers_only)


def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return render_error(
            request, 405, lazy("不支持这种访问方式"), lazy("请从页面上的按钮或链接进入。")
        )
    if status != 404:
        # Anything else the framework refuses (e.g. an unreadable upload): a page in
        # our words, never the framework's English plain text.
        return render_error(
            request,
            status,
            lazy("无法处理这个请求"),
            lazy("提交的内容无法读取。请返回上一页，刷新后再试一次。"),
        )
    return render_error(
        request,
        404,
        lazy("找不到该页面"),
        lazy("您要找的页面不存在，可能链接有误或已被移除。请返回首页重新进入。"),
    )


def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return render_error(
        request,
        500,
        lazy("系统出错了"),
        lazy(
            "服务器处理时出现了问题，您的操作没有保存。请稍后再试；如果一直出错，请联系乡镇管理员。"
        ),
    )


class IndexedRouter(Router):
    """Starlette's router, finding a route by name in a dict instead of asking every
    route in turn (each refusal raises and catches NoMatchFound: dozens per page, one
    per link). A name the index does not hold, or params its route refuses, fall back to
    Starlette's own search, which raises the usual NoMatchFound."""

    _by_name: dict[str, BaseRoute] | None = None

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self._by_name is None:
            by_name: dict[str, BaseRoute] = {}
            for candidate in self.routes:
                route_name = getattr(candidate, "name", None)
                if isinstance(route_name, str):
                    by_name.setdefault(route_name, candidate)
            self._by_name = by_name
        found = self._by_name.get(name)
        if found is not None:
            try:
                return found.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        return super().url_path_for(name, **path_params)


class CunyiApp(Starlette):
    """Starlette with the security and cache headers (and HEAD's empty body) outside
    everything, the 500 page included.

    Starlette's own error middleware is the outermost layer, so headers added by an
    ordinary middleware would be missing from the page shown after a crash.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        indexed = IndexedRouter(routes=self.router.routes)
        indexed.lifespan_context = self.router.lifespan_context
        self.router = indexed

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return SecurityHeadersMiddleware(NoStoreMiddleware(HeadWithoutBodyMiddleware(inner)))


def all_routes() -> list[BaseRoute]:
    static = Mount(STATIC_PATH, app=StaticFiles(directory=str(STATIC_DIR)), name="static")
    static.permission = Permission.PUBLIC  # type: ignore[attr-defined]
    routes: list[BaseRoute] = [static]
    for group in (
        home_routes,
        account_routes,
        registry_routes,
        audit_routes,
        slip_routes,
        ballot_routes,
        meeting_routes,
        minutes_routes,
        compact_routes,
        survey_routes,
        assessment_routes,
        api_routes,
    ):
        routes.extend(group)
    return routes


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        owned = database is None
        db = database or Database(make_engine(settings.database_url))
        app.state.database = db
        try:
            yield {}
        finally:
            if owned:
                db.dispose()

    middleware = [
        Middleware(LocaleMiddleware, default_locale=settings.default_locale),
        Middleware(
            SessionMiddleware,
            secret_key=str(settings.secret_key),
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_max_age,
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
    ]
    app = CunyiApp(
        debug=settings.debug,
        routes=[*all_routes(), *extra_routes],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, 500: _server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    # The request layer knows staff only as principals; accounts says who is signed in.
    app.state.load_principal = session_user
    if database is not None:
        app.state.database = database
    return app
