"""Voting: voters' credentials, casting a ballot through a slip, receipts, the ballot
pages, and which elections an assembly's slips open (`routes`)."""

from __future__ import annotations

from ballots.voting.views import routes

__all__ = ["routes"]
