"""Assemblies, QR slips, signed links and short codes, slip sheets, and the villager's
pages (the page decorator, base template and error page, the slip home page).

Imports no domain: ballots, meetings, compacts and surveys register the sections a slip
opens (`SLIP_PAGE_SECTIONS`) and what they show on an assembly's page
(`ASSEMBLY_PAGE_SECTIONS`).
"""

from slips.holders import SLIP_HOLDERS
from slips.sections import ASSEMBLY_PAGE_SECTIONS, SLIP_PAGE_SECTIONS, PageSection

__all__ = ["ASSEMBLY_PAGE_SECTIONS", "SLIP_HOLDERS", "SLIP_PAGE_SECTIONS", "PageSection"]
