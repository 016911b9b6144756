"""The ballot read aloud (ballots.setup.speech): the recording itself, public and cached
for good under its checksum, and the organizer's "make it again" once the server can."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from app.errors import NotFound
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.web import CACHED_FOR_GOOD, Ctx
from ballots.exceptions import StageError
from ballots.models import Election, Round, RoundStatus
from ballots.paths import ROUND, SETUP_ELECTION, route, setup_route
from ballots.setup.speech import (
    current_audio,
    opus_seconds,
    round_words,
    speak_round,
    speech_engine,
    speech_status,
)
from ballots.setup.stages import latest_round

# Rounds whose ballot a voter can still be handed: read aloud for them only.
SPOKEN_STATUSES = (RoundStatus.PENDING, RoundStatus.OPEN)
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range (first, last) a Range header asks of `size` bytes; None for the
    whole. Raises ValueError when it asks for none of them (416)."""
    found = _RANGE.fullmatch(header.strip())
    if found is None or not (found[1] or found[2]):
        return None
    if found[1]:
        first = int(found[1])
        last = min(int(found[2]), size - 1) if found[2] else size - 1
    else:  # the last N bytes
        first, last = max(size - int(found[2]), 0), size - 1
    if first > last:
        raise ValueError(header)
    return first, last


def _recording(ctx: Ctx, body: bytes, media_type: str) -> Response:
    """The bytes, or the part a Range header asks for: a browser learns an Ogg file's
    length by reading its end, and without ranges its player shows no length."""
    headers = {"Cache-Control": CACHED_FOR_GOOD, "Accept-Ranges": "bytes"}
    try:
        wanted = byte_range(ctx.request.headers.get("range", ""), len(body))
    except ValueError:
        headers["Content-Range"] = f"bytes */{len(body)}"
        return Response(b"", 416, headers=headers, media_type=media_type)
    if wanted is None:
        return Response(body, media_type=media_type, headers=headers)
    first, last = wanted
    headers["Content-Range"] = f"bytes {first}-{last}/{len(body)}"
    return Response(body[first : last + 1], 206, headers=headers, media_type=media_type)


def ballot_audio(ctx: Ctx) -> Response:
    """The round's recording, while it says what the round's ballot says."""
    round_ = ROUND.of(ctx)
    words = round_words(ctx.db, round_)
    audio = current_audio(ctx.db, round_.id, words) if words is not None else None
    if audio is None or audio.sha256 != ctx.path["sha256"]:
        raise NotFound(lazy("这份选票朗读已经过时或不存在，请回到选票页面重新打开。"))
    return _recording(ctx, audio.audio, audio.media_type)


def speech_context(ctx: Ctx, election: Election, round_: Round | None) -> dict[str, Any]:
    """What the candidates page says of the ballot read aloud (nothing once voted)."""
    if round_ is None or round_.status not in SPOKEN_STATUSES:
        return {"speech": None}
    spoken = speech_status(ctx.db, speech_engine(ctx.settings), round_)
    if spoken.audio is None and spoken.problem is None:
        return {"speech": None}  # nobody on the ballot yet
    audio = spoken.audio
    return {
        "speech": {
            "problem": spoken.problem,
            "words": audio.words if audio else None,
            "seconds": round(opus_seconds(audio.audio)) if audio else 0,
            "kilobytes": max(round(len(audio.audio) / 1024), 1) if audio else 0,
            "sha256": audio.sha256 if audio else None,
            "round_id": round_.id,
            "can_make": round_.status is RoundStatus.PENDING,
        }
    }


def read_aloud_again(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    round_ = latest_round(ctx.db, found)
    if round_ is None or round_.status not in SPOKEN_STATUSES:
        raise NotFound(lazy("现在没有等待投票的选票，不需要朗读。"))
    if round_.status is not RoundStatus.PENDING:
        # Making a recording takes a second or more inside this write; during the vote
        # (on SQLite, one writer at a time) that would hold up villagers' ballots.
        raise StageError(lazy("投票已经开始，不能再重新生成朗读。请在投票开始以前生成。"))
    spoken = speak_round(ctx.db, ctx.actor, speech_engine(ctx.settings), round_)
    if spoken.problem:
        ctx.flash(gettext_("朗读未生成：%(reason)s", reason=spoken.problem))
    elif spoken.made:
        ctx.flash(gettext_("选票朗读已生成。"))
    elif spoken.audio is not None:
        ctx.flash(gettext_("这份选票的朗读已经有了，不用重新生成。"))
    else:
        ctx.flash(gettext_("选票上还没有候选人，没有可以朗读的内容。"))
    return ctx.redirect("ballots:candidates", election_id=found.id)


routes = [
    route(
        "/public/rounds/{round_id:int}/audio/{sha256}",
        ballot_audio,
        name="ballots:ballot_audio",
        permission=Permission.PUBLIC,
    ),
    setup_route(
        "/elections/{election_id:int}/candidates/read-aloud",
        read_aloud_again,
        name="ballots:read_aloud_again",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
]
