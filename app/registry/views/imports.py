"""Roll import (CSV/.xlsx with preview and confirmation) and export pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.i18n import gettext_
from app.permissions import Permission
from app.registry.labels import GROUP_KIND_LABELS, SEX_LABELS
from app.registry.models import RollImport, Village
from app.registry.paths import IMPORT, VILLAGE, route
from app.registry.roll import export as roll_export
from app.registry.roll import importing as roll_import
from app.registry.roll.format import COLUMN_LABELS, COLUMNS
from app.registry.roll.importing import ImportNoLongerValid
from app.registry.roll.read import MAX_BYTES, MAX_ROWS
from app.web import Ctx

FILE_FIELD = "roll_file"
# A file wrong in every row would make a page of tens of thousands of lines; the first
# ones show what to fix, and the count says how many there are.
MAX_PROBLEMS_SHOWN = 1000


def _upload_page(ctx: Ctx, village: Village, status: int = 200, **context: Any) -> Response:
    context.setdefault("problems", [])
    context.setdefault("warnings", [])
    context.setdefault("filename", "")
    context.setdefault("errors", {})
    return ctx.render(
        "registry/import.html",
        status,
        village=village,
        columns=COLUMNS,
        max_mb=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
        max_problems=MAX_PROBLEMS_SHOWN,
        **context,
    )


def _basename(filename: str) -> str:
    # Some browsers send the whole path of the file on the organizer's computer.
    return filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "roll"


def import_roll(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    if ctx.request.method == "GET":
        return _upload_page(ctx, village)
    upload = ctx.files.get(FILE_FIELD)
    if upload is None or not upload.content:
        message = gettext_("请先选择要导入的名单文件（CSV 或 Excel .xlsx）。")
        return _upload_page(ctx, village, 422, errors={FILE_FIELD: message})
    filename = _basename(upload.filename)
    analysis = roll_import.analyse(ctx.db, village.id, filename, upload.content)
    if not analysis.ok:
        # 422: the request layer rolls back, so nothing at all is written.
        return _upload_page(
            ctx,
            village,
            422,
            problems=analysis.problems,
            warnings=analysis.warnings,
            filename=filename,
        )
    user = ctx.require_user()
    stored = roll_import.store_upload(ctx.db, ctx.actor, village, user.id, filename, upload.content)
    return ctx.redirect("registry:import_preview", village_id=village.id, import_id=stored.id)


def _preview_page(
    ctx: Ctx,
    village: Village,
    stored: RollImport,
    analysis: roll_import.Analysis | None,
    status: int = 200,
    **context: Any,
) -> Response:
    context.setdefault("changed_since", False)
    return ctx.render(
        "registry/import_preview.html",
        status,
        village=village,
        roll_import=stored,
        analysis=analysis,
        diff=analysis.diff if analysis else None,
        labels=COLUMN_LABELS,
        kind_labels=GROUP_KIND_LABELS,
        sex_labels=SEX_LABELS,
        same_before=roll_import.same_file_applied_before(ctx.db, stored),
        max_problems=MAX_PROBLEMS_SHOWN,
        **context,
    )


def import_preview(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    stored = IMPORT.of(ctx)
    if stored.applied_at is not None:
        return _preview_page(ctx, village, stored, None)
    # Compared with the village as it is now, every time the page is shown.
    analysis = roll_import.analyse(ctx.db, village.id, stored.filename, stored.content)
    return _preview_page(ctx, village, stored, analysis)


def import_apply(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    stored = IMPORT.of(ctx)
    try:
        analysis = roll_import.apply_import(ctx.db, ctx.actor, village, stored)
    except ImportNoLongerValid as error:
        # 409 rolls the claim back: the import can be applied once it is fixed.
        return _preview_page(ctx, village, stored, error.analysis, 409, changed_since=True)
    diff = analysis.diff
    assert diff is not None
    ctx.flash(
        gettext_(
            "名单已导入：新增 %(added)s 人，修改 %(changed)s 人，%(unchanged)s 人没有变化。",
            added=len(diff.added),
            changed=len(diff.changed),
            unchanged=len(diff.unchanged),
        )
    )
    return ctx.redirect("registry:people", village_id=village.id)


def _download(ctx: Ctx, file_format: roll_export.ExportFormat) -> Response:
    village = VILLAGE.of(ctx)
    exported = roll_export.export_roll(ctx.db, ctx.actor, village, file_format)
    # Header values must be ASCII; the Chinese name travels in filename*.
    fallback = re.sub(r"[^A-Za-z0-9_-]", "_", f"roll-{village.code}") + f".{file_format}"
    disposition = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(exported.filename)}"
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        # Personal data: not to be kept by shared caches or the browser.
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def export_csv(ctx: Ctx) -> Response:
    return _download(ctx, "csv")


def export_xlsx(ctx: Ctx) -> Response:
    return _download(ctx, "xlsx")


routes: list[BaseRoute] = [
    route(
        "/villages/{village_id:int}/import",
        import_roll,
        name="registry:import",
        permission=Permission.REGISTRY_WRITE,
        methods=["GET", "POST"],
    ),
    route(
        "/villages/{village_id:int}/import/{import_id:int}",
        import_preview,
        name="registry:import_preview",
        permission=Permission.REGISTRY_WRITE,
    ),
    route(
        "/villages/{village_id:int}/import/{import_id:int}/apply",
        import_apply,
        name="registry:import_apply",
        permission=Permission.REGISTRY_WRITE,
        methods=["POST"],
    ),
    route(
        "/villages/{village_id:int}/export.csv",
        export_csv,
        name="registry:export_csv",
        permission=Permission.REGISTRY_READ,
    ),
    route(
        "/villages/{village_id:int}/export.xlsx",
        export_xlsx,
        name="registry:export_xlsx",
        permission=Permission.REGISTRY_READ,
    ),
]
