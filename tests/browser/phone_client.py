"""A villager's phone, run inside another network namespace by tests/browser/test_phone_on_
another_host.py: it opens the link read off a printed QR code and votes as a person does,
following what the pages show (the 去投票 link, the ballot's form, 确认投票), with only the
standard library. Prints the receipt code; exits 1 with what went wrong.

    python tests/browser/phone_client.py LINK CANDIDATE
"""

from __future__ import annotations

import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # name, value, type
    buttons: list[tuple[str, str]] = field(default_factory=list)  # name, value

    def hidden(self) -> list[tuple[str, str]]:
        return [(name, value) for name, value, kind in self.fields if kind == "hidden"]


class Page(HTMLParser):
    """The links (text, href) and forms (action, fields, submit buttons) of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.forms: list[Form] = []
        self.receipt = ""
        self._href: str | None = None
        self._text: list[str] = []
        self._in_receipt = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self._href, self._text = a["href"], []
        elif tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif tag == "input" and self.forms:
            self.forms[-1].fields.append(
                (a.get("name", ""), a.get("value", ""), a.get("type", "text"))
            )
        elif tag == "button" and self.forms:
            self.forms[-1].buttons.append((a.get("name", ""), a.get("value", "")))
        elif a.get("id") == "receipt":
            self._in_receipt = True

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)
        if self._in_receipt:
            self.receipt += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append(("".join(self._text).strip(), self._href))
            self._href = None
        self._in_receipt = False


class Phone:
    def __init__(self) -> None:
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.url = ""

    def open(self, url: str, form: list[tuple[str, str]] | None = None) -> Page:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        with self.opener.open(url, data=data, timeout=20) as response:
            self.url = response.geturl()
            page = Page()
            page.feed(response.read().decode("utf-8"))
            return page

    def follow(self, href: str) -> str:
        return urllib.parse.urljoin(self.url, href)


def vote(link: str, candidate: str) -> str:
    phone = Phone()
    slip = phone.open(link)
    (go,) = [href for text, href in slip.links if text == "去投票"]
    ballot = phone.open(phone.follow(go))
    (form,) = [f for f in ballot.forms if any(name == "mark" for name, _v, _t in f.fields)]
    assert ("mark", candidate, "checkbox") in form.fields, f"{candidate} is not on the ballot"
    confirm = phone.open(phone.follow(form.action), [*form.hidden(), ("mark", candidate)])
    (cast,) = [f for f in confirm.forms if ("action", "cast") in f.buttons]
    done = phone.open(phone.follow(cast.action), [*cast.hidden(), ("action", "cast")])
    if not done.receipt:
        raise SystemExit("no receipt on the page after 确认投票")
    return done.receipt


def main() -> int:
    link, candidate = sys.argv[1], sys.argv[2]
    try:
        print(vote(link, candidate))
    except (urllib.error.URLError, OSError, AssertionError, ValueError) as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
