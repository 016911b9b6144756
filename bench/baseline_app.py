"""The baseline for the HTTP figures: a bare Starlette endpoint, nothing else.

Served by bench/cast.py under the same uvicorn options, worker count and load client as
the real app, so cast_rps / baseline_rps says how much of the machine the vote itself
costs (credential check, single use, ballot stored, receipt rendered), independent of how
fast the machine, the Python build or the load client are. It reads the same form body
the vote sends and answers a small HTML page, with no session, database or template.

    uvicorn bench.baseline_app:app
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def endpoint(request: Request) -> HTMLResponse:
    fields = len(await request.form()) if request.method == "POST" else 0
    return HTMLResponse(f"<!doctype html><title>ok</title><p>{fields}</p>")


app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])
