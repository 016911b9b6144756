"""The election pages in English read as English: no Chinese punctuation inside English
sentences (names stay as they are, but 、，（） and the like do not), and no number beside a
countable word that disagrees with it ("1 seats", "3 person").

The demo township (`cunyi demo`) has an election with proxies, paper ballots, the mobile box
and a certified result; the test signs in as its organizer and as a villager's slip, switches
to English and walks every election page it can reach from the election list (issue 18, 6).
"""

from __future__ import annotations

import contextlib
import io
import re
import uuid
from collections import deque
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.actors import SYSTEM
from app.cli import main
from app.main import create_app
from app.migrate import upgrade_to_head
from app.permissions import Role
from app.settings import Settings
from slips.links import slip_token
from slips.services import issue_slips
from tests.app.test_demo import printed_signins
from tests.ballots import factories_elections as fe
from tests.conftest import csrf_from, drop_postgres_schema, fresh_database_url
from tests.html import soup

# Chinese punctuation that has no place in an English sentence.
CJK_PUNCTUATION = re.compile(r"[、，。：；（）！？「」《》【】]")
COUNTABLE = "seat|person|vote|ballot|household|voter|candidate|member|proxy|teller|round|day"
SINGULAR_WITH_MANY = re.compile(rf"\b(0|[2-9]|\d{{2,}}) ({COUNTABLE})\b")
PLURAL_WITH_ONE = re.compile(
    rf"(?<![\d.,])(?<!Round )\b1 ({COUNTABLE.replace('|', 's|')}s|people|proxies)\b"
)
# Where the election pages live; the crawl stays inside them.
ELECTION_PATHS = re.compile(
    r"^/(villages/\d+/elections|elections|rounds|entrustments|public/elections|public/rounds|s/)"
)
SKIP = re.compile(r"(export\.json|/signout|/language|\.csv|\.xlsx)")
MAX_PAGES = 200


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict]]:
    tmp = tmp_path_factory.mktemp("english")
    url, schema = fresh_database_url(tmp, "english")
    upgrade_to_head(url)
    settings = Settings(database_url=url, secret_key=Secret(uuid.uuid4().hex), data_dir=tmp)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("CUNYI_DATABASE_URL", url)
    monkeypatch.setenv("CUNYI_DATA_DIR", str(tmp / "data"))
    monkeypatch.setenv("CUNYI_SECRET_KEY", str(settings.secret_key))
    try:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            assert main(["demo"]) == 0
        yield settings, printed_signins(output.getvalue())
    finally:
        monkeypatch.undo()
        if schema:
            drop_postgres_schema(schema)


def _english(client: TestClient) -> None:
    assert client.get("/language", params={"to": "en", "next": "/"}).status_code in (302, 303)


def _problems(path: str, html: str) -> list[str]:
    page = soup(html)
    main_part = page.select_one("main") or page
    for hidden in main_part.select("script, style, [lang^=zh], .code, td.name, .names"):
        hidden.decompose()
    text = " ".join(main_part.get_text(" ").split())
    found = [
        f"{path}: Chinese punctuation {m.group(0)!r} in …{text[max(0, m.start() - 40) : m.end() + 40]}…"
        for m in CJK_PUNCTUATION.finditer(text)
    ]
    for pattern in (SINGULAR_WITH_MANY, PLURAL_WITH_ONE):
        found += [
            f"{path}: {m.group(0)!r} in …{text[max(0, m.start() - 40) : m.end() + 40]}…"
            for m in pattern.finditer(text)
        ]
    return found


def _crawl(client: TestClient, start: list[str]) -> tuple[list[str], list[str]]:
    seen: set[str] = set()
    queue = deque(start)
    problems: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            continue
        problems += _problems(path, response.text)
        for link in soup(response.text).select("a[href]"):
            target = urlsplit(str(link["href"]))
            if target.netloc or not ELECTION_PATHS.match(target.path) or SKIP.search(target.path):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return sorted(seen), problems


def _sign_in(client: TestClient, username: str, password: str) -> None:
    token = csrf_from(client, "/signin")
    done = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert done.status_code == 303


def test_the_organizers_election_pages_read_as_english(demo) -> None:  # type: ignore[no-untyped-def]
    settings, signins = demo

    with TestClient(create_app(settings), follow_redirects=False) as client:
        _sign_in(client, *signins[Role.ORGANIZER])
        _english(client)
        home = soup(client.get("/").text)
        start = [str(a["href"]) for a in home.select("a[href]") if "/elections" in str(a["href"])]
        seen, problems = _crawl(client, start or ["/"])
    assert len(seen) > 15, seen
    assert problems == [], "\n".join(problems)


def test_a_proxys_slip_ballot_and_receipt_read_as_english(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    """A proxy's phone in English: the slip, the entrusted ballot, its confirmation and
    receipt say "on behalf of", with no Chinese punctuation around the names."""
    v = fe.voting(db, voters=3)
    fe.entrust(db, v.election, voter=v.entries[1], proxy=v.entries[0])
    (slip,) = issue_slips(db, SYSTEM, v.assembly, [v.people[0].id], settings=settings)
    token = slip_token(settings, slip)
    _english(client)
    home = client.get(f"/s/{token}")
    ballot_path = f"/s/{token}/b/{v.round.id}/{v.entries[1].id}"
    ballot = client.get(ballot_path)
    assert f"on behalf of {v.people[1].name}" in soup(ballot.text).get_text()
    csrf = csrf_from(client, "/s")
    mark = soup(ballot.text).select_one("input[name=mark]")["value"]
    confirm = client.post(f"{ballot_path}/confirm", data={"mark": mark, "csrf_token": csrf})
    cast = client.post(
        f"{ballot_path}/cast", data={"mark": mark, "action": "cast", "csrf_token": csrf}
    )
    assert cast.status_code == 200
    receipt = soup(cast.text).select_one("#on-behalf").get_text(" ", strip=True)
    assert receipt == (
        f"The ballot you cast on behalf of {v.people[1].name} is in the ballot box (proxy vote)."
    )
    problems = []
    for name, response in (
        ("slip", home),
        ("ballot", ballot),
        ("confirm", confirm),
        ("receipt", cast),
    ):
        assert response.status_code == 200, name
        assert soup(response.text).select_one("footer.villager-lang a[lang=zh-Hans]"), name
        problems += _problems(name, response.text)
    assert problems == [], "\n".join(problems)
