"""Jinja2 set-up: autoescape, translations, `url_for`, and the shared page context."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from app.csrf import CSRF_FIELD, csrf_token
from app.i18n import (
    LANGUAGE_NAMES,
    LazyText,
    current_locale,
    gettext_,
    html_lang,
    jinja_callables,
    join_list,
)
from app.permissions import Permission, Principal, allows
from app.settings import TEMPLATES_DIR

# Villages run on China Standard Time; times are stored in UTC and shown in CST.
CHINA_TIME = timezone(timedelta(hours=8), "CST")


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TIME).strftime(fmt)


def iso_minutes(value: datetime) -> str:
    """China Standard Time, to the minute, as ISO 8601: the time as the village knew it
    (for audit entries and exports). A naive value is taken as UTC, as the database keeps it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TIME).isoformat(timespec="minutes")


def written_date(value: date | datetime | None) -> str:
    """A date as a signed or posted document writes it (2026年5月1日); a time is taken
    on China time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(CHINA_TIME)
    return gettext_(
        "%(year)s年%(month)s月%(day)s日", year=value.year, month=value.month, day=value.day
    )


def build_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    callables = jinja_callables()
    env.install_gettext_callables(  # type: ignore[attr-defined]
        callables["gettext"], callables["ngettext"], newstyle=True
    )
    env.filters["local_time"] = _local_time
    env.filters["written_date"] = written_date
    env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    # Names joined the way the page's language does (Chinese 、, English comma).
    env.filters["names"] = join_list
    env.globals["Permission"] = Permission
    return env


_templates: Jinja2Templates | None = None


def path_for(request: Request, name: str, /, **path_params: Any) -> str:
    """The path of a named route: `request.url_for(...).path` without building and
    parsing the absolute URL on the way (every link on every page comes through here)."""
    route_path = request.scope["router"].url_path_for(name, **path_params)
    return request.base_url.path.rstrip("/") + str(route_path)


@jinja2.pass_context
def _url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    """Paths, not absolute URLs: correct behind any reverse proxy and host name."""
    return path_for(context["request"], name, **path_params)


def templates() -> Jinja2Templates:
    global _templates
    if _templates is None:
        _templates = Jinja2Templates(env=build_environment())
        _templates.env.globals["url_for"] = _url_for
    return _templates


def _page_context(request: Request, user: Principal | None) -> dict[str, Any]:
    # The 500 page may be drawn for a request that failed before it had a session.
    has_session = "session" in request.scope
    token = csrf_token(request) if has_session else ""
    locale = current_locale()
    flashes = request.session.pop("flash", []) if has_session else []
    return {
        "user": user,
        "can": lambda permission: allows(user, permission),
        "csrf_token": token,
        "csrf_field": Markup('<input type="hidden" name="%s" value="%s">') % (CSRF_FIELD, token),
        "locale": locale,
        "html_lang": html_lang(locale),
        "flashes": flashes,
        "current_path": request.url.path,
        # A drill's page (app.drill, set by the request layer): the 演练 banner.
        "drill": getattr(request.state, "drill", None),
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    user: Principal | None = None,
) -> Response:
    full = _page_context(request, user)
    full.update(context)
    return templates().TemplateResponse(request, template, full, status_code=status_code)


def render_error(
    request: Request,
    status_code: int,
    title: LazyText | str,
    message: LazyText | str,
    *,
    hint: LazyText | str | None = None,
    user: Principal | None = None,
) -> Response:
    return render(
        request,
        "errors/error.html",
        {
            "status_code": status_code,
            "title": str(title),
            "message": str(message),
            "hint": str(hint) if hint else "",
        },
        status_code=status_code,
        user=user,
    )


def t(message: str, **variables: Any) -> str:
    return gettext_(message, **variables)
