"""Assessment pages: the village report, the township overview, the township's settings.

Every page has a printable A4 version and CSV and .xlsx exports of the same tables.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, NoMatchFound

import assessment.audit_labels  # noqa: F401  (the audit log's names for this package's actions)
from app.accounts.services import staff_member
from app.i18n import gettext_
from app.permissions import Permission, allows
from app.registry.paths import VILLAGE
from app.registry.rules import today_in_china
from app.tables import ExportFormat, export_response, percent_text
from app.web import Ctx
from assessment import forms, report, services
from assessment.exceptions import BadYear
from assessment.participation import Evidence
from assessment.paths import route
from assessment.ranking import TownshipOverview
from assessment.results import STATUS_LABELS
from assessment.standards import STANDARDS

YEARS_BACK = 5


def _year(ctx: Ctx) -> int:
    year = forms.parse_year(ctx.request.query_params.get("year"), today_in_china().year)
    if year is None:
        raise BadYear(forms.year_problem())
    return year


def _year_options(year: int) -> list[int]:
    current = today_in_china().year
    return sorted({*range(current - YEARS_BACK, current + 1), year}, reverse=True)


def _links(ctx: Ctx, evidence: list[Evidence]) -> list[dict[str, str]]:
    """Evidence as links; a record whose page is not there (yet) is named without a link."""
    links = []
    for item in evidence:
        try:
            href = ctx.url(item.route, **item.params)
        except NoMatchFound:
            href = ""
        links.append({"label": item.label, "href": href})
    return links


# --- one village -----------------------------------------------------------------------


def _village_context(ctx: Ctx) -> dict[str, Any]:
    village = VILLAGE.of(ctx)
    year = _year(ctx)
    assessment = services.village_assessment(ctx.db, village.id, year)
    table = report.standards_table(assessment)
    return {
        "village": village,
        "year": year,
        "years": _year_options(year),
        "assessment": assessment,
        "standards_table_data": table,
        "standard_rows": list(zip(table.display_rows(), assessment.standards, strict=True)),
        "pct": percent_text,
        "evidence": {r.code: _links(ctx, r.evidence) for r in assessment.standards},
        "figure_evidence": {f.code: _links(ctx, f.evidence) for f in assessment.participation},
        "chart": report.village_chart(assessment),
        "status_labels": {k: str(v) for k, v in STATUS_LABELS.items()},
        "threshold_text": report.threshold_text,
    }


def village_page(ctx: Ctx) -> Response:
    return ctx.render("assessment/village.html", **_village_context(ctx))


def village_print(ctx: Ctx) -> Response:
    return ctx.render("assessment/village_print.html", **_village_context(ctx))


def _village_export(ctx: Ctx, fmt: ExportFormat) -> Response:
    village = VILLAGE.of(ctx)
    year = _year(ctx)
    assessment = services.village_assessment(ctx.db, village.id, year)
    name = gettext_("%(village)s%(year)s年考核", village=village.name, year=year)
    return export_response(report.village_tables(assessment), fmt, name)


def village_csv(ctx: Ctx) -> Response:
    return _village_export(ctx, "csv")


def village_xlsx(ctx: Ctx) -> Response:
    return _village_export(ctx, "xlsx")


# --- the township ----------------------------------------------------------------------


def _overview(ctx: Ctx, year: int) -> TownshipOverview:
    user = ctx.require_user()
    only = None if user.village_id is None else [user.village_id]
    return services.township_overview(ctx.db, user.township_id, year, only)


def _overview_context(ctx: Ctx) -> dict[str, Any]:
    year = _year(ctx)
    overview = _overview(ctx, year)
    return {
        "year": year,
        "years": _year_options(year),
        "overview": overview,
        "pass_counts": report.pass_counts_table(overview),
        "village_counts": report.village_counts_table(overview),
        "rankings": [(r, report.ranking_table(r)) for r in overview.standards],
        "trends": [
            (t, report.trend_table(t), report.trend_chart(t)) for t in overview.trends if t.years
        ],
    }


def overview_page(ctx: Ctx) -> Response:
    return ctx.render("assessment/overview.html", **_overview_context(ctx))


def overview_print(ctx: Ctx) -> Response:
    return ctx.render("assessment/overview_print.html", **_overview_context(ctx))


def _overview_export(ctx: Ctx, fmt: ExportFormat) -> Response:
    year = _year(ctx)
    overview = _overview(ctx, year)
    name = gettext_("%(township)s%(year)s年考核总览", township=overview.township.name, year=year)
    return export_response(report.overview_tables(overview), fmt, name)


def overview_csv(ctx: Ctx) -> Response:
    return _overview_export(ctx, "csv")


def overview_xlsx(ctx: Ctx) -> Response:
    return _overview_export(ctx, "xlsx")


# --- settings --------------------------------------------------------------------------


def _settings_page(
    ctx: Ctx,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    user = staff_member(ctx.db, ctx.require_user())
    current = services.township_settings(ctx.db, user.township_id)
    if form is None:
        form = {}
        for code, setting in current.items():
            form[forms.applies_field(code)] = "1" if setting.applies else ""
            threshold = setting.threshold_percent
            form[forms.threshold_field(code)] = "" if threshold is None else str(threshold)
    return ctx.render(
        "assessment/settings.html",
        status_code,
        township=user.township,
        standards=STANDARDS,
        settings=current,
        form=form,
        errors=errors or {},
        may_change=allows(user, Permission.ASSESSMENT_MANAGE),
        applies_field=forms.applies_field,
        threshold_field=forms.threshold_field,
    )


def settings_page(ctx: Ctx) -> Response:
    return _settings_page(ctx)


def settings_post(ctx: Ctx) -> Response:
    user = staff_member(ctx.db, ctx.require_user())
    fields = {
        forms.threshold_field(s.code): ctx.field(forms.threshold_field(s.code)) for s in STANDARDS
    }
    checked = {
        forms.applies_field(s.code) for s in STANDARDS if ctx.field(forms.applies_field(s.code))
    }
    result = forms.parse_settings(fields, checked)
    if not result.ok:
        return _settings_page(ctx, status_code=422, form=result.raw, errors=result.errors)
    changed = services.change_settings(
        ctx.db, ctx.actor, user, user.township_id, result.values["settings"]
    )
    if changed:
        ctx.flash(gettext_("考核设置已保存，改动了 %(n)s 项。", n=len(changed)))
    else:
        ctx.flash(gettext_("没有改动。"))
    return ctx.redirect("assessment:settings")


_VILLAGE = "/villages/{village_id:int}/assessment"
_READ = Permission.ASSESSMENT_READ

routes: list[BaseRoute] = [
    route(_VILLAGE, village_page, name="assessment:village", permission=_READ),
    route(f"{_VILLAGE}/print", village_print, name="assessment:village_print", permission=_READ),
    route(f"{_VILLAGE}/csv", village_csv, name="assessment:village_csv", permission=_READ),
    route(f"{_VILLAGE}/xlsx", village_xlsx, name="assessment:village_xlsx", permission=_READ),
    route("/assessment", overview_page, name="assessment:overview", permission=_READ),
    route("/assessment/print", overview_print, name="assessment:overview_print", permission=_READ),
    route("/assessment/csv", overview_csv, name="assessment:overview_csv", permission=_READ),
    route("/assessment/xlsx", overview_xlsx, name="assessment:overview_xlsx", permission=_READ),
    route("/assessment/settings", settings_page, name="assessment:settings", permission=_READ),
    route(
        "/assessment/settings",
        settings_post,
        name="assessment:settings_save",
        permission=Permission.ASSESSMENT_MANAGE,
        methods=["POST"],
    ),
]

__all__ = ["routes"]
