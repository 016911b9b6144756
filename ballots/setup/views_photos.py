"""Candidates' photos: the organizer's upload (or taking one off) beside each candidate
on the candidates page, and the photo itself, public, kept by phones for good."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from app.errors import NotFound
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.web import CACHED_FOR_GOOD, Ctx
from app.web import route as web_route
from ballots.exceptions import PhotoRefused
from ballots.paths import CANDIDATE, SETUP_ELECTION
from ballots.paths import setup_route as route
from ballots.setup.photos import photo_image, photo_problem, remove_photo, set_photo
from ballots.setup.portrait import PHOTO_TOO_LARGE
from ballots.setup.views_lists import candidates_page

PHOTO_FIELD = "photo"
SHA256 = re.compile(r"[0-9a-f]{64}")


def photo_error_key(candidate_id: int) -> str:
    """The errors key the candidates page shows beside the candidate's photo field."""
    return f"photo-{candidate_id}"


def candidate_photo(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    candidate = CANDIDATE.of(ctx)
    removing = ctx.field("action") == "remove"
    try:
        if removing:
            remove_photo(ctx.db, ctx.actor, found, candidate)
        else:
            upload = ctx.files.get(PHOTO_FIELD)
            set_photo(ctx.db, ctx.actor, found, candidate, upload.content if upload else b"")
    except PhotoRefused as error:
        # Beside the candidate's photo field, or above the list when the page shows none
        # now (voting opened, the candidate withdrew). 422: nothing is written.
        shown = photo_problem(ctx.db, found, candidate) is None
        key = photo_error_key(candidate.id) if shown else "__all__"
        return candidates_page(ctx, found, 422, errors={key: error.render_message()})
    if removing:
        ctx.flash(gettext_("已去掉 %(name)s 的照片。", name=candidate.name))
    else:
        ctx.flash(gettext_("已保存 %(name)s 的照片，选票上会显示。", name=candidate.name))
    return ctx.redirect("ballots:candidates", election_id=found.id)


def candidate_photo_too_large(ctx: Ctx) -> Response:
    """The upload was past what the request layer reads (app.web.MAX_REQUEST_BYTES): said
    beside the candidate's photo field, none of it read, nothing written."""
    found = SETUP_ELECTION.of(ctx)
    candidate = CANDIDATE.of(ctx)
    errors = {photo_error_key(candidate.id): str(PHOTO_TOO_LARGE)}
    return candidates_page(ctx, found, 413, errors=errors)


def photo(ctx: Ctx) -> Response:
    sha = ctx.path["sha256"]
    image = photo_image(ctx.db, sha) if SHA256.fullmatch(sha) else None
    if image is None:
        raise NotFound(lazy("没有这张照片。"))
    return Response(
        image,
        media_type="image/jpeg",
        headers={"Cache-Control": CACHED_FOR_GOOD, "ETag": f'"{sha}"'},
    )


def _routes() -> list[Any]:
    return [
        # Declared with app.web.route for its own answer to an oversized upload; it loads
        # what setup_route would (ballots.paths).
        web_route("/elections/{election_id:int}/candidates/{candidate_id:int}/photo",
                  candidate_photo, name="ballots:candidate_photo",
                  permission=Permission.ELECTION_MANAGE, methods=["POST"],
                  load=(SETUP_ELECTION, CANDIDATE), too_large=candidate_photo_too_large),
        route("/public/photos/{sha256}.jpg", photo, name="ballots:photo",
              permission=Permission.PUBLIC),
    ]  # fmt: skip


routes = _routes()
