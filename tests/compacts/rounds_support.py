"""A village ready for a deliberation round: a compact version, three groups of all three
kinds, members with QR slips of one assembly, an organizer and a group leader."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import SYSTEM, actor_for
from app.permissions import Role
from app.registry.models import Group, GroupKind, Person, Village
from app.registry.rules import today_in_china
from app.settings import Settings
from compacts.models import Compact, DeliberationRound, Version
from compacts.rounds import services as rounds
from compacts.text import parse
from slips.links import slip_token
from slips.models import Assembly
from slips.services import issue_slips
from tests import factories
from tests.ballots import factories_elections as fe

SOURCE = """为了让本村家家户户和睦相处，经村民讨论制定本公约。
# 总则
## 宗旨
本村村民共同遵守本公约。
## 邻里
邻里之间互相帮助。
# 附则
## 施行
本公约自村民会议通过之日起施行。
"""


def version_of(
    db: Session, compact: Compact, author: StaffUser, source: str = SOURCE, number: int = 1
) -> Version:
    version = Version(
        compact_id=compact.id,
        number=number,
        source=source,
        structure_json=parse(source).to_json(),
        sha256=hashlib.sha256(source.encode()).hexdigest(),
        author_id=author.id,
    )
    db.add(version)
    db.flush()
    return version


@dataclass
class Setting:
    village: Village
    organizer: StaffUser
    leader: StaffUser
    compact: Compact
    version: Version
    assembly: Assembly
    villagers: Group  # 村民小组: members[0..2]
    women: Group  # 育龄妇女小组: members[0] (also in `villagers`) and members[3]
    association: Group  # 协会联户组: nobody answers
    members: list[Person] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


def setting(db: Session, settings: Settings) -> Setting:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    leader = factories.staff(Role.GROUP_LEADER, village)
    villagers = factories.GroupFactory(village_id=village.id, name="第一村民小组")
    women = factories.GroupFactory(village_id=village.id, name="妇女小组", kind=GroupKind.WOMEN)
    association = factories.GroupFactory(
        village_id=village.id, name="老年协会联户组", kind=GroupKind.ASSOCIATION
    )
    members = fe.adults(village, 4)
    for index, name in enumerate(["李桂英", "王建国", "张秀兰", "赵春梅"]):
        members[index].name = name
    for person in members[:3]:
        factories.MembershipFactory(person_id=person.id, group_id=villagers.id)
    for person in (members[0], members[3]):
        factories.MembershipFactory(person_id=person.id, group_id=women.id, kind=GroupKind.WOMEN)
    assembly = fe.assembly(db, village, title="公约征求意见")
    slips = issue_slips(db, SYSTEM, assembly, [p.id for p in members], settings=settings)
    by_person = {s.person_id: slip_token(settings, s) for s in slips}
    compact = Compact(village_id=village.id, title="村规民约", created_by_id=organizer.id)
    db.add(compact)
    db.flush()
    version = version_of(db, compact, organizer)
    db.flush()
    return Setting(
        village,
        organizer,
        leader,
        compact,
        version,
        assembly,
        villagers,
        women,
        association,
        members,
        [by_person[p.id] for p in members],
    )


def open_round(db: Session, s: Setting, *, days: int = 7) -> DeliberationRound:
    return rounds.open_round(
        db,
        actor_for(s.organizer),
        s.compact,
        s.version,
        [s.villagers.id, s.women.id, s.association.id],
        today_in_china() + timedelta(days=days),
        s.assembly.id,
    )
