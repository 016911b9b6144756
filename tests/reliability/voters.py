"""Villagers' phones as asyncio tasks: each opens its slip link, the ballot, confirms and
casts, over plain HTTP to the real server processes (httpx2), and keeps its receipt.

A vote is *acknowledged* only when the receipt page came back with a receipt code. A
connection that breaks while the cast is in flight leaves the outcome unknown: the
voter opens the link again later, and the slip page says "已投票" (stored) or offers
the ballot again (nothing was stored).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx2

T = TypeVar("T")

BALLOT_LINK = re.compile(r'href="(/s/[^"]+/b/\d+/\d+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RECEIPT = re.compile(r'<strong id="receipt">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</strong>')
VOTED = "已投票"
TIMEOUT = 60.0


class Unexpected(Exception):
    """The server answered something a villager should never see (a 500, a bad page)."""


class CastLost(Exception):
    """The connection broke while the cast request was in flight: outcome unknown."""


@dataclass
class Tally:
    """What the voters saw, and the figures for the report."""

    receipts: list[str] = field(default_factory=list)  # acknowledged, in order
    choices: Counter[str] = field(default_factory=Counter)  # of acknowledged votes
    found_voted: set[int] = field(default_factory=set)  # voters told 已投票 on a later visit
    lost: set[int] = field(default_factory=set)  # voters whose cast got no answer
    acknowledged_voters: set[int] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)
    retries: int = 0
    waited: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # s
    answered: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)  # how a racing cast was refused
    requests: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float = 0.0

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def summary(self) -> str:
        votes = len(self.receipts)
        rate = votes / self.seconds if self.seconds else 0.0
        return (
            f"{votes} acknowledged votes in {self.seconds:.1f} s ({rate:.0f} votes/s, "
            f"{self.requests / self.seconds:.0f} requests/s); {len(self.lost)} casts lost "
            f"in flight, {len(self.found_voted)} found already stored, {self.retries} retries; "
            + ", ".join(
                f"{method} {1000 * self.waited[method] / n:.0f} ms on average"
                for method, n in sorted(self.answered.items())
            )
        )


def choice_for(index: int, candidates: Sequence[str]) -> str:
    """The name voter `index` ticks; every tenth ballot is left blank ("")."""
    return "" if index % 10 == 9 else candidates[index % len(candidates)]


async def _send(
    client: httpx2.AsyncClient, tally: Tally, method: str, url: str, **kwargs: object
) -> httpx2.Response:
    tally.requests += 1
    began = time.monotonic()
    response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    tally.waited[method] += time.monotonic() - began
    tally.answered[method] += 1
    if response.status_code >= 500:
        raise Unexpected(f"{method} {url} answered {response.status_code}:\n{response.text[:400]}")
    return response


def _csrf(response: httpx2.Response) -> str:
    match = CSRF.search(response.text)
    if response.status_code != 200 or not match:
        raise Unexpected(f"no ballot form at {response.url} ({response.status_code})")
    return match.group(1)


async def vote(
    client: httpx2.AsyncClient,
    bases: Sequence[str],
    index: int,
    token: str,
    choice: str,
    tally: Tally,
) -> str | None:
    """One villager's visit: the receipt code, or None when told the vote is in already.

    The four requests go round the servers, so a visit also crosses processes (the
    session cookie is signed with the key they share).
    """
    client.cookies.clear()  # a phone of its own

    def base(step: int) -> str:
        return bases[(index + step) % len(bases)]

    slip = await _send(client, tally, "GET", f"{base(0)}/s/{token}")
    if slip.status_code != 200:
        raise Unexpected(f"slip page answered {slip.status_code}: {slip.text[:300]}")
    found = BALLOT_LINK.search(slip.text)
    if found is None:
        if VOTED in slip.text:
            return None
        raise Unexpected(f"slip page without ballot link or {VOTED}: {slip.text[:300]}")
    link = found.group(1).replace("&amp;", "&")
    page = await _send(client, tally, "GET", base(1) + link)
    form = {"mark": [choice] if choice else [], "csrf_token": _csrf(page)}
    confirm = await _send(client, tally, "POST", f"{base(2)}{link}/confirm", data=form)
    if confirm.status_code != 200 or "请核对您的选票" not in confirm.text:
        raise Unexpected(f"confirm answered {confirm.status_code}: {confirm.text[:300]}")
    try:
        cast = await _send(
            client, tally, "POST", f"{base(3)}{link}/cast", data={**form, "action": "cast"}
        )
    except httpx2.TransportError as error:
        raise CastLost(str(error)) from error
    if cast.status_code == 409 and VOTED in cast.text:
        return None  # another request with this credential won the race
    receipt = RECEIPT.search(cast.text)
    if cast.status_code != 200 or receipt is None:
        raise Unexpected(f"cast answered {cast.status_code}: {cast.text[:300]}")
    return receipt.group(1)


def record(tally: Tally, index: int, choice: str, receipt: str | None) -> None:
    if receipt is None:
        tally.found_voted.add(index)
    else:
        tally.receipts.append(receipt)
        tally.acknowledged_voters.add(index)
        tally.choices[choice or "(blank)"] += 1


async def cast_all(
    bases: Callable[[], Sequence[str]],
    tokens: Sequence[str],
    candidates: Sequence[str],
    clients: int,
    *,
    tolerate_outages: bool = False,
    tally: Tally | None = None,
) -> Tally:
    """Every voter votes once, `clients` phones at a time.

    With `tolerate_outages`, a broken connection sends the voter back to the queue
    (servers are being killed); otherwise it is a failure like any 500.
    """
    tally = tally or Tally()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(tokens)):
        queue.put_nowait(index)

    async def phone() -> None:
        # A connection per request: a phone's idle keep-alive connection may be closed by
        # the server just as the next request goes out, which is noise here, not a finding.
        limits = httpx2.Limits(max_connections=4, max_keepalive_connections=0)
        async with httpx2.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
            while True:
                try:
                    index = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                choice = choice_for(index, candidates)
                try:
                    receipt = await vote(client, bases(), index, tokens[index], choice, tally)
                except (CastLost, httpx2.TransportError) as error:
                    if not tolerate_outages:
                        tally.unexpected.append(f"voter {index}: {error!r}")
                        continue
                    if isinstance(error, CastLost):
                        tally.lost.add(index)
                    tally.retries += 1
                    queue.put_nowait(index)
                    await asyncio.sleep(0.5)  # the server is down: wait for its restart
                    continue
                except Unexpected as error:
                    tally.unexpected.append(f"voter {index}: {error}")
                    continue
                record(tally, index, choice, receipt)

    await asyncio.gather(*(phone() for _ in range(clients)))
    tally.finished = time.monotonic()
    return tally


async def race(
    client: httpx2.AsyncClient, first: str, second: str, token: str, choice: str, tally: Tally
) -> list[str | None]:
    """One phone's ballot, then its cast sent to two processes at the same instant.

    Both requests carry the same session and form. Returns what each answered: a
    receipt code, or None for "已投票".
    """
    client.cookies.clear()
    slip = await _send(client, tally, "GET", f"{first}/s/{token}")
    found = BALLOT_LINK.search(slip.text)
    if found is None:
        raise Unexpected(f"slip page without ballot link: {slip.status_code} {slip.text[:300]}")
    link = found.group(1)
    page = await _send(client, tally, "GET", second + link)
    form = {"mark": [choice] if choice else [], "csrf_token": _csrf(page), "action": "cast"}
    start = asyncio.Event()

    async def cast(base: str) -> str | None:
        await start.wait()
        answer = await _send(client, tally, "POST", f"{base}{link}/cast", data=form)
        if answer.status_code == 409 and VOTED in answer.text:
            # Refused by the database's single-use check mid-transaction (the two really
            # overlapped), or before it because the other had committed already.
            tally.refusals["in the cast" if "第一次投的票" in answer.text else "before"] += 1
            return None
        receipt = RECEIPT.search(answer.text)
        if answer.status_code != 200 or receipt is None:
            raise Unexpected(f"cast answered {answer.status_code}: {answer.text[:300]}")
        return receipt.group(1)

    casts = [asyncio.create_task(cast(base)) for base in (first, second)]
    await asyncio.sleep(0)  # both tasks are waiting on the event: release them together
    start.set()
    return list(await asyncio.gather(*casts))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser tests' Playwright driver keeps an
    event loop running in the main thread for the whole session, where asyncio.run
    refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
