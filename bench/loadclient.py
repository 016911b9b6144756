"""A small HTTP/1.1 load generator: asyncio, raw sockets, keep-alive connections.

    python bench/loadclient.py http://127.0.0.1:8000/ --requests 5000 --concurrency 16

`run(host, port, requests, concurrency)` sends each prepared request exactly once,
spread over `concurrency` persistent connections (each connection sends its next
request when the previous answer is fully read, like a browser tab), and returns every
answer's status and latency. Requests are raw bytes built with `request()`, so a POST
can carry its own form body and cookie. Written for the benchmarks: CI machines have
no wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def request(
    method: str,
    host: str,
    port: int,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: cunyi-bench"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Answer:
    status: int
    seconds: float
    body: bytes
    step: int = 0  # in a walk: which of the phone's requests this answers


@dataclass
class Run:
    elapsed: float
    answers: list[Answer] = field(default_factory=list)
    errors: int = 0  # connection failures (no answer at all)

    @property
    def ok(self) -> int:
        """Answers with a 2xx or 3xx status."""
        return sum(1 for a in self.answers if 200 <= a.status < 400)

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float, step: int | None = None) -> float:
        """Latency in milliseconds at the p-th percentile (nearest rank), successes only;
        of one step of a walk when `step` is given."""
        times = sorted(
            a.seconds
            for a in self.answers
            if 200 <= a.status < 400 and (step is None or a.step == step)
        )
        if not times:
            return float("nan")
        rank = max(0, min(len(times) - 1, round(p / 100 * len(times) + 0.5) - 1))
        return times[rank] * 1000

    def summary(self) -> str:
        mean = statistics.fmean(a.seconds for a in self.answers) * 1000 if self.answers else 0
        return (
            f"{self.ok}/{len(self.answers) + self.errors} ok in {self.elapsed:.2f}s: "
            f"{self.rps:.0f} req/s, p50 {self.percentile(50):.1f} ms, "
            f"p99 {self.percentile(99):.1f} ms, mean {mean:.1f} ms"
        )


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            key, _sep, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        return status, body, False
    return status, body, headers.get("connection", "").lower() != "close"


async def _connection(
    host: str, port: int, queue: list[bytes], out: Run, keep_bodies: bool
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while queue:
        payload = queue.pop()
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            writer.write(payload)
            await writer.drain()
            status, body, keep = await _read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            out.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        out.answers.append(
            Answer(status, time.perf_counter() - started, body if keep_bodies else b"")
        )
        if not keep:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _phone(host: str, port: int, steps: Sequence[bytes], out: Run, keep_bodies: bool) -> None:
    """One phone: its own connection, its requests in order, each after the last answer."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        out.errors += len(steps)
        return
    try:
        for n, payload in enumerate(steps):
            started = time.perf_counter()
            writer.write(payload)
            await writer.drain()
            status, body, _keep = await _read_answer(reader)
            seconds = time.perf_counter() - started
            out.answers.append(Answer(status, seconds, body if keep_bodies else b"", n))
    except (OSError, asyncio.IncompleteReadError, ValueError):
        out.errors += 1
    finally:
        writer.close()


async def _walk(host: str, port: int, phones: Sequence[Sequence[bytes]], keep_bodies: bool) -> Run:
    out = Run(elapsed=0.0)
    started = time.perf_counter()
    await asyncio.gather(*(_phone(host, port, steps, out, keep_bodies) for steps in phones))
    out.elapsed = time.perf_counter() - started
    return out


def walk(
    host: str, port: int, phones: Sequence[Sequence[bytes]], *, keep_bodies: bool = False
) -> Run:
    """Every phone at once, each on its own connection, sending its requests in order
    (a villager's walk through the pages: the next page is asked for when one is shown)."""
    return asyncio.run(_walk(host, port, phones, keep_bodies))


async def _run(
    host: str, port: int, requests: Sequence[bytes], concurrency: int, keep_bodies: bool
) -> Run:
    queue = list(reversed(requests))  # pop() from the end sends them in the given order
    out = Run(elapsed=0.0)
    started = time.perf_counter()
    await asyncio.gather(
        *(_connection(host, port, queue, out, keep_bodies) for _ in range(concurrency))
    )
    out.elapsed = time.perf_counter() - started
    return out


def run(
    host: str,
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    *,
    keep_bodies: bool = False,
) -> Run:
    """Send every request once over `concurrency` keep-alive connections."""
    return asyncio.run(_run(host, port, requests, concurrency, keep_bodies))


def main() -> None:
    parser = argparse.ArgumentParser(description="GET one URL many times, print the figures")
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    one = request("GET", host, port, parts.path or "/")
    print(run(host, port, [one] * args.requests, args.concurrency).summary())


if __name__ == "__main__":
    main()
