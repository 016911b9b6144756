"""Nominations and candidates (OL2025 Art 18): nominated by registered voters (through
their QR slip, or on paper entered by an organizer) or by the village Party
organization; candidates chosen by nomination count and more than the seats (差额)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.drill import today_of
from app.i18n import gettext_, join_list
from app.registry.models import Group, GroupKind, GroupMembership, Person
from ballots.exceptions import (
    AlreadyNominated,
    CandidatesRefused,
    NominationRefused,
    StageBlocked,
    TieAtCut,
)
from ballots.models import (
    Candidate,
    Election,
    Entrustment,
    Nomination,
    RollEntry,
    Round,
    RoundKind,
    Stage,
)
from ballots.setup import rules as setup_rules
from ballots.setup.roll import live_entry
from ballots.setup.rules import NomineeTally
from ballots.setup.speech import SpeechEngine, speak_round
from ballots.setup.stages import advance, latest_round, new_round, pending_round, round_candidates

PARTY = "party"  # the village Party organization, as a nominator
VILLAGER_ACTOR = Actor(label="villager (QR slip)")


def _require_stage(election: Election) -> None:
    if election.stage is not Stage.NOMINATIONS:
        raise NominationRefused(
            gettext_(
                "现在不是提名阶段（现在是“%(stage)s”），不能提名。",
                stage=setup_rules.STAGE_LABELS[election.stage],
            )
        )


def _audit_actor(actor: Actor | None, election: Election) -> Actor:
    if actor is not None:
        return actor
    return Actor(label=VILLAGER_ACTOR.label, village_id=election.village_id)


def add_nomination(
    session: Session,
    actor: Actor | None,
    election: Election,
    *,
    nominee_person_id: int | None = None,
    nominee_name: str | None = None,
    nominator_key: str,
) -> Nomination:
    """One nomination. `actor` is None when a villager nominates through their slip.

    A nominee named by person must be on this election's roll; a written name (only
    from paper) is kept as written. A nominator names a nominee at most once.
    """
    _require_stage(election)
    if nominee_person_id is not None:
        person = session.get(Person, nominee_person_id)
        if person is None or live_entry(session, election, nominee_person_id) is None:
            raise NominationRefused(gettext_("被提名的人必须在这次选举的选民名单上。"))
        name, key = person.name, setup_rules.person_key(person.id)
    else:
        name = (nominee_name or "").strip()
        if not name or len(name) > 50:
            raise NominationRefused(gettext_("请写清被提名人的姓名（最多 50 个字）。"))
        key = setup_rules.name_key(name)
    exists = session.scalar(
        select(Nomination.id).where(
            Nomination.election_id == election.id,
            Nomination.nominator_key == nominator_key,
            Nomination.nominee_key == key,
        )
    )
    if exists is not None:
        raise AlreadyNominated(
            gettext_("这位提名人已经提名过%(name)s，同一人只算一次。", name=name)
        )
    nomination = Nomination(
        election_id=election.id,
        nominee_person_id=nominee_person_id,
        nominee_name=name,
        nominee_key=key,
        nominator_key=nominator_key,
        entered_by_id=actor.user_id if actor is not None else None,
        created_on=today_of(election),
    )
    session.add(nomination)
    session.flush()
    record(
        session,
        _audit_actor(actor, election),
        "election.nomination_add",
        "nomination",
        nomination.id,
        {"election": election.id, "nominee": key, "nominator": nominator_key},
        village_id=election.village_id,
    )
    return nomination


def villager_nominations(session: Session, election: Election, entry: RollEntry) -> list[str]:
    """Names this voter has nominated (through the slip), for the 'once' rule."""
    return list(
        session.scalars(
            select(Nomination.nominee_name)
            .where(
                Nomination.election_id == election.id,
                Nomination.nominator_key == f"roll:{entry.id}",
            )
            .order_by(Nomination.id)
        )
    )


def nominate_as_villager(
    session: Session, election: Election, entry: RollEntry, person_ids: list[int]
) -> list[Nomination]:
    """A voter on the roll nominates up to `seats` people, once (all in one go)."""
    _require_stage(election)
    # Serialize one voter's submissions (PostgreSQL); SQLite writers already queue.
    session.get(RollEntry, entry.id, with_for_update=True)
    if entry.election_id != election.id or entry.struck:
        raise NominationRefused(gettext_("您不在这次选举的选民名单上，不能提名。"))
    if villager_nominations(session, election, entry):
        raise AlreadyNominated(gettext_("您已经提名过了，每位选民只能提名一次。"))
    unique = list(dict.fromkeys(person_ids))
    if not unique:
        raise NominationRefused(gettext_("请至少提名一人。"))
    if len(unique) > election.seats:
        raise NominationRefused(
            gettext_("这次选举应选 %(seats)s 人，最多只能提名 %(seats)s 人。", seats=election.seats)
        )
    return [
        add_nomination(
            session, None, election, nominee_person_id=pid, nominator_key=f"roll:{entry.id}"
        )
        for pid in unique
    ]


def tally_nominations(session: Session, election: Election) -> list[NomineeTally]:
    """Each nominee with their nomination count, most first."""
    rows = session.execute(
        select(Nomination.nominee_key, func.max(Nomination.nominee_name), func.count())
        .where(Nomination.election_id == election.id)
        .group_by(Nomination.nominee_key)
    ).all()
    return setup_rules.ranked([NomineeTally(key, name, int(n)) for key, name, n in rows])


def _hint(session: Session, person_id: int | None) -> str:
    """What tells two people of the same name apart on a ballot: their villagers' group."""
    if person_id is None:
        return ""
    name = session.scalar(
        select(Group.name)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.person_id == person_id, GroupMembership.kind == GroupKind.VILLAGERS)
    )
    if name:
        return name
    return session.scalar(select(Person.roll_number).where(Person.id == person_id)) or ""


def _ballot_names(session: Session, chosen: list[NomineeTally]) -> dict[str, str]:
    entries = [
        (t.nominee_key, t.name, _hint(session, setup_rules.person_id_of(t.nominee_key)))
        for t in chosen
    ]
    return setup_rules.ballot_names(entries)


def _refuse_proxies_as_candidates(
    session: Session, election: Election, chosen: Collection[NomineeTally]
) -> None:
    """Art 18: a candidate may not hold anyone's entrustment. Entrustments accepted before
    the nomination must be revoked (and the voter may entrust someone else) first."""
    person_ids = [
        pid for t in chosen if (pid := setup_rules.person_id_of(t.nominee_key)) is not None
    ]
    if not person_ids:
        return
    proxies = session.scalars(
        select(Person.name)
        .join(RollEntry, RollEntry.person_id == Person.id)
        .join(Entrustment, Entrustment.proxy_entry_id == RollEntry.id)
        .where(
            Entrustment.election_id == election.id,
            Entrustment.revoked_at.is_(None),
            Person.id.in_(person_ids),
        )
        .distinct()
        .order_by(Person.name)
    ).all()
    if proxies:
        raise CandidatesRefused(
            gettext_(
                "%(names)s 接受了别人的委托投票，候选人不能当受托人。请先撤销这些委托（委托人可以另行委托他人），再确定候选人。",
                names=join_list(proxies),
            )
        )


def publish_candidates(
    session: Session,
    actor: Actor,
    election: Election,
    today: date,
    count: int,
    *,
    picked_at_cut: Collection[str] = (),
    speech: SpeechEngine | None = None,
) -> list[Candidate]:
    """List the `count` most-nominated as round 1's candidates and publish the list.

    `count` must exceed the seats (差额). When nominees are tied across the cut the
    organizer picks among them (`picked_at_cut`, nominee keys); otherwise TieAtCut says
    who is tied and what the choices are. Nothing is written when refused. With a
    `speech` engine the ballot is read aloud too (ballots.setup.speech; its failure
    does not stop the publication).
    """
    if election.stage is not Stage.NOMINATIONS:
        raise StageBlocked([gettext_("只有在提名阶段才能确定候选人。")], ["transition_not_allowed"])
    tally = tally_nominations(session, election)
    problem = setup_rules.candidate_count_problem(count, election.seats, len(tally))
    if problem:
        raise CandidatesRefused(problem)
    selection = setup_rules.select_candidates(tally, count, picked_at_cut)
    if not selection.decided:
        raise TieAtCut(
            setup_rules.tie_message(selection, count, election.seats),
            [t.nominee_key for t in selection.tied],
            selection.places,
        )
    _refuse_proxies_as_candidates(session, election, selection.chosen)
    round_ = pending_round(session, election) or new_round(
        session, election, RoundKind.FIRST, election.seats
    )
    names = _ballot_names(session, selection.chosen)
    candidates = [
        Candidate(
            round_id=round_.id,
            person_id=setup_rules.person_id_of(t.nominee_key),
            name=names[t.nominee_key],
            position=index,
            nominations=t.nominations,
        )
        for index, t in enumerate(selection.chosen, start=1)
    ]
    session.add_all(candidates)
    session.flush()
    record(
        session,
        actor,
        "election.candidates_publish",
        "election",
        election.id,
        {"round": round_.number, "candidates": [c.name for c in candidates], "count": count},
        village_id=election.village_id,
    )
    advance(session, actor, election, Stage.CANDIDATES_PUBLISHED, today)
    speak_round(session, actor, speech, round_)
    return candidates


def withdraw_candidate(
    session: Session,
    actor: Actor,
    candidate: Candidate,
    reason: str,
    *,
    replacement_key: str | None = None,
    speech: SpeechEngine | None = None,
) -> Candidate | None:
    """A candidate withdraws before voting; the next nominee by nomination count takes
    the place. Returns the replacement (None when no nominee is left). A tie for the
    place is decided by the organizer (`replacement_key`). With a `speech` engine the
    changed ballot is read aloud again."""
    reason = reason.strip()
    if not reason:
        raise CandidatesRefused(gettext_("请写明退出的原因，例如：本人书面申请退出。"))
    round_ = session.get(Round, candidate.round_id)
    assert round_ is not None
    election = session.get(Election, round_.election_id)
    assert election is not None
    current = latest_round(session, election)
    if (
        election.stage is not Stage.CANDIDATES_PUBLISHED
        or current is None
        or current.id != round_.id
    ):
        raise CandidatesRefused(
            gettext_("投票已经开始（或候选人还没有公布），候选人名单不能再变动。")
        )
    if candidate.withdrawn:
        raise CandidatesRefused(gettext_("%(name)s 已经退出了。", name=candidate.name))
    replacement = _replacement(session, election, round_, replacement_key)
    candidate.withdrawn = True
    candidate.withdrawn_reason = reason
    session.flush()
    added: Candidate | None = None
    if replacement is not None:
        listed = round_candidates(session, round_, live_only=False)
        taken = {c.name for c in listed}
        hint = _hint(session, setup_rules.person_id_of(replacement.nominee_key))
        name = (
            replacement.name if replacement.name not in taken else f"{replacement.name}（{hint}）"
        )
        added = Candidate(
            round_id=round_.id,
            person_id=setup_rules.person_id_of(replacement.nominee_key),
            name=name,
            position=max(c.position for c in listed) + 1,
            nominations=replacement.nominations,
        )
        session.add(added)
        session.flush()
    record(
        session,
        actor,
        "election.candidate_withdraw",
        "candidate",
        candidate.id,
        {
            "election": election.id,
            "name": candidate.name,
            "reason": reason,
            "replacement": added.name if added else None,
        },
        village_id=election.village_id,
    )
    speak_round(session, actor, speech, round_)
    return added


def _listed_keys(session: Session, round_id: int) -> set[str]:
    keys: set[str] = set()
    for candidate in session.scalars(select(Candidate).where(Candidate.round_id == round_id)):
        if candidate.person_id is not None:
            keys.add(setup_rules.person_key(candidate.person_id))
        keys.add(setup_rules.name_key(candidate.name))
    return keys


def replacement_choices(session: Session, election: Election, round_id: int) -> list[NomineeTally]:
    """Who could take a withdrawn candidate's place (several: tied, organizer decides)."""
    tally = tally_nominations(session, election)
    return setup_rules.replacement_options(tally, _listed_keys(session, round_id))


def _replacement(
    session: Session, election: Election, round_: Round, replacement_key: str | None
) -> NomineeTally | None:
    options = replacement_choices(session, election, round_.id)
    if not options:
        return None
    if len(options) == 1:
        return options[0]
    chosen = [t for t in options if t.nominee_key == replacement_key]
    if chosen:
        return chosen[0]
    raise TieAtCut(
        gettext_(
            "接替的人选有并列：%(names)s 的提名数相同（%(votes)s 票）。请选定由谁接替。",
            names=join_list(t.name for t in options),
            votes=options[0].nominations,
        ),
        [t.nominee_key for t in options],
        1,
    )


def nominations_of(session: Session, election: Election) -> list[Nomination]:
    return list(
        session.scalars(
            select(Nomination).where(Nomination.election_id == election.id).order_by(Nomination.id)
        )
    )
