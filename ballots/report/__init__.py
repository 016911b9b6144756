"""The township's election report (issue 17): for each election its registered voters,
who took part by channel in every round, proxies, ballots written with help, the polling
facilities the organizer enters, valid, invalid and blank ballots, the rounds held and
the elected with sex and age band; and the township's roll-up across villages for a
period. Page, A4 print, CSV and .xlsx, all read from the ledger (`routes`)."""

from __future__ import annotations

from ballots.report.rules import AGE_BANDS, AgeBand, band_of
from ballots.report.services import (
    Elected,
    ElectionReport,
    Facilities,
    FacilitiesInput,
    Period,
    RoundFigures,
    TownshipReport,
    election_report,
    election_reports,
    enter_facilities,
    suggestion,
    township_report,
)
from ballots.report.views import routes

__all__ = [
    "AGE_BANDS",
    "AgeBand",
    "Elected",
    "ElectionReport",
    "Facilities",
    "FacilitiesInput",
    "Period",
    "RoundFigures",
    "TownshipReport",
    "band_of",
    "election_report",
    "election_reports",
    "enter_facilities",
    "routes",
    "suggestion",
    "township_report",
]
