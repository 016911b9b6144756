"""Reading pages in tests with CSS selectors (Beautiful Soup with soupsieve), not regexes."""

from __future__ import annotations

from bs4 import BeautifulSoup


def soup(html: str) -> BeautifulSoup:
    """The parsed page; use .select / .select_one with CSS selectors."""
    return BeautifulSoup(html, "html.parser")
