"""The roll of voters (选民名单, OL2025 Art 16-17): built from the registry, published,
corrected by objections decided with reasons, frozen once voting opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.actors import Actor
from app.audit.services import record
from app.i18n import gettext_
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person
from ballots.exceptions import ElectionError, InvalidElectionInput, ObjectionRefused, RollFrozen
from ballots.models import Election, Objection, RollEntry, Stage
from ballots.setup import rules as setup_rules
from ballots.setup.stages import profile_for

MAX_OBJECTION_TEXT = 1000
MAX_REASON_TEXT = 1000


def _require_roll_changeable(election: Election) -> None:
    problem = setup_rules.roll_change_problem(election.stage)
    if problem:
        raise RollFrozen(problem)


def _eligible(election: Election, person: Person) -> bool:
    return setup_rules.is_adult_on(
        person.birth_year, person.birth_month, election.election_day
    ) and setup_rules.in_electorate(
        election.electorate,
        election.group_id,
        {m.group_id for m in person.memberships},
        person.is_association_member,
    )


def build_roll(session: Session, actor: Actor, election: Election) -> int:
    """(Re)build the draft roll: every active person of the village eligible on election
    day, in the election's electorate. Returns the number of voters."""
    problem = setup_rules.rebuild_problem(election.stage)
    if problem:
        raise RollFrozen(problem)
    people = session.scalars(
        select(Person)
        .where(Person.village_id == election.village_id, Person.active.is_(True))
        .options(selectinload(Person.memberships))
        .order_by(Person.id)
    )
    eligible = [p for p in people if _eligible(election, p)]
    session.execute(delete(RollEntry).where(RollEntry.election_id == election.id))
    session.add_all(
        RollEntry(election_id=election.id, person_id=p.id, category=p.residence) for p in eligible
    )
    session.flush()
    record(
        session,
        actor,
        "election.roll_build",
        "election",
        election.id,
        {"voters": len(eligible), "election_day": election.election_day.isoformat()},
        village_id=election.village_id,
    )
    return len(eligible)


@dataclass(frozen=True)
class RollRow:
    entry: RollEntry
    person: Person
    group: str  # the person's villagers' group, or ""
    household: str


def _group_names(session: Session, village_id: int) -> dict[int, str]:
    return dict(
        session.execute(
            select(Group.id, Group.name).where(
                Group.village_id == village_id, Group.kind == GroupKind.VILLAGERS
            )
        ).all()
    )


def roll_rows(
    session: Session,
    election: Election,
    *,
    include_struck: bool = True,
    q: str = "",
    offset: int = 0,
    limit: int | None = None,
) -> list[RollRow]:
    """The roll sorted by villagers' group, household and roll number (how it is posted)."""
    membership = aliased(GroupMembership)
    group = aliased(Group)
    stmt = (
        select(RollEntry, Person, Household.number, group.name)
        .join(Person, Person.id == RollEntry.person_id)
        .join(Household, Household.id == Person.household_id)
        # At most one villagers' group per person (unique person/kind): no duplicates.
        .outerjoin(
            membership,
            and_(membership.person_id == Person.id, membership.kind == GroupKind.VILLAGERS),
        )
        .outerjoin(group, group.id == membership.group_id)
        .where(RollEntry.election_id == election.id)
        .order_by(func.coalesce(group.name, ""), Household.number, Person.roll_number)
    )
    if not include_struck:
        stmt = stmt.where(RollEntry.struck.is_(False))
    if q:
        stmt = stmt.where(Person.name.contains(q, autoescape=True))
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        RollRow(entry, person, group_name or "", household)
        for entry, person, household, group_name in session.execute(stmt).all()
    ]


def roll_count(
    session: Session, election: Election, *, q: str = "", include_struck: bool = True
) -> int:
    """How many rows the roll has; without `include_struck`, how many voters it has (those
    struck off after an upheld objection are no longer voters: the public roll, turnout
    and count leave them out, and so does every figure shown)."""
    stmt = (
        select(func.count())
        .select_from(RollEntry)
        .join(Person, Person.id == RollEntry.person_id)
        .where(RollEntry.election_id == election.id)
    )
    if not include_struck:
        stmt = stmt.where(RollEntry.struck.is_(False))
    if q:
        stmt = stmt.where(Person.name.contains(q, autoescape=True))
    return int(session.scalar(stmt) or 0)


def live_entry(session: Session, election: Election, person_id: int) -> RollEntry | None:
    """The person's roll entry when they are on the roll (not struck)."""
    return session.scalar(
        select(RollEntry).where(
            RollEntry.election_id == election.id,
            RollEntry.person_id == person_id,
            RollEntry.struck.is_(False),
        )
    )


# --- objections (Art 17) ----------------------------------------------------------------


def objections(session: Session, election: Election) -> list[Objection]:
    return list(
        session.scalars(
            select(Objection)
            .where(Objection.election_id == election.id)
            .order_by(Objection.filed_on, Objection.id)
        )
    )


def objection_asks_removal(session: Session, election: Election, objection: Objection) -> bool:
    """An objection about someone on the roll asks to strike them; about someone missing
    (or struck), to add them. One open objection per person keeps this unambiguous."""
    return objection.person_id is not None and (
        live_entry(session, election, objection.person_id) is not None
    )


def file_objection(
    session: Session,
    actor: Actor,
    election: Election,
    *,
    person_id: int | None,
    filed_by: str,
    text: str,
    today: date,
) -> Objection:
    """Record an objection to the published roll, within the objection period."""
    problem = setup_rules.objection_filing_problem(
        election.stage, election.roll_published_on, today, profile_for(election)
    )
    if problem:
        raise ObjectionRefused(problem)
    errors: dict[str, str] = {}
    if not filed_by.strip():
        errors["filed_by"] = gettext_("请填写提出异议的人。")
    if not text.strip():
        errors["text"] = gettext_("请写明异议的内容，例如：谁漏登了、谁不应登记、为什么。")
    elif len(text) > MAX_OBJECTION_TEXT:
        errors["text"] = gettext_("异议内容最多 %(n)s 个字。", n=MAX_OBJECTION_TEXT)
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or person.village_id != election.village_id:
            errors["person_id"] = gettext_("请从本村村民中选择异议涉及的人。")
        elif _open_objection_about(session, election, person_id):
            errors["person_id"] = gettext_(
                "关于%(name)s已经有一件异议还没答复，请先答复那一件。", name=person.name
            )
    if errors:
        raise InvalidElectionInput(errors)
    objection = Objection(
        election_id=election.id,
        person_id=person_id,
        filed_by=filed_by.strip(),
        filed_on=today,
        text=text.strip(),
    )
    session.add(objection)
    session.flush()
    record(
        session,
        actor,
        "election.objection_file",
        "roll_objection",
        objection.id,
        {"election": election.id, "person": person_id, "filed_on": today.isoformat()},
        village_id=election.village_id,
    )
    return objection


def _open_objection_about(session: Session, election: Election, person_id: int) -> bool:
    found = session.scalar(
        select(Objection.id).where(
            Objection.election_id == election.id,
            Objection.person_id == person_id,
            Objection.decided_on.is_(None),
        )
    )
    return found is not None


def decide_objection(
    session: Session,
    actor: Actor,
    objection: Objection,
    *,
    upheld: bool,
    reason: str,
    today: date,
) -> str:
    """Decide an objection with reasons. Upheld, it strikes the person from the roll or
    adds them. Returns what changed on the roll: "struck", "added" or "none"."""
    election = session.get(Election, objection.election_id)
    assert election is not None
    if objection.decided_on is not None:
        raise ObjectionRefused(gettext_("这件异议已经答复过了，不能再改。"))
    _require_roll_changeable(election)
    reason = reason.strip()
    if not reason:
        raise InvalidElectionInput({"reason": gettext_("请写明答复的理由。")})
    if len(reason) > MAX_REASON_TEXT:
        raise InvalidElectionInput({"reason": gettext_("理由最多 %(n)s 个字。", n=MAX_REASON_TEXT)})
    change = "none"
    if upheld and objection.person_id is not None:
        change = _apply(session, election, objection.person_id, reason)
    objection.upheld = upheld
    objection.decision_reason = reason
    objection.decided_on = today
    session.flush()
    record(
        session,
        actor,
        "election.objection_decide",
        "roll_objection",
        objection.id,
        {"election": election.id, "upheld": upheld, "roll_change": change, "reason": reason},
        village_id=election.village_id,
    )
    return change


def _apply(session: Session, election: Election, person_id: int, reason: str) -> str:
    entry = session.scalar(
        select(RollEntry).where(
            RollEntry.election_id == election.id, RollEntry.person_id == person_id
        )
    )
    if entry is not None and not entry.struck:
        entry.struck = True
        entry.note = reason
        return "struck"
    person = session.get(Person, person_id)
    assert person is not None
    if not setup_rules.is_adult_on(person.birth_year, person.birth_month, election.election_day):
        raise ElectionError(
            gettext_(
                "%(name)s 到选举日（%(day)s）不满 18 周岁，不能列入选民名单。"
                "如果出生年月登记错了，请先在村民登记里改正。",
                name=person.name,
                day=election.election_day.isoformat(),
            )
        )
    if entry is None:
        session.add(
            RollEntry(
                election_id=election.id, person_id=person_id, category=person.residence, note=reason
            )
        )
    else:
        entry.struck = False
        entry.note = reason
    return "added"


def decided_objections(session: Session, election: Election) -> list[tuple[Objection, str]]:
    """Decisions as published beside the roll: each with the name it concerns."""
    rows = session.execute(
        select(Objection, Person.name)
        .outerjoin(Person, Person.id == Objection.person_id)
        .where(Objection.election_id == election.id, Objection.decided_on.is_not(None))
        .order_by(Objection.decided_on, Objection.id)
    ).all()
    return [(objection, name or "") for objection, name in rows]


def is_published(election: Election) -> bool:
    return election.stage is not Stage.DRAFT and election.roll_published_on is not None


# --- finding a person by the name someone typed ------------------------------------------


@dataclass(frozen=True)
class PersonChoice:
    """A person who answers to a typed name, with what tells namesakes apart."""

    person_id: int
    name: str
    group: str
    born: str


def people_named(
    session: Session, election: Election, name: str, *, on_roll: bool
) -> list[PersonChoice]:
    """People of the village with exactly this name; `on_roll`: only live roll entries."""
    stmt = select(Person).where(Person.village_id == election.village_id, Person.name == name)
    if on_roll:
        stmt = stmt.join(RollEntry, RollEntry.person_id == Person.id).where(
            RollEntry.election_id == election.id, RollEntry.struck.is_(False)
        )
    people = list(session.scalars(stmt.options(selectinload(Person.memberships))))
    names = _group_names(session, election.village_id)
    choices = []
    for person in sorted(people, key=lambda p: p.roll_number):
        villagers = [m.group_id for m in person.memberships if m.kind is GroupKind.VILLAGERS]
        choices.append(
            PersonChoice(
                person.id,
                person.name,
                names.get(villagers[0], "") if villagers else "",
                f"{person.birth_year:04d}-{person.birth_month:02d}",
            )
        )
    return choices


def pick_person(
    session: Session, election: Election, name: str, chosen_id: int | None, *, on_roll: bool
) -> tuple[int | None, list[PersonChoice], str | None]:
    """(person id, namesakes to choose from, message) for a typed name.

    One match is taken; several ask the user to choose (the chosen id must be one of
    them); none says so in words that tell what to check.
    """
    choices = people_named(session, election, name, on_roll=on_roll)
    if len(choices) == 1:
        return choices[0].person_id, [], None
    if not choices:
        if on_roll:
            message = gettext_(
                "选民名单上没有叫“%(name)s”的人，请核对名字（要和名单上的写法一样）。", name=name
            )
        else:
            message = gettext_(
                "本村登记里没有叫“%(name)s”的村民。漏登的村民请先在村民登记里添加。", name=name
            )
        return None, [], message
    if chosen_id in {c.person_id for c in choices}:
        return chosen_id, choices, None
    return (
        None,
        choices,
        gettext_("叫“%(name)s”的有 %(n)s 位，请在下面选定是哪一位。", name=name, n=len(choices)),
    )
