"""axe-core on every page the browser tests reach (issue 13, "accessibility, measured").

`axe_violations(page)` runs axe-core (npm, pinned in tests/browser/package-lock.json and
installed by scripts/ensure-axe.sh) on the page as it is, with the WCAG 2.1 A and AA rules.
`assert_accessible(page)` fails with one readable line per violation: the rule, what it
asks, the page and the elements.

`PageStates` makes that automatic. Every Page and Locator method a test calls first checks
whether the page's main frame has navigated since the last check (a framenavigated listener
only sets a flag: a sync-API handler must not run evaluate itself, the test may navigate
again while it runs); if so, it waits for the page's load event and runs axe before doing
what the test asked. So each page state is checked while it is on screen, before the test's
next step changes it, whether a goto, a click on a link or a form's submit got there; a
state nothing is called on afterwards is checked when its context or page closes, or at the
test's end. A state already seen (same address, same HTML, same viewport) is not checked
twice. The page's strict CSP forbids inline scripts, so axe's source goes in through
`evaluate` (DevTools), never a <script> tag.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Error, Frame, Locator, Page

AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

# The violations as plain data; the nodes' CSS selectors and the first failure's summary.
_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact || "", help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")),
    summary: v.nodes.length ? (v.nodes[0].failureSummary || "") : ""}));
}"""


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    url: str
    targets: tuple[str, ...]
    summary: str = ""

    def line(self) -> str:
        shown = ", ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.rule} ({self.impact}): {self.help} — {self.url} — {shown}"


def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        raise FileNotFoundError(f"{AXE_SCRIPT} is missing: run `make chromium` (npm ci)")
    return _cached_source()


@functools.cache
def _cached_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[Violation]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;0")
    found = page.evaluate(_RUN, list(WCAG_TAGS))
    return [
        Violation(v["rule"], v["impact"], v["help"], page.url, tuple(v["targets"]), v["summary"])
        for v in found
    ]


def describe(violations: list[Violation]) -> str:
    lines = [f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s)"]
    lines += ["  " + v.line() for v in violations]
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


# Methods that read or wait without reaching the page's content, or that the watcher
# itself uses: no check before them.
_NOT_WATCHED = {
    "on",
    "once",
    "remove_listener",
    "set_default_timeout",
    "set_default_navigation_timeout",
    "is_closed",
    "wait_for_timeout",
    "wait_for_load_state",
    "wait_for_event",
}
# After these the page is on its new state: check it at once, where the test stands.
_NAVIGATING = {"goto", "reload", "go_back", "go_forward", "wait_for_url"}


@dataclass
class PageStates:
    """The page states the browser tests reach, each checked once by axe-core."""

    checked: set[tuple[str, str, str]] = field(default_factory=set)
    results: list[tuple[str, float, list[Violation]]] = field(default_factory=list)
    unreported: list[Violation] = field(default_factory=list)
    seconds: float = 0.0
    _pending: dict[int, Page] = field(default_factory=dict)
    _watched: dict[int, Page] = field(default_factory=dict)
    _busy: bool = False
    _collect: list[Violation] | None = None
    paused: bool = False  # a test marked axe_unchecked is running
    _scriptless: set[int] = field(default_factory=set)
    report_only: bool = field(default_factory=lambda: os.environ.get("CUNYI_AXE") == "report")

    def watch(self, page: Page) -> None:
        key = id(page)
        if key in self._watched:
            return
        self._watched[key] = page

        def navigated(frame: Frame) -> None:
            if frame.parent_frame is None:
                self._pending[key] = page

        page.on("framenavigated", navigated)
        page.on("close", lambda _page: self._forget(key))
        if page.url not in ("", "about:blank"):
            self._pending[key] = page

    def _forget(self, key: int) -> None:
        self._pending.pop(key, None)
        self._watched.pop(key, None)

    def check(self, page: Page) -> list[Violation]:
        """Run axe on `page` when it navigated since its last check; its violations."""
        if self._busy or self._pending.pop(id(page), None) is None or self.paused:
            return []
        if id(page.context) in self._scriptless:
            return []
        if page.is_closed():
            return []
        self._busy = True
        started = time.monotonic()
        try:
            return self._check(page)
        finally:
            self._busy = False
            self.seconds += time.monotonic() - started

    def _check(self, page: Page) -> list[Violation]:
        for _attempt in range(3):
            try:
                page.wait_for_load_state("load")
                if not page.url.startswith("http"):
                    return []
                if page.evaluate("document.contentType") != "text/html":
                    return []
                viewport = page.viewport_size or {}
                width = f"{viewport.get('width')}x{viewport.get('height')}"
                html = hashlib.sha256(page.content().encode()).hexdigest()
                state = (page.url, width, html)
                if state in self.checked:
                    return []
                started = time.monotonic()
                violations = axe_violations(page)
            except Error as error:
                # The page went on to another document while axe ran (a redirect, a
                # refresh): check the one it is on now.
                if "context was destroyed" not in str(error) and "navigat" not in str(error):
                    raise
                continue
            self.checked.add(state)
            self.results.append((page.url, time.monotonic() - started, violations))
            return [] if self.report_only else violations
        return []

    def without_script(self, context: BrowserContext) -> None:
        """Pages of `context` (java_script_enabled=False) are not checked: axe is a script,
        and Playwright's evaluate waits forever there. The same pages are checked with it."""
        self._scriptless.add(id(context))

    def check_now(self, page: Page) -> list[Violation]:
        """Run axe on `page` as it is now (after a resize, say), unless this state was seen."""
        self.watch(page)
        self._pending[id(page)] = page
        return self.check(page)

    @contextmanager
    def collecting(self, into: list[Violation]) -> Iterator[None]:
        """Violations found meanwhile go into `into` instead of failing the call that found
        them, for a test that reports every page's at once."""
        self._collect = into
        try:
            yield
        finally:
            self._collect = None

    def flush(self, pages: list[Page]) -> None:
        """Check the pages about to close; keep what they find for the test's end."""
        for page in pages:
            self.unreported += self.check(page)

    def flush_all(self) -> None:
        self.flush(list(self._pending.values()))

    def take_unreported(self) -> list[Violation]:
        found, self.unreported = self.unreported, []
        return found

    def before(self, page: Page) -> None:
        if self._busy:
            return
        self.watch(page)
        violations = self.check(page)
        if violations and self._collect is not None:
            self._collect += violations
        elif violations:
            raise AssertionError(describe(violations))

    def wrap(self, cls: type, name: str, page_of: Callable[[Any], Page]) -> Callable[..., Any]:
        original = getattr(cls, name)

        @functools.wraps(original)
        def watched(this: Any, *args: Any, **kwargs: Any) -> Any:
            page = page_of(this)
            self.before(page)
            result = original(this, *args, **kwargs)
            if name in _NAVIGATING:
                self.before(page)
            return result

        return watched

    def wrap_close(self, cls: type, pages_of: Callable[[Any], list[Page]]) -> Callable[..., Any]:
        original = cls.close

        @functools.wraps(original)
        def close(this: Any, *args: Any, **kwargs: Any) -> Any:
            if not self._busy:
                self.flush(pages_of(this))
            return original(this, *args, **kwargs)

        return close

    @contextmanager
    def installed(self) -> Iterator[PageStates]:
        """Every public Page and Locator method watched, for as long as this lasts."""
        saved: list[tuple[type, str, Any]] = []

        def patch(cls: type, name: str, value: Any) -> None:
            saved.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, value)

        for cls, page_of in ((Page, lambda p: p), (Locator, lambda loc: loc.page)):
            for name, value in list(vars(cls).items()):
                if name.startswith("_") or name in _NOT_WATCHED or name == "close":
                    continue
                if callable(value) and not isinstance(value, (property, type)):
                    patch(cls, name, self.wrap(cls, name, page_of))
        patch(Page, "close", self.wrap_close(Page, lambda p: [p]))
        patch(BrowserContext, "close", self.wrap_close(BrowserContext, lambda c: list(c.pages)))
        try:
            yield self
        finally:
            for cls, name, value in reversed(saved):
                setattr(cls, name, value)
