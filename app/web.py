"""The request layer: route declaration with permissions, sessions, CSRF, commit.

Every route is declared with `route(...)`, which names the permission it needs. The
wrapper built here is the one place that:
- loads the signed-in staff member from the session cookie (through the loader the
  composition installs as `app.state.load_principal`: the kernel knows accounts only
  as a `Principal`),
- checks the permission,
- loads the objects the path names (`PathObject`, declared on the route) and checks,
  once, that each one's village is in the user's scope,
- presents a HEAD request to the view as a GET without a body (HEAD is GET whose
  answer's body is dropped), so no view's POST branch ever runs on HEAD, and
  keeps nothing the GET would have written,
- checks the CSRF token on every state-changing request,
- opens the database session, runs the (sync) view in the thread pool, and commits
  only when the response is a success; anything else rolls back, so a rejected form
  writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive

from app.actors import Actor, actor_for
from app.csrf import csrf_ok
from app.db import Database
from app.drill import DrillBanner, mark_session
from app.errors import Busy, DomainError, Forbidden, NotFound
from app.i18n import LazyText, gettext_, lazy
from app.permissions import Permission, Principal, allows, can_see_village
from app.public_address import absolute
from app.settings import Settings
from app.templating import path_for, render, render_error

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A whole request body: one upload plus the form fields around it. Checked against
# Content-Length before anything is read, and again while the body streams in (a chunked
# upload declares no length, and a declared length may lie), so an oversized upload
# never fills memory.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 256 * 1024
# Cache-Control for a response whose address names its content (a checksum in the URL):
# new content gets a new address, so a phone may keep this one for good.
CACHED_FOR_GOOD = "public, max-age=31536000, immutable"


class BodyTooLarge(Exception):
    """The body streamed past MAX_REQUEST_BYTES; the request is answered with 413."""


@dataclass
class UploadedFile:
    filename: str
    content: bytes
    content_type: str


@dataclass
class Ctx:
    """What a view receives: the request, a database session, the user, the form."""

    request: Request
    db: Session
    user: Principal | None
    form: FormData | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    # The objects the route's path names, loaded and scope-checked by the request layer
    # before the view runs; read them with `PathObject.of(ctx)`.
    loaded: dict[str, Any] = field(default_factory=dict)
    # Work that must be kept even when the request fails and rolls back (e.g. counting
    # a failed sign-in). Run by the request layer after the rollback, then committed.
    on_failure: list[Callable[[Session], None]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        settings: Settings = self.request.app.state.settings
        return settings

    @property
    def path(self) -> dict[str, Any]:
        return dict(self.request.path_params)

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def secret_field(self, name: str) -> str:
        """A password: taken exactly as typed, never stripped."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else ""

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str)]

    @property
    def actor(self) -> Actor:
        if self.user is None:
            return Actor(label="anonymous")
        return actor_for(self.user)

    def url(self, name: str, /, **params: Any) -> str:
        return path_for(self.request, name, **params)

    def phone_url(self, name: str, /, **params: Any) -> str:
        """The absolute link a QR code carries: on CUNYI_PUBLIC_URL when set, else on the
        address this request came in on (app.public_address)."""
        browser = f"{self.request.url.scheme}://{self.request.url.netloc}"
        return absolute(self.settings.public_url, browser, self.url(name, **params))

    def redirect(self, name: str, /, *, query: str = "", **params: Any) -> RedirectResponse:
        target = self.url(name, **params) + (f"?{query}" if query else "")
        return RedirectResponse(target, status_code=303)

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        return render(self.request, template, context, status_code=status_code, user=self.user)

    def require_user(self) -> Principal:
        if self.user is None:
            raise Forbidden(lazy("请先登录。"))
        return self.user

    def in_drill(self, banner: DrillBanner) -> None:
        """This request works on a drill (app.drill): every page it draws carries the 演练
        banner (templates/partials/drill_banner.html) and its audit entries say drill."""
        self.request.state.drill = banner
        mark_session(self.db)

    def flash(self, message: str) -> None:
        self.request.session.setdefault("flash", []).append(message)


View = Callable[[Ctx], Response]
T = TypeVar("T")
# Ids above this fit no integer column: such a path names nothing (and must not reach
# the database driver, which raises instead of finding nothing).
MAX_ID = 2**63 - 1


class VillageRef(Protocol):
    """What the scope check needs of a village (app.registry's Village is one)."""

    @property
    def id(self) -> int: ...
    @property
    def township_id(self) -> int: ...


@dataclass(frozen=True, eq=False)
class PathObject(Generic[T]):
    """An object a route's path names, such as `{election_id}`: how it is loaded, what a
    missing one is called, and how it reaches its village for the scope check.

    Declared once by the package that owns the model and listed on each route that
    names it (`route(..., load=(ELECTION,))`); the request layer loads it, answers 404
    when it is missing (or belongs to another object of the same path, `within`), 403
    when its village is outside the user's scope, and the view reads it with `of`.
    """

    param: str
    model: type[T]
    missing: LazyText
    # The object's village, or None for objects above villages (a staff account).
    village: Callable[[Session, T], VillageRef | None]
    # Another object of the same path this one must belong to: (its param, our id of it).
    within: tuple[str, Callable[[T], int]] | None = None
    # The 404 a missing object is answered with: the owning package's NotFound, whose
    # title names the kind of thing ("找不到这个选举").
    not_found: type[NotFound] = NotFound
    # Pages that must not tell whether another village's object exists answer one
    # outside the user's scope like a missing one (404, with `unseen` if given), not 403.
    hidden: bool = False
    unseen: LazyText | None = None
    # The drill (演练, app.drill) the object belongs to, if any: its pages carry the
    # banner and the request's audit entries are marked drill.
    drill: Callable[[Session, T], DrillBanner | None] | None = None

    def of(self, ctx: Ctx) -> T:
        found = ctx.loaded.get(self.param)
        if not isinstance(found, self.model):
            raise LookupError(f"the route does not load {self.param}; add it to load=")
        return found

    def load(self, ctx: Ctx, path: Mapping[str, Any], *, scoped: bool) -> T:
        key = path[self.param]
        found = ctx.db.get(self.model, key) if 0 <= key <= MAX_ID else None
        if found is None:
            raise self.not_found(self.missing)
        if self.within is not None and self.within[0] in path:
            owner_param, owner_of = self.within
            if owner_of(found) != path[owner_param]:
                raise self.not_found(self.missing)
        if scoped:
            village = self.village(ctx.db, found)
            if village is not None:
                try:
                    check_village_scope(ctx, village)
                except Forbidden:
                    if not self.hidden:
                        raise
                    raise self.not_found(self.unseen or self.missing) from None
        ctx.loaded[self.param] = found
        banner = self.drill(ctx.db, found) if self.drill is not None else None
        if banner is not None:
            ctx.in_drill(banner)
        return found


class RouteSpec(Route):
    """A Starlette route that also carries the permission it was declared with."""

    permission: Permission
    loads: tuple[PathObject[Any], ...]


def route(
    path: str,
    view: View,
    *,
    name: str,
    permission: Permission,
    methods: Sequence[str] = ("GET",),
    load: Sequence[PathObject[Any]] = (),
    on_loop: bool = False,
    too_large: View | None = None,
) -> RouteSpec:
    """A route whose view runs through the request layer (see the module's docstring).

    `too_large`: the page that answers a body past MAX_REQUEST_BYTES (an upload form
    saying so beside its field) instead of the general 413 page. It runs like a view,
    user, permission and path objects checked, with no form (none was read) and
    nothing kept; it should answer 413.

    `on_loop`: on SQLite, run the view on the event loop instead of a worker thread. For
    the vote path only (the slip page, the ballot, the confirmation, the cast): SQLite
    answers from this process in microseconds and a vote is all CPU under one GIL, so
    the thread hop and the threads' contention for the GIL were most of a vote's cost
    (bench: 206 -> 369 votes/s). The view must not wait on anything but the database:
    meanwhile the loop serves nobody else. A vote that finds this process's writer turn
    (app.db) taken by a staff page's write in a worker thread waits for it with the loop
    held (no deadlock: that thread commits without the loop); another process holding
    SQLite's write lock holds the loop up to busy_timeout. On PostgreSQL every statement
    waits on the network, so the view keeps its thread (inline it measured slower: 219 ->
    159 votes/s).
    """
    loads = tuple(load)
    for loader in loads:
        if "{" + loader.param + ":int}" not in path:
            raise ValueError(f"{name}: load={loader.param} needs {{{loader.param}:int}} in {path}")
    endpoint = _wrap(view, permission, loads, on_loop, too_large)
    spec = RouteSpec(path, endpoint, name=name, methods=list(methods))
    spec.permission = permission
    spec.loads = loads
    return spec


_PATH_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


class RouteFactory(Protocol):
    def __call__(
        self,
        path: str,
        view: View,
        *,
        name: str,
        permission: Permission,
        methods: Sequence[str] = ("GET",),
    ) -> RouteSpec: ...


def routes_loading(*objects: PathObject[Any], unloaded: Sequence[str] = ("token",)) -> RouteFactory:
    """A `route` for one package's route table that loads, on every route, the objects
    its path names: each `{param}` gets the PathObject declared for it here.

    A staff route naming a parameter with no PathObject (and not listed in `unloaded`,
    for values the view checks itself, like a slip's token) is refused when the table
    is built, so no view is left to load and scope-check an object by hand.
    """
    by_param = {o.param: o for o in objects}

    def package_route(
        path: str,
        view: View,
        *,
        name: str,
        permission: Permission,
        methods: Sequence[str] = ("GET",),
    ) -> RouteSpec:
        params = _PATH_PARAM.findall(path)
        missing = [p for p in params if p not in by_param and p not in unloaded]
        if missing and permission is not Permission.PUBLIC:
            raise ValueError(f"{name}: no PathObject declared for {', '.join(missing)}")
        load = [by_param[p] for p in params if p in by_param]
        return route(path, view, name=name, permission=permission, methods=methods, load=load)

    return package_route


PrincipalLoader = Callable[[Session, Mapping[str, Any]], Principal | None]


def load_user(request: Request, db: Session) -> Principal | None:
    """The staff member signed in by the session cookie, through the composition's loader."""
    loader: PrincipalLoader | None = getattr(request.app.state, "load_principal", None)
    return None if loader is None else loader(db, request.session)


def _load_path_objects(ctx: Ctx, loads: Sequence[PathObject[Any]], scoped: bool) -> None:
    path = ctx.request.path_params
    for loader in loads:
        loader.load(ctx, path, scoped=scoped and ctx.user is not None)


def check_village_scope(ctx: Ctx, village: VillageRef) -> None:
    """Staff reach only villages their scope covers; anything else is a 403 saying so."""
    user = ctx.require_user()
    if not can_see_village(user, village.id, village.township_id):
        raise Forbidden(lazy("这个村不在您的管辖范围内。"))


def _declared_length(request: Request) -> int:
    try:
        return int(request.headers.get("content-length", "0"))
    except ValueError:
        return 0


def _limited(receive: Receive) -> Receive:
    """`receive`, counting body bytes: past MAX_REQUEST_BYTES it raises BodyTooLarge."""
    total = 0

    async def limited_receive() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > MAX_REQUEST_BYTES:
                raise BodyTooLarge
        return message

    return limited_receive


def _too_large(request: Request) -> Response:
    return render_error(
        request,
        413,
        lazy("提交的内容太大"),
        lazy("上传的文件不能超过 10 MB。请把文件拆成几个小文件，或删去多余的工作表后再上传。"),
    )


def _has_nul(request: Request, form: FormData | None) -> bool:
    """A NUL character anywhere the request carries text. PostgreSQL cannot store or
    even compare it, and no one types it: it comes from a bad copy or a crafted request."""
    texts: list[str] = [*request.query_params.keys(), *request.query_params.values()]
    texts += [v for v in request.path_params.values() if isinstance(v, str)]
    if form is not None:
        for key, value in form.multi_items():
            texts.append(key)
            if isinstance(value, str):
                texts.append(value)
    return any("\x00" in text for text in texts)


async def _read_form(request: Request) -> tuple[FormData | None, dict[str, UploadedFile]]:
    if request.method in SAFE_METHODS:
        return None, {}
    form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    files: dict[str, UploadedFile] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            if content or value.filename:
                files[key] = UploadedFile(value.filename or "", content, value.content_type or "")
    return form, files


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _as_get(request: Request) -> Request:
    """A HEAD request as the GET it asks about, with no body to read.

    Views branch on `method == "GET"`; a HEAD reaching them as HEAD would fall into
    their POST code (with no CSRF check, HEAD being safe). The request layer answers
    HEAD exactly as GET, once for every route; the body of the answer is dropped on
    the way out (app.main), and whatever body the request carried is never read.
    """
    return Request({**request.scope, "method": "GET"}, _no_body)


def _wrap(
    view: View,
    permission: Permission,
    loads: tuple[PathObject[Any], ...],
    on_loop: bool,
    too_large: View | None = None,
) -> Callable[[Request], Any]:
    async def refuse_large(request: Request) -> Response:
        if too_large is None:
            return _too_large(request)
        # Nothing of the body is used: no CSRF to check, and nothing is kept (keep=False).
        return await run_in_threadpool(
            _handle, request, too_large, permission, loads, None, {}, False
        )

    async def endpoint(request: Request) -> Response:
        # HEAD runs as GET, and what that GET wrote (an export's audit entry) is rolled
        # back: nothing was delivered, so nothing is recorded as done.
        head = request.method == "HEAD"
        if head:
            request = _as_get(request)
        if _declared_length(request) > MAX_REQUEST_BYTES:
            return await refuse_large(request)
        if request.method not in SAFE_METHODS:
            request = Request(request.scope, _limited(request.receive))
        try:
            form, files = await _read_form(request)
        except BodyTooLarge:
            return await refuse_large(request)
        if request.method not in SAFE_METHODS and not csrf_ok(request, form):
            return render_error(
                request,
                403,
                lazy("页面已过期"),
                lazy("为了安全，这个表单已失效。请返回上一页，刷新后再提交一次。"),
            )
        if _has_nul(request, form):
            return render_error(
                request,
                400,
                lazy("提交的内容有误"),
                lazy(
                    "内容里有一个无法保存的空字符，通常是从别的程序复制时带进来的。请重新输入这段文字后再提交。"
                ),
            )
        if on_loop and request.app.state.database.is_sqlite:
            return _handle(request, view, permission, loads, form, files, not head)
        # The whole unit of work runs in one worker thread: a session is not thread-safe.
        return await run_in_threadpool(
            _handle, request, view, permission, loads, form, files, not head
        )

    endpoint.__name__ = getattr(view, "__name__", "endpoint")
    endpoint.__doc__ = view.__doc__
    return endpoint


def _handle(
    request: Request,
    view: View,
    permission: Permission,
    loads: tuple[PathObject[Any], ...],
    form: FormData | None,
    files: dict[str, UploadedFile],
    keep: bool = True,
) -> Response:
    database: Database = request.app.state.database
    session = database.session(write=request.method not in SAFE_METHODS)
    try:
        user = load_user(request, session)
        if not allows(user, permission):
            session.rollback()
            if user is None:
                signin = request.url_for("accounts:signin").path
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"{signin}?next={target}", status_code=303)
            return render_error(
                request, 403, lazy("没有权限"), lazy("您的账号没有进行此操作的权限。"), user=user
            )
        ctx = Ctx(request=request, db=session, user=user, form=form, files=files)
        try:
            # Public pages (villagers' QR pages, published results) load what they name
            # but check no staff scope: anyone may open them.
            _load_path_objects(ctx, loads, scoped=permission is not Permission.PUBLIC)
            response = view(ctx)
        except DomainError as error:
            _fail(session, ctx)
            return render_error(
                request,
                error.status_code,
                error.title,
                error.render_message(),
                hint=error.hint,
                user=user,
            )
        if response.status_code < 400 and keep:
            session.commit()
        elif response.status_code < 400:
            session.rollback()
        else:
            _fail(session, ctx)
        return response
    except Busy as refused:
        # The write never began (app.db waited too long for its turn): nothing written.
        session.rollback()
        return render_error(request, refused.status_code, refused.title, refused.render_message())
    except OperationalError as error:
        session.rollback()
        if not _is_lock_timeout(error):
            raise
        # Another process held SQLite's write lock past busy_timeout: nothing was
        # written; say so and ask for a retry instead of showing a crash.
        busy = Busy()
        return render_error(request, busy.status_code, busy.title, busy.render_message())
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _is_lock_timeout(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text


def _fail(session: Session, ctx: Ctx) -> None:
    session.rollback()
    if ctx.on_failure:
        for task in ctx.on_failure:
            task(session)
        session.commit()


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation step says before an action that cannot be undone."""

    title: str
    happens: list[str]  # what pressing the button does, line by line
    final: str  # what cannot be undone afterwards
    button: str
    back: str  # where 返回 leads
    fields: dict[str, str] = field(default_factory=dict)  # posted along with the button


def drill_removal(title: str, removed: str, back: str) -> Confirmation:
    """The confirmation step before a drill (app.drill) is removed: `removed` says what
    of it goes, the rest is the same for every drill."""
    return Confirmation(
        title=gettext_("删除演练：%(title)s", title=title),
        happens=[
            removed,
            gettext_("它用的演练大会如果没有别的用处，连同二维码纸条一起删除。"),
            gettext_("审计日志里演练的记录保留，标着“演练”；删除这件事也记一笔。"),
        ],
        final=gettext_("删除以后不能恢复。"),
        button=gettext_("确认删除演练"),
        back=back,
    )


def confirm_page(ctx: Ctx, confirmation: Confirmation) -> Response:
    """The step between a button and an irreversible action: a GET of the action's own
    address shows this page, whose form POSTs to it (no script needed)."""
    return ctx.render(
        "partials/confirm.html", confirmation=confirmation, action=ctx.request.url.path
    )
