"""The round's version as the deliberation pages show it: article by article, with the
chapter headings between them (K1's `compacts.text` parses and renders)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from compacts.models import Version
from compacts.text import Article, Chapter, Structure, render_article


@dataclass(frozen=True)
class Block:
    """One article to show, preceded by its chapter heading when it opens a chapter."""

    article: Article
    chapter: Chapter | None
    html: Markup


def structure(version: Version) -> Structure:
    return Structure.from_json(version.structure_json)


def article_keys(version: Version) -> list[str]:
    return [a.key for a in structure(version).articles]


def article_choices(version: Version) -> list[tuple[str, str]]:
    """(key, label) for a select: the article's number and title."""
    return [(a.key, f"{a.label} {a.title}".strip()) for a in structure(version).articles]


def blocks(version: Version) -> tuple[tuple[str, ...], list[Block]]:
    """The preamble lines, then each article with the chapter it opens (if any)."""
    text = structure(version)
    chapters = {c.number: c for c in text.chapters}
    seen: set[int] = set()
    result: list[Block] = []
    for article in text.articles:
        opens = None
        if article.chapter and article.chapter not in seen:
            seen.add(article.chapter)
            opens = chapters.get(article.chapter)
        result.append(Block(article, opens, render_article(article)))
    return text.preamble, result
