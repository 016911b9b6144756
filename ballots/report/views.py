"""The election report's pages: one election's report (page, A4 print, CSV, .xlsx, and
the organizer's facilities form), and the township's roll-up of a period."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.forms import FormResult
from app.i18n import gettext_
from app.permissions import Permission
from app.registry.models import Township
from app.registry.rules import today_in_china
from app.tables import ExportFormat, export_response, percent_text
from app.web import Ctx
from ballots.models import Election
from ballots.paths import ELECTION, route
from ballots.report import forms, services
from ballots.report import tables as report_tables
from ballots.setup.views import ELECTION_PAGE_LINKS

# --- one election ------------------------------------------------------------------------


def _facilities_form(report: services.ElectionReport) -> dict[str, str]:
    """What the form shows: the newest entry, else the ledger's suggestion, else blank."""
    if report.facilities is not None:
        entered = report.facilities
        values: tuple[int | None, ...] = (
            entered.ballot_boxes,
            entered.mobile_boxes,
            entered.booths,
        )
    else:
        guess = services.suggestion(report)
        values = (guess.ballot_boxes, guess.mobile_boxes, guess.booths)
    return {
        name: "" if value is None else str(value)
        for name, value in zip(forms.FACILITY_FIELDS, values, strict=True)
    }


def _report_context(
    ctx: Ctx,
    election: Election,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    report = services.election_report(ctx.db, election)
    return {
        "election": election,
        "report": report,
        "status": report_tables.status_text(report),
        "tables": report_tables.election_tables(report),
        "suggestion": services.suggestion(report),
        "form": form if form is not None else _facilities_form(report),
        "errors": errors or {},
        "labels": forms.facility_labels(),
        "pct": percent_text,
    }


def report_page(ctx: Ctx) -> Response:
    return ctx.render("ballots/report_election.html", **_report_context(ctx, ELECTION.of(ctx)))


def report_print(ctx: Ctx) -> Response:
    return ctx.render(
        "ballots/report_election_print.html", **_report_context(ctx, ELECTION.of(ctx))
    )


def _report_export(ctx: Ctx, fmt: ExportFormat) -> Response:
    election = ELECTION.of(ctx)
    report = services.election_report(ctx.db, election)
    name = gettext_(
        "%(village)s%(title)s选举情况报表", village=report.village.name, title=election.title
    )
    return export_response(report_tables.election_tables(report), fmt, name)


def report_csv(ctx: Ctx) -> Response:
    return _report_export(ctx, "csv")


def report_xlsx(ctx: Ctx) -> Response:
    return _report_export(ctx, "xlsx")


def facilities_post(ctx: Ctx) -> Response:
    election = ELECTION.of(ctx)
    result = forms.parse_facilities({name: ctx.field(name) for name in forms.FACILITY_FIELDS})
    if not result.ok:
        context = _report_context(ctx, election, form=result.raw, errors=result.errors)
        return ctx.render("ballots/report_election.html", 422, **context)
    made = services.enter_facilities(ctx.db, ctx.actor, election, result.values["facilities"])
    if made is None:
        ctx.flash(gettext_("票箱和写票处的数量没有改动。"))
    else:
        ctx.flash(gettext_("已保存票箱和写票处的数量。"))
    return ctx.redirect("ballots:report", election_id=election.id)


def _election_links(ctx: Ctx, election: Election) -> list[tuple[str, str]]:
    return [
        (gettext_("选举情况报表（报乡镇）"), ctx.url("ballots:report", election_id=election.id))
    ]


ELECTION_PAGE_LINKS.append(_election_links)


# --- the township ----------------------------------------------------------------------


def _township(ctx: Ctx) -> tuple[services.TownshipReport | None, Township, FormResult]:
    user = ctx.require_user()
    period = forms.parse_period(
        ctx.request.query_params.get("from"), ctx.request.query_params.get("to"), today_in_china()
    )
    township = ctx.db.get(Township, user.township_id)
    assert township is not None  # every account belongs to a township
    if not period.ok:
        return None, township, period
    only = None if user.village_id is None else [user.village_id]
    found = services.township_report(ctx.db, township.id, period.values["period"], only)
    return found, township, period


def _township_page(ctx: Ctx, template: str) -> Response:
    found, township, period = _township(ctx)
    return ctx.render(
        template,
        200 if found is not None else 422,
        township=township,
        rollup=found,
        tables=report_tables.township_tables(found) if found is not None else [],
        form=period.raw,
        errors=period.errors,
        status_text=report_tables.status_text,
    )


def township_page(ctx: Ctx) -> Response:
    return _township_page(ctx, "ballots/report_township.html")


def township_print(ctx: Ctx) -> Response:
    return _township_page(ctx, "ballots/report_township_print.html")


def _township_export(ctx: Ctx, fmt: ExportFormat) -> Response:
    found, township, _period = _township(ctx)
    if found is None:
        return _township_page(ctx, "ballots/report_township.html")
    name = gettext_(
        "%(township)s选举情况汇总（%(first)s至%(last)s）",
        township=township.name,
        first=found.period.first.isoformat(),
        last=found.period.last.isoformat(),
    )
    return export_response(report_tables.township_tables(found), fmt, name)


def township_csv(ctx: Ctx) -> Response:
    return _township_export(ctx, "csv")


def township_xlsx(ctx: Ctx) -> Response:
    return _township_export(ctx, "xlsx")


_REPORT = "/elections/{election_id:int}/report"
_READ = Permission.ELECTION_READ
_TOWNSHIP = "/election-report"
# The roll-up is a township report beside the assessment: who reads that reads this.
_TOWNSHIP_READ = Permission.ASSESSMENT_READ

routes: list[BaseRoute] = [
    route(_REPORT, report_page, name="ballots:report", permission=_READ),
    route(f"{_REPORT}/print", report_print, name="ballots:report_print", permission=_READ),
    route(f"{_REPORT}/csv", report_csv, name="ballots:report_csv", permission=_READ),
    route(f"{_REPORT}/xlsx", report_xlsx, name="ballots:report_xlsx", permission=_READ),
    route(
        f"{_REPORT}/facilities",
        facilities_post,
        name="ballots:report_facilities",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(_TOWNSHIP, township_page, name="ballots:township_report", permission=_TOWNSHIP_READ),
    route(
        f"{_TOWNSHIP}/print",
        township_print,
        name="ballots:township_report_print",
        permission=_TOWNSHIP_READ,
    ),
    route(
        f"{_TOWNSHIP}/csv",
        township_csv,
        name="ballots:township_report_csv",
        permission=_TOWNSHIP_READ,
    ),
    route(
        f"{_TOWNSHIP}/xlsx",
        township_xlsx,
        name="ballots:township_report_xlsx",
        permission=_TOWNSHIP_READ,
    ),
]
