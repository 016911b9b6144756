"""Article-level comparison of two versions of a compact.

Articles are matched in passes, most certain first, so that a renumbered or moved
article is never shown as "removed and added":

1. same text (title and clauses): unchanged, renumbered (order kept, number changed)
   or moved (order changed — it left the longest run of articles kept in order);
2. same text once punctuation and spaces are ignored: a punctuation-only change;
3. one old article whose text is two consecutive new articles: split (and the reverse,
   two old articles joined into one: merged);
4. similar text (at least half the characters shared): reworded, with character marks
   (Chinese has no spaces between words; Latin words and numbers are kept whole);
5. what is left: removed or added.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup

from compacts.text import Article, Structure

REWORD_THRESHOLD = 0.5
SPLIT_THRESHOLD = 0.85
_TOKEN = re.compile(r"[A-Za-z0-9]+|\s+|.", re.DOTALL)


class ChangeKind(enum.StrEnum):
    UNCHANGED = "unchanged"
    RENUMBERED = "renumbered"
    MOVED = "moved"
    PUNCTUATION = "punctuation"
    REWORDED = "reworded"
    SPLIT = "split"
    MERGED = "merged"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Segment:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass(frozen=True)
class ArticleChange:
    kind: ChangeKind
    old: tuple[Article, ...]
    new: tuple[Article, ...]
    marks: tuple[Segment, ...] = ()

    @property
    def old_numbers(self) -> tuple[int, ...]:
        return tuple(a.number for a in self.old)

    @property
    def new_numbers(self) -> tuple[int, ...]:
        return tuple(a.number for a in self.new)


def _bare(text: str) -> str:
    """The text without punctuation, symbols and spaces (Chinese or Latin)."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _covered(part: str, whole: str) -> float:
    """The share of `part` found, in order, in `whole`."""
    if not part:
        return 0.0
    blocks = SequenceMatcher(None, part, whole, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) / len(part)


def marks(old: str, new: str) -> tuple[Segment, ...]:
    """Character marks (Latin words and numbers whole) turning `old` into `new`."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("delete", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(Segment("insert", "".join(b[j1:j2])))
    return tuple(segments)


def _longest_increasing(indices: list[int]) -> set[int]:
    """Positions (in `indices`) of one longest strictly increasing subsequence."""
    best: list[list[int]] = []
    for pos, value in enumerate(indices):
        longer = [c for c in best if indices[c[-1]] < value]
        chain: list[int] = max(longer, key=len) if longer else []
        best.append([*chain, pos])
    if not best:
        return set()
    longest: list[int] = max(best, key=len)
    return set(longest)


class _Matcher:
    def __init__(self, old: Structure, new: Structure) -> None:
        self.old = list(old.articles)
        self.new = list(new.articles)
        self.old_left = set(range(len(self.old)))
        self.new_left = set(range(len(self.new)))
        self.changes: dict[int, ArticleChange] = {}  # by new index
        self.removed: list[tuple[int, ArticleChange]] = []  # by old index

    def take(self, olds: list[int], news: list[int], change: ArticleChange) -> None:
        self.old_left -= set(olds)
        self.new_left -= set(news)
        if news:
            self.changes[news[0]] = change
        else:
            self.removed.append((olds[0], change))

    def same_text(self) -> None:
        pairs: list[tuple[int, int]] = []
        for j in sorted(self.new_left):
            i = next(
                (i for i in sorted(self.old_left) if self.old[i].text == self.new[j].text), None
            )
            if i is not None:
                self.old_left.discard(i)
                pairs.append((i, j))
        in_order = _longest_increasing([i for i, _ in pairs])
        for pos, (i, j) in enumerate(pairs):
            old, new = self.old[i], self.new[j]
            if pos not in in_order:
                kind = ChangeKind.MOVED
            elif old.number != new.number:
                kind = ChangeKind.RENUMBERED
            else:
                kind = ChangeKind.UNCHANGED
            same = (Segment("equal", new.text),)
            self.take([i], [j], ArticleChange(kind, (old,), (new,), same))

    def punctuation(self) -> None:
        for j in sorted(self.new_left):
            bare = _bare(self.new[j].text)
            i = next((i for i in sorted(self.old_left) if _bare(self.old[i].text) == bare), None)
            if i is not None and bare:
                old, new = self.old[i], self.new[j]
                change = ArticleChange(
                    ChangeKind.PUNCTUATION, (old,), (new,), marks(old.text, new.text)
                )
                self.take([i], [j], change)

    def _pair_matches(self, one: str, two: list[Article]) -> bool:
        """`one` reads as the two articles together, and each of them comes from it
        (an added article next to a reworded one is not a split)."""
        whole = _bare(one)
        joined = "".join(_bare(a.text) for a in two)
        if _similarity(whole, joined) < SPLIT_THRESHOLD:
            return False
        return all(_covered(_bare(a.text), whole) >= SPLIT_THRESHOLD for a in two)

    def splits(self) -> None:
        for i in sorted(self.old_left):
            for j in sorted(self.new_left):
                if j + 1 in self.new_left and i in self.old_left:
                    pair = [self.new[j], self.new[j + 1]]
                    if self._pair_matches(self.old[i].text, pair):
                        old_text, new_text = self.old[i].text, "\n".join(a.text for a in pair)
                        change = ArticleChange(
                            ChangeKind.SPLIT, (self.old[i],), tuple(pair), marks(old_text, new_text)
                        )
                        self.take([i], [j, j + 1], change)
        for j in sorted(self.new_left):
            for i in sorted(self.old_left):
                if i + 1 in self.old_left and j in self.new_left:
                    pair = [self.old[i], self.old[i + 1]]
                    if self._pair_matches(self.new[j].text, pair):
                        old_text = "\n".join(a.text for a in pair)
                        change = ArticleChange(
                            ChangeKind.MERGED,
                            tuple(pair),
                            (self.new[j],),
                            marks(old_text, self.new[j].text),
                        )
                        self.take([i, i + 1], [j], change)

    def rewordings(self) -> None:
        scored = sorted(
            (
                (-_similarity(self.old[i].text, self.new[j].text), abs(i - j), i, j)
                for i in self.old_left
                for j in self.new_left
            ),
        )
        for score, _, i, j in scored:
            if -score < REWORD_THRESHOLD:
                break
            if i in self.old_left and j in self.new_left:
                old, new = self.old[i], self.new[j]
                change = ArticleChange(
                    ChangeKind.REWORDED, (old,), (new,), marks(old.text, new.text)
                )
                self.take([i], [j], change)

    def rest(self) -> None:
        for i in sorted(self.old_left):
            gone = (Segment("delete", self.old[i].text),)
            self.take([i], [], ArticleChange(ChangeKind.REMOVED, (self.old[i],), (), gone))
        for j in sorted(self.new_left):
            added = (Segment("insert", self.new[j].text),)
            self.take([], [j], ArticleChange(ChangeKind.ADDED, (), (self.new[j],), added))

    def ordered(self) -> list[ArticleChange]:
        """In the new text's order; a removed article just before the article that now
        holds its old place."""
        result: list[ArticleChange] = []
        removed = sorted(self.removed, key=lambda item: item[0])
        for j in sorted(self.changes):
            change = self.changes[j]
            while removed and change.old and removed[0][0] < self.old.index(change.old[0]):
                result.append(removed.pop(0)[1])
            result.append(change)
        result.extend(change for _, change in removed)
        return result


def compare(old: Structure, new: Structure) -> list[ArticleChange]:
    """Every article of both versions, each in exactly one change."""
    matcher = _Matcher(old, new)
    matcher.same_text()
    matcher.punctuation()
    matcher.splits()
    matcher.rewordings()
    matcher.rest()
    return matcher.ordered()


def render_marks(segments: tuple[Segment, ...]) -> Markup:
    """<ins>/<del> marks, the text escaped; line breaks kept as <br>."""
    tags = {
        "equal": Markup("%s"),
        "insert": Markup("<ins>%s</ins>"),
        "delete": Markup("<del>%s</del>"),
    }
    parts: list[Markup] = []
    for segment in segments:
        lines = segment.text.split("\n")
        body = Markup("<br>").join(Markup("%s") % line for line in lines)
        parts.append(tags[segment.op] % body)
    return Markup("").join(parts)
