"""Compact pages for staff: the village's compacts, a compact's history, the draft
editor, saving a version, a version's text, and comparing two versions."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func, select
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.errors import InvalidInput
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Household, Village
from app.registry.paths import VILLAGE
from app.web import Ctx
from compacts.exceptions import CompactStateError
from compacts.models import Compact, Version
from compacts.paths import SHOWN_COMPACT, SHOWN_VERSION, versions_route
from compacts.text import parse, render_structure
from compacts.versions import diff, forms, history, services, word

WORD_FIELD = "word_file"
READ = Permission.COMPACT_READ
MANAGE = Permission.COMPACT_MANAGE
KIND_LABELS = {
    diff.ChangeKind.UNCHANGED: lazy("未改动"),
    diff.ChangeKind.RENUMBERED: lazy("仅条号变了"),
    diff.ChangeKind.MOVED: lazy("移动了位置"),
    diff.ChangeKind.PUNCTUATION: lazy("只改了标点"),
    diff.ChangeKind.REWORDED: lazy("改了文字"),
    diff.ChangeKind.SPLIT: lazy("一条拆成两条"),
    diff.ChangeKind.MERGED: lazy("两条合成一条"),
    diff.ChangeKind.ADDED: lazy("新增"),
    diff.ChangeKind.REMOVED: lazy("删除"),
}


def _village(ctx: Ctx, compact: Compact) -> Village:
    village = ctx.db.get(Village, compact.village_id)
    assert village is not None  # the request layer checked the scope
    return village


def compact_list(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    compacts = services.village_compacts(ctx.db, village.id)
    latest = {c.id: services.latest_version(ctx.db, c) for c in compacts}
    return ctx.render(
        "compacts/compact_list.html", village=village, compacts=compacts, latest=latest
    )


def compact_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    if ctx.request.method == "GET":
        return ctx.render("compacts/compact_new.html", village=village, form=None, errors={})
    result = forms.parse_new_compact(ctx.field("title"), ctx.field("start"))
    if not result.ok:
        return ctx.render(
            "compacts/compact_new.html", 422, village=village, form=result.raw, errors=result.errors
        )
    compact = services.create_compact(
        ctx.db,
        ctx.actor,
        village,
        result.values["title"],
        from_model=result.values["from_model"],
    )
    ctx.flash(gettext_("公约已建立，请修改草稿。"))
    return ctx.redirect("compacts:draft", compact_id=compact.id)


def compact_page(ctx: Ctx) -> Response:
    compact = SHOWN_COMPACT.of(ctx)
    return ctx.render(
        "compacts/compact_page.html",
        compact=compact,
        village=_village(ctx, compact),
        histories=history.compact_history(ctx.db, compact),
        answering=services.answering_version_ids(ctx.db, compact),
        household_count=_household_count(ctx, compact.village_id),
    )


def _household_count(ctx: Ctx, village_id: int) -> int:
    stmt = select(func.count(Household.id)).where(Household.village_id == village_id)
    return int(ctx.db.scalar(stmt) or 0)


def _draft_page(ctx: Ctx, compact: Compact, status: int = 200, **extra: object) -> Response:
    draft = services.draft_of(ctx.db, compact)
    orders = services.open_correction_orders(ctx.db, compact)
    context: dict[str, object] = {
        "compact": compact,
        "village": _village(ctx, compact),
        "draft": draft,
        "preview": render_structure(parse(draft.source)),
        "article_count": len(parse(draft.source).articles),
        "latest": services.latest_version(ctx.db, compact),
        "orders": orders,
        "orders_options": [
            (
                f.id,
                gettext_(
                    "%(at)s 的改正通知：%(text)s",
                    at=f.submitted_at.date().isoformat(),
                    text=f.order_text[:40],
                ),
            )
            for f in orders
        ],
        "form": {"source": draft.source},
        # With an order open, the new version answers it unless the organizer says not.
        "freeze_form": {"answers_filing_id": str(orders[-1].id)} if orders else None,
        "errors": {},
        "freeze_errors": {},
        "import_errors": {},
        "imported": None,
        "max_word_mb": word.MAX_DOCX_BYTES // (1024 * 1024),
    }
    context.update(extra)
    return ctx.render("compacts/compact_draft.html", status, **context)


def draft(ctx: Ctx) -> Response:
    compact = SHOWN_COMPACT.of(ctx)
    if ctx.request.method == "GET":
        return _draft_page(ctx, compact)
    # The source is taken as typed (not stripped per field): indentation is harmless.
    result = forms.parse_draft(ctx.secret_field("source"))
    if not result.ok:
        return _draft_page(ctx, compact, 422, form=result.raw, errors=result.errors)
    services.save_draft(ctx.db, ctx.actor, compact, result.values["source"])
    ctx.flash(gettext_("草稿已保存。"))
    return ctx.redirect("compacts:draft", compact_id=compact.id)


def _basename(filename: str) -> str:
    # Some browsers send the whole path of the file on the organizer's computer.
    return filename.replace("\\", "/").rsplit("/", 1)[-1].strip()


def draft_import(ctx: Ctx) -> Response:
    """Read a Word file into the editor for review; nothing is saved until the organizer
    saves the draft (a refused file answers 422, so nothing at all is written)."""
    compact = SHOWN_COMPACT.of(ctx)
    upload = ctx.files.get(WORD_FIELD)
    try:
        imported = word.read_docx(upload.content if upload is not None else b"")
    except word.WordFileError as error:
        errors = {WORD_FIELD: error.render_message()}
        return _draft_page(ctx, compact, 422, import_errors=errors)
    saved = parse(services.draft_of(ctx.db, compact).source)
    return _draft_page(
        ctx,
        compact,
        form={"source": imported.source},
        preview=render_structure(imported.structure),
        article_count=len(imported.structure.articles),
        imported=imported,
        imported_name=_basename(upload.filename) if upload is not None else "",
        replaced_articles=len(saved.articles) if saved.articles or saved.preamble else None,
    )


def freeze(ctx: Ctx) -> Response:
    compact = SHOWN_COMPACT.of(ctx)
    orders = {f.id for f in services.open_correction_orders(ctx.db, compact)}
    result = forms.parse_freeze(ctx.field("change_note"), ctx.field("answers_filing_id"), orders)
    if result.ok:
        try:
            version = services.freeze_version(
                ctx.db,
                ctx.actor,
                compact,
                result.values["change_note"],
                result.values["answers_filing_id"],
            )
        except InvalidInput as error:
            result.errors.update(error.errors)
        except CompactStateError as refused:  # beside the form, with the note kept
            result.error("__all__", refused.render_message())
    if not result.ok:
        return _draft_page(ctx, compact, 422, freeze_form=result.raw, freeze_errors=result.errors)
    ctx.flash(gettext_("已保存为第 %(n)s 版，这一版的文字以后不能再改。", n=version.number))
    return ctx.redirect("compacts:version", version_id=version.id)


def _version_of(ctx: Ctx) -> tuple[Compact, Version]:
    version = SHOWN_VERSION.of(ctx)
    return services.compact_in(ctx.db, version.compact_id), version


def version_page(ctx: Ctx) -> Response:
    compact, version = _version_of(ctx)
    versions = services.versions_of(ctx.db, compact)
    return ctx.render(
        "compacts/version_page.html",
        compact=compact,
        version=version,
        versions=versions,
        text=render_structure(services.structure_of(version)),
        history=history.version_history(ctx.db, version),
    )


def version_docx(ctx: Ctx) -> Response:
    """The version as a Word file, named after the compact and the version."""
    compact, version = _version_of(ctx)
    footer = gettext_(
        "《%(title)s》第 %(n)s 版 · 文本校验码 %(sha)s",
        title=compact.title,
        n=version.number,
        sha=version.sha256[:16],
    )
    content = word.write_docx(compact.title, services.structure_of(version), footer)
    filename = gettext_("%(title)s（第%(n)s版）.docx", title=compact.title, n=version.number)
    # Header values must be ASCII; the Chinese name travels in filename* (RFC 5987).
    fallback = f"compact-{compact.id}-v{version.number}.docx"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        content,
        media_type=word.DOCX_MEDIA_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def compare(ctx: Ctx) -> Response:
    compact = SHOWN_COMPACT.of(ctx)
    versions = services.versions_of(ctx.db, compact)
    by_number = {v.number: v for v in versions}
    query = ctx.request.query_params
    default_new = versions[-1].number if versions else 0
    default_old = versions[-2].number if len(versions) > 1 else default_new
    result = forms.parse_compare(
        query.get("old", str(default_old)).strip(),
        query.get("new", str(default_new)).strip(),
        set(by_number),
    )
    changes: list[diff.ArticleChange] = []
    if result.ok:
        old, new = by_number[result.values["old"]], by_number[result.values["new"]]
        changes = diff.compare(services.structure_of(old), services.structure_of(new))
    return ctx.render(
        "compacts/version_compare.html",
        200 if result.ok or not versions else 422,
        compact=compact,
        versions=versions,
        form=result.raw,
        errors=result.errors if versions else {},
        version_options=[(v.number, gettext_("第 %(n)s 版", n=v.number)) for v in versions],
        changes=[c for c in changes if c.kind is not diff.ChangeKind.UNCHANGED],
        unchanged=sum(1 for c in changes if c.kind is diff.ChangeKind.UNCHANGED),
        kind_labels=KIND_LABELS,
        render_marks=diff.render_marks,
    )


COMPACT = "/compacts/{compact_id:int}"
routes: list[BaseRoute] = [
    versions_route(
        "/villages/{village_id:int}/compacts", compact_list, name="compacts:list", permission=READ
    ),
    versions_route(
        "/villages/{village_id:int}/compacts/new",
        compact_new,
        name="compacts:new",
        permission=MANAGE,
        methods=["GET", "POST"],
    ),
    versions_route(COMPACT, compact_page, name="compacts:compact", permission=READ),
    versions_route(
        COMPACT + "/draft", draft, name="compacts:draft", permission=MANAGE, methods=["GET", "POST"]
    ),
    versions_route(
        COMPACT + "/draft/import",
        draft_import,
        name="compacts:draft_import",
        permission=MANAGE,
        methods=["POST"],
    ),
    versions_route(
        COMPACT + "/versions", freeze, name="compacts:freeze", permission=MANAGE, methods=["POST"]
    ),
    versions_route(COMPACT + "/compare", compare, name="compacts:compare", permission=READ),
    versions_route(
        "/compacts/versions/{version_id:int}",
        version_page,
        name="compacts:version",
        permission=READ,
    ),
    versions_route(
        "/compacts/versions/{version_id:int}/docx",
        version_docx,
        name="compacts:version_docx",
        permission=READ,
    ),
]
