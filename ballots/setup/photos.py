"""Candidates' photos on the ballot: added, replaced or taken off by an organizer while
the candidates are published and voting in the round has not opened, and read for
every page that shows the ballot (each candidate's number, photo and name).

A photo belongs to the election and the name on the ballot, so a further round's
ballot shows the same face. Records are never changed: a replacement is a new record,
taking a photo off is a record without an image, and the newest for a name counts.
Pages address a photo by its SHA-256 (a new photo, a new address), so a phone keeps it
for good.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ScalarSelect, exists, select
from sqlalchemy.orm import Session, aliased

from app.actors import Actor
from app.audit.services import record
from app.i18n import gettext_, lazy
from ballots.exceptions import PhotoRefused
from ballots.models import Candidate, CandidatePhoto, Election, Round, RoundStatus, Stage
from ballots.setup.portrait import make_portrait
from ballots.setup.stages import latest_round


@dataclass(frozen=True)
class BallotFace:
    """A candidate as the ballot shows them: the number (1, 2, 3 … in ballot order), the
    name, and the photo's SHA-256 ("" when there is none)."""

    number: int
    name: str
    photo: str = ""


def _newest_sha(election_id: object, name: object) -> ScalarSelect[str]:
    """The newest photo record's SHA-256 for a name ("" when it was taken off)."""
    return (
        select(CandidatePhoto.sha256)
        .where(CandidatePhoto.election_id == election_id, CandidatePhoto.name == name)
        .order_by(CandidatePhoto.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def ballot_faces(session: Session, round_: Round) -> list[BallotFace]:
    """The round's ballot, in ballot order, with each candidate's photo: one statement."""
    rows = session.execute(
        select(Candidate.name, _newest_sha(round_.election_id, Candidate.name))
        .where(Candidate.round_id == round_.id, Candidate.withdrawn.is_(False))
        .order_by(Candidate.position)
    ).all()
    return [BallotFace(n, name, sha or "") for n, (name, sha) in enumerate(rows, start=1)]


def photo_shas(session: Session, election_id: int, names: Collection[str]) -> dict[str, str]:
    """The photo's SHA-256 for each name that has one now."""
    if not names:
        return {}
    rows = session.execute(
        select(CandidatePhoto.name, CandidatePhoto.sha256)
        .where(CandidatePhoto.election_id == election_id, CandidatePhoto.name.in_(list(names)))
        .order_by(CandidatePhoto.id)
    ).all()
    newest = dict(rows)  # later rows win
    return {name: sha for name, sha in newest.items() if sha}


def photo_image(session: Session, sha256: str) -> bytes | None:
    """The JPEG with this SHA-256 while it is some candidate's photo now: a photo replaced
    or taken off (a wrong picture, say) is no longer served."""
    if len(sha256) != 64:
        return None
    newer = aliased(CandidatePhoto)
    return session.scalar(
        select(CandidatePhoto.image)
        .where(
            CandidatePhoto.sha256 == sha256,
            CandidatePhoto.image.is_not(None),
            ~exists().where(
                newer.election_id == CandidatePhoto.election_id,
                newer.name == CandidatePhoto.name,
                newer.id > CandidatePhoto.id,
            ),
        )
        .limit(1)
    )


def photo_problem(session: Session, election: Election, candidate: Candidate) -> str | None:
    """Why this candidate's photo may not change now (in Chinese), or None when it may:
    from the publication of the candidates until voting in their round opens."""
    current = latest_round(session, election)
    if (
        election.stage is not Stage.CANDIDATES_PUBLISHED
        or current is None
        or current.id != candidate.round_id
        or current.status is not RoundStatus.PENDING
    ):
        return gettext_("只有在候选人公布以后、这一轮投票开始以前，才能上传或更换照片。")
    if candidate.withdrawn:
        return gettext_("%(name)s 已经退出，不在选票上，不需要照片。", name=candidate.name)
    return None


def _check(session: Session, election: Election, candidate: Candidate) -> None:
    # Hold the candidate's round as it is until the photo is written, so voting cannot
    # open in between (PostgreSQL: FOR SHARE waits for, and blocks, the opening's UPDATE;
    # SQLite's single writer already keeps them apart), and read its status afresh.
    session.execute(
        select(Round)
        .where(Round.id == candidate.round_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).all()
    problem = photo_problem(session, election, candidate)
    if problem is not None:
        raise PhotoRefused(problem)


def set_photo(
    session: Session, actor: Actor, election: Election, candidate: Candidate, upload: bytes
) -> CandidatePhoto:
    """Add or replace the candidate's photo: the upload re-encoded (ballots.setup.portrait),
    or PhotoRefused saying why, with nothing written."""
    _check(session, election, candidate)
    image = make_portrait(upload)
    sha = hashlib.sha256(image).hexdigest()
    return _store_and_audit(
        session, actor, election, candidate, image, sha, "election.candidate_photo"
    )


def remove_photo(
    session: Session, actor: Actor, election: Election, candidate: Candidate
) -> CandidatePhoto:
    """Take the candidate's photo off the ballot (a record without an image)."""
    _check(session, election, candidate)
    if not photo_shas(session, election.id, [candidate.name]):
        raise PhotoRefused(lazy("%(name)s 还没有照片。"), name=candidate.name)
    return _store_and_audit(
        session, actor, election, candidate, None, "", "election.candidate_photo_remove"
    )


def _store_and_audit(
    session: Session,
    actor: Actor,
    election: Election,
    candidate: Candidate,
    image: bytes | None,
    sha: str,
    action: str,
) -> CandidatePhoto:
    photo = CandidatePhoto(
        election_id=election.id,
        name=candidate.name,
        image=image,
        sha256=sha,
        uploaded_by_id=actor.user_id,
    )
    session.add(photo)
    session.flush()
    summary: dict[str, object] = {"election": election.id, "name": candidate.name}
    if image is not None:
        summary.update({"sha256": sha, "bytes": len(image)})
    record(
        session,
        actor,
        action,
        "candidate_photo",
        photo.id,
        summary,
        village_id=election.village_id,
    )
    return photo
