"""What the API answers, as plain JSON-ready dicts (the shapes app.api.openapi describes).

Shares are exact fractions until here; they leave as {"value": 0.85, "numerator": 17,
"denominator": 20}: `value` is the share between 0 and 1 rounded to 4 decimals, or
null when the denominator is 0 ("no data" — never 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from app.registry.models import Village
from assessment.participation import Evidence
from assessment.ranking import TownshipOverview
from assessment.results import VillageAssessment
from ballots.models import Election
from ballots.results import services as results
from ballots.setup.stages import roll_size
from meetings import presence as meeting_presence
from meetings.models import Meeting

UrlFor = Callable[[str, dict[str, int]], str | None]


def share(value: Fraction | None) -> float | None:
    return None if value is None else float(round(value, 4))


def ratio(numerator: int, denominator: int) -> dict[str, Any]:
    value = Fraction(numerator, denominator) if denominator else None
    return {"value": share(value), "numerator": numerator, "denominator": denominator}


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def village_ref(village: Village) -> dict[str, Any]:
    return {"id": village.id, "name": village.name, "code": village.code}


# --- elections ---------------------------------------------------------------------------


def election_results(session: Session, election: Election, village: Village) -> dict[str, Any]:
    """Every round with its latest published outcome (announced, certified or annulled)."""
    # The roll without struck entries: the denominator of turnout, as the count uses.
    registered = roll_size(session, election)
    rounds = []
    for round_ in election.rounds:
        outcome = results.latest_outcome(session, round_)
        result: dict[str, Any] | None = None
        if outcome is not None:
            data = results.result_of(outcome)
            elected = [str(name) for name in data.get("elected", [])]
            counts: dict[str, int] = data.get("counts", {})
            voted = results.credential_uses(session, round_)
            result = {
                "outcome": outcome.kind,
                "recorded_at": _iso(outcome.at),
                "annulled_reason": outcome.reason if outcome.kind == results.ANNULLED else None,
                "valid": bool(data.get("valid", False)),
                "void_reasons": [str(r) for r in data.get("void_reasons", [])],
                "void_reasons_text": results.describe_void(data.get("void_reasons", [])),
                "candidates": [
                    {"name": name, "votes": int(votes), "elected": name in elected}
                    for name, votes in counts.items()
                ],
                "elected": elected,
                "unfilled": int(data.get("unfilled", 0)),
                "tie": [str(name) for name in data.get("tie", [])],
                "turnout": {
                    "registered": registered,
                    "voted": voted,
                    "ballots_cast": int(data.get("ballots_cast", 0)),
                    "invalid_ballots": int(data.get("invalid_ballots", 0)),
                    "blank_ballots": int(data.get("blank_ballots", 0)),
                    "share": ratio(voted, registered),
                    "members": round_.members,
                    "present": round_.present,
                },
                "export_sha256": outcome.sha256,
            }
        rounds.append(
            {
                "number": round_.number,
                "kind": round_.kind.value,
                "status": round_.status.value,
                "seats": round_.seats,
                "result": result,
            }
        )
    return {
        "election": {
            "id": election.id,
            "title": election.title,
            "office": election.office.value,
            "office_label": election.office_label,
            "seats": election.seats,
            "election_day": election.election_day.isoformat(),
            "stage": election.stage.value,
            "village": village_ref(village),
        },
        "rounds": rounds,
    }


# --- meetings ----------------------------------------------------------------------------


def meeting_attendance(session: Session, meeting: Meeting, village: Village) -> dict[str, Any]:
    state = meeting_presence.quorum_figures(session, meeting)
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "kind": meeting.kind.value,
            "status": meeting.status.value,
            "starts_at": _iso(meeting.starts_at),
            "ends_at": _iso(meeting.ends_at),
            "village": village_ref(village),
        },
        "eligible": state.eligible,
        "present": state.present,
        "share": ratio(state.present, state.eligible),
        "households": state.households,
        "households_present": state.households_present,
        "quorum": {"rule": state.rule, "met": state.holds, "reason": state.reason},
    }


# --- assessment --------------------------------------------------------------------------


def _evidence(items: Sequence[Evidence], url_for: UrlFor) -> list[dict[str, Any]]:
    found = []
    for item in items:
        url = url_for(item.route, dict(item.params))
        found.append({"label": str(item.label), "url": url})
    return found


def village_assessment(assessment: VillageAssessment, url_for: UrlFor) -> dict[str, Any]:
    """assessment.results.VillageAssessment as JSON."""
    standards = []
    for result in assessment.standards:
        standards.append(
            {
                "code": result.code,
                "title": str(result.title),
                "definition": str(result.definition),
                **ratio(result.numerator, result.denominator),
                "threshold_percent": result.threshold_percent,
                "applies": result.applies,
                "passed": result.passed,
                "status": result.status,
                "sample": result.sample,
                "respondents": result.respondents,
                "evidence": _evidence(result.evidence, url_for),
            }
        )
    participation = [
        {
            "code": figure.code,
            "title": str(figure.title),
            "definition": str(figure.definition),
            **ratio(figure.overall.numerator, figure.overall.denominator),
            "evidence": _evidence(figure.evidence, url_for),
        }
        for figure in assessment.participation
    ]
    return {
        "village": village_ref(assessment.village),
        "year": assessment.year,
        "standards": standards,
        "participation": participation,
    }


def township_overview(overview: TownshipOverview) -> dict[str, Any]:
    """assessment.ranking.TownshipOverview as JSON."""
    standards = []
    for ranking in overview.standards:
        standards.append(
            {
                "code": ranking.code,
                "title": str(ranking.title),
                "definition": str(ranking.definition),
                "threshold_percent": ranking.threshold_percent,
                "applies": ranking.applies,
                "township_value": share(ranking.township_value),
                "passed": ranking.passed,
                "failed": ranking.failed,
                "no_data": ranking.no_data,
                "ranking": [
                    {
                        "rank": row.rank,
                        "village": village_ref(row.village),
                        **ratio(row.result.numerator, row.result.denominator),
                        "status": row.result.status,
                    }
                    for row in ranking.rows
                ],
            }
        )
    return {
        "township": {"id": overview.township.id, "name": overview.township.name},
        "year": overview.year,
        "villages": [village_ref(v) for v in overview.villages],
        "standards": standards,
        "counts": [
            {
                "village": village_ref(count.village),
                "passed": count.passed,
                "failed": count.failed,
                "no_data": count.no_data,
            }
            for count in overview.counts
        ],
        "trends": [
            {
                "code": trend.code,
                "title": str(trend.title),
                "years": list(trend.years),
                "township": [share(v) for v in trend.township],
                "villages": [
                    {"village": village_ref(v), "values": [share(x) for x in values]}
                    for v, values in trend.villages
                ],
            }
            for trend in overview.trends
        ],
    }
