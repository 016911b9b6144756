"""Creating and editing elections, and listing a village's. Services take a session and
an actor and never commit (the stages, the roll and the candidates are their own modules
of ballots.setup)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.drill import mark_session, new_marker, remove_rows, rows_below
from app.i18n import gettext_, lazy
from app.registry.models import Group, GroupKind
from app.sealed_box import services as sealed_box
from ballots.exceptions import InvalidElectionInput, NotADrill, RollFrozen
from ballots.models import Election, Electorate, Office, Round, Stage
from ballots.rules import PROFILES
from ballots.setup import rules as setup_rules
from ballots.setup.roll import build_roll, roll_count
from slips.models import Assembly
from slips.services import assembly_drill_problem, remove_drill_assembly


def _check(
    session: Session,
    *,
    village_id: int,
    office: Office,
    office_label: str,
    electorate: Electorate,
    group_id: int | None,
    profile_name: str,
    overrides: dict[str, Any],
    assembly_id: int | None,
    drill: bool,
) -> dict[str, str]:
    """Per-field problems that need the database (the form checked the shapes)."""
    errors: dict[str, str] = {}
    if profile_name not in PROFILES:
        errors["profile_name"] = gettext_("请从列表里选择选举规则。")
    else:
        try:
            PROFILES[profile_name].with_overrides(overrides)
        except (TypeError, ValueError):
            errors["profile_name"] = gettext_("规则参数有误，请检查后重新填写。")
    group = session.get(Group, group_id) if group_id is not None else None
    if group_id is not None and (group is None or group.village_id != village_id):
        errors["group_id"] = gettext_("所选的小组不属于本村，请从列表里重新选择。")
    needs_group = electorate is Electorate.GROUP or office is Office.GROUP_LEADER
    if needs_group and group_id is None:
        errors["group_id"] = gettext_("小组长选举和小组选民，都要选择是哪个小组。")
    if office is Office.OTHER and not office_label:
        errors["office_label"] = gettext_("请写明职务名称，例如：计生协会副会长。")
    if assembly_id is not None:
        assembly = session.get(Assembly, assembly_id)
        if assembly is None or assembly.village_id != village_id:
            errors["assembly_id"] = gettext_("所选的投票大会不属于本村，请重新选择。")
        elif assembly.drill != drill:
            errors["assembly_id"] = assembly_drill_problem(drill)
    if group is not None and group.kind is GroupKind.WOMEN and office is Office.GROUP_LEADER:
        errors["group_id"] = gettext_("育龄妇女小组只用于讨论，不选小组长，请换一个小组。")
    return errors


def create_election(
    session: Session,
    actor: Actor,
    *,
    village_id: int,
    title: str,
    office: Office,
    office_label: str,
    electorate: Electorate,
    group_id: int | None,
    seats: int,
    profile_name: str,
    overrides: dict[str, Any],
    election_day: date,
    assembly_id: int | None = None,
    drill_day_seconds: int | None = None,
) -> Election:
    """A new election in draft. Raises InvalidElectionInput (per field) before writing.

    With `drill_day_seconds` it is a drill (app.drill): its clock starts now, and every
    audit entry of this transaction is marked drill."""
    errors = _check(
        session,
        village_id=village_id,
        office=office,
        office_label=office_label,
        electorate=electorate,
        group_id=group_id,
        profile_name=profile_name,
        overrides=overrides,
        assembly_id=assembly_id,
        drill=drill_day_seconds is not None,
    )
    if seats < 1:
        errors["seats"] = gettext_("应选人数至少是 1。")
    if not title.strip():
        errors["title"] = gettext_("请填写选举名称。")
    if actor.user_id is None:
        errors["__all__"] = gettext_("请先登录。")
    if errors:
        raise InvalidElectionInput(errors)
    assert actor.user_id is not None
    election = Election(
        village_id=village_id,
        title=title.strip(),
        office=office,
        office_label=office_label,
        electorate=electorate,
        group_id=group_id
        if electorate is Electorate.GROUP or office is Office.GROUP_LEADER
        else None,
        seats=seats,
        profile_name=profile_name,
        profile_overrides=setup_rules.canonical_overrides(overrides),
        election_day=election_day,
        stage=Stage.DRAFT,
        assembly_id=assembly_id,
        created_by_id=actor.user_id,
        **new_marker(drill_day_seconds),
    )
    if election.is_drill:
        mark_session(session)
    session.add(election)
    session.flush()
    record(
        session,
        actor,
        "election.create",
        "election",
        election.id,
        _summary(election),
        village_id=village_id,
    )
    return election


def update_election(
    session: Session,
    actor: Actor,
    election: Election,
    *,
    title: str,
    seats: int,
    election_day: date,
    profile_name: str,
    overrides: dict[str, Any],
) -> None:
    """Change a draft election. A roll already built is rebuilt: who is 18 depends on
    the election day."""
    if election.stage is not Stage.DRAFT:
        raise RollFrozen(gettext_("选民名单已经公示，选举的基本信息不能再修改。"))
    errors = _check(
        session,
        village_id=election.village_id,
        office=election.office,
        office_label=election.office_label,
        electorate=election.electorate,
        group_id=election.group_id,
        profile_name=profile_name,
        overrides=overrides,
        assembly_id=election.assembly_id,
        drill=election.is_drill,
    )
    if seats < 1:
        errors["seats"] = gettext_("应选人数至少是 1。")
    if not title.strip():
        errors["title"] = gettext_("请填写选举名称。")
    if errors:
        raise InvalidElectionInput(errors)
    before = _summary(election)
    election.title = title.strip()
    election.seats = seats
    election.election_day = election_day
    election.profile_name = profile_name
    election.profile_overrides = setup_rules.canonical_overrides(overrides)
    session.flush()
    after = _summary(election)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    record(
        session,
        actor,
        "election.update",
        "election",
        election.id,
        changed,
        village_id=election.village_id,
    )
    if roll_count(session, election):
        build_roll(session, actor, election)


def _summary(election: Election) -> dict[str, Any]:
    return {
        "title": election.title,
        "office": election.office.value,
        "office_label": election.office_label,
        "electorate": election.electorate.value,
        "group": election.group_id,
        "seats": election.seats,
        "profile": election.profile_name,
        "overrides": election.profile_overrides,
        "election_day": election.election_day.isoformat(),
        "drill_day_seconds": election.drill_day_seconds,
    }


def village_elections(session: Session, village_id: int) -> list[Election]:
    return list(
        session.scalars(
            select(Election)
            .where(Election.village_id == village_id)
            .order_by(Election.election_day.desc(), Election.id.desc())
        )
    )


def remove_drill(session: Session, actor: Actor, election: Election) -> dict[str, int]:
    """Remove a drill election (app.drill), finished or abandoned, with everything it made:
    rounds, roll, credentials, cast ballots, receipts, results, its sealed boxes, and its
    drill assembly with the slips once nothing else uses it. Refused for a real election.

    The audit entries stay (the chain must not break): they are marked drill, and this
    removal is one more entry, written before the rows go. Returns rows removed by table.
    """
    if not election.is_drill:
        raise NotADrill(lazy("只有演练可以删除。正式的选举是永久的记录，不能删除。"))
    mark_session(session)
    rounds = list(session.scalars(select(Round.id).where(Round.election_id == election.id)))
    assembly = session.get(Assembly, election.assembly_id) if election.assembly_id else None
    found = rows_below(session, "election", [election.id])
    record(
        session,
        actor,
        "election.drill_remove",
        "election",
        election.id,
        {
            "title": election.title,
            "removed": {name: len(keys) for name, keys in sorted(found.items())},
        },
        village_id=election.village_id,
    )
    for round_id in rounds:
        sealed_box.remove(session, sealed_box.ELECTION_ROUND, round_id)
    removed = remove_rows(session, "election", [election.id])
    if assembly is not None:
        remove_drill_assembly(session, actor, assembly)
    return removed
