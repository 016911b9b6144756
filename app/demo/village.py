"""`cunyi demo`: a township with two villages, ~300 people, one account per role.

Names and households are generated from a fixed seed so every demo looks the same;
passwords are random per installation and written to `data/demo-signins.txt`.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.services import create_user
from app.actors import SYSTEM
from app.audit.services import record
from app.demo.plan import YEAR_TELLERS
from app.demo.planning import make_plan
from app.demo.year import run_year
from app.permissions import Role
from app.registry.models import (
    Group,
    GroupKind,
    GroupMembership,
    Household,
    Person,
    Residence,
    Sex,
    Township,
    Village,
)
from app.registry.rules import today_in_china
from app.settings import Settings

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_MALE = [
    "建国",
    "国强",
    "志明",
    "海涛",
    "永刚",
    "德华",
    "文斌",
    "春生",
    "长林",
    "宏伟",
    "子豪",
    "浩然",
]
GIVEN_FEMALE = [
    "秀英",
    "桂兰",
    "淑珍",
    "玉梅",
    "春花",
    "丽娟",
    "红霞",
    "晓燕",
    "雨欣",
    "思琪",
    "美玲",
    "慧敏",
]


@dataclass(frozen=True)
class DemoSignin:
    username: str
    password: str
    role: Role
    village: str | None


def _person_name(rng: random.Random, surname: str, sex: Sex) -> str:
    pool = GIVEN_MALE if sex is Sex.MALE else GIVEN_FEMALE
    return surname + rng.choice(pool)


def _build_village(
    session: Session, rng: random.Random, township: Township, code: str, name: str, households: int
) -> Village:
    village = Village(township=township, code=code, name=name)
    session.add(village)
    session.flush()
    groups = {
        GroupKind.VILLAGERS: [
            Group(village_id=village.id, kind=GroupKind.VILLAGERS, name=f"第{n}村民小组")
            for n in "一二三"
        ],
        GroupKind.WOMEN: [
            Group(village_id=village.id, kind=GroupKind.WOMEN, name=f"{n}组育龄妇女小组")
            for n in "一二三"
        ],
        GroupKind.ASSOCIATION: [
            Group(village_id=village.id, kind=GroupKind.ASSOCIATION, name=f"协会联户组{n}")
            for n in range(1, 5)
        ],
    }
    for kind_groups in groups.values():
        session.add_all(kind_groups)
    session.flush()
    roll = 0
    for index in range(households):
        household = Household(
            village_id=village.id,
            number=f"{index + 1:03d}",
            address=f"{name}{(index % 3) + 1}组{index + 1}号",
        )
        session.add(household)
        session.flush()
        surname = rng.choice(SURNAMES)
        villagers_group = groups[GroupKind.VILLAGERS][index % 3]
        women_group = groups[GroupKind.WOMEN][index % 3]
        association_group = groups[GroupKind.ASSOCIATION][index % 4]
        size = rng.choice([2, 3, 3, 4, 4, 5])
        for member in range(size):
            roll += 1
            sex = Sex.MALE if (member % 2 == 0) else Sex.FEMALE
            # The first two members are the adults who head the household.
            birth_year = rng.randint(1945, 1985) if member < 2 else rng.randint(1995, 2014)
            person = Person(
                village_id=village.id,
                household_id=household.id,
                roll_number=f"{code}-{roll:04d}",
                name=_person_name(rng, surname if member != 1 else rng.choice(SURNAMES), sex),
                sex=sex,
                birth_year=birth_year,
                birth_month=rng.randint(1, 12),
                residence=rng.choices(list(Residence), weights=[85, 12, 3])[0],
                is_household_representative=member == 0,
                is_villager_representative=member == 0 and index % 6 == 0,
                is_cadre=member == 0 and index % 25 == 0,
                is_association_member=member < 2 and index % 2 == 0,
            )
            session.add(person)
            session.flush()
            session.add(
                GroupMembership(
                    person_id=person.id, group_id=villagers_group.id, kind=GroupKind.VILLAGERS
                )
            )
            if sex is Sex.FEMALE and 1960 <= birth_year <= 2008:
                session.add(
                    GroupMembership(
                        person_id=person.id, group_id=women_group.id, kind=GroupKind.WOMEN
                    )
                )
            if person.is_association_member:
                session.add(
                    GroupMembership(
                        person_id=person.id,
                        group_id=association_group.id,
                        kind=GroupKind.ASSOCIATION,
                    )
                )
    return village


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(Township.id).limit(1)) is None


def build_demo(session: Session, settings: Settings | None = None) -> list[DemoSignin]:
    """The township; with `settings`, the first village also lives through this year
    (app.demo_year: an election, meetings, a compact, surveys) to fill its assessment."""
    rng = random.Random(20261128)
    township = Township(code="330110001", name="青山镇")
    session.add(township)
    session.flush()
    first = _build_village(session, rng, township, "001", "桃源村", 42)
    second = _build_village(session, rng, township, "002", "柳溪村", 40)
    record(
        session,
        SYSTEM,
        "demo.build",
        "township",
        township.id,
        {"villages": [first.name, second.name]},
        township_id=township.id,
    )
    accounts = [
        ("admin", "乡镇管理员", Role.TOWNSHIP_ADMIN, None),
        ("organizer", "周组织", Role.ORGANIZER, first),
        ("leader", "吴组长", Role.GROUP_LEADER, first),
        ("teller", "郑监票", Role.TELLER, first),
        ("recorder", "冯记录", Role.RECORDER, first),
        ("auditor", "陈监督", Role.AUDITOR, None),
    ]
    signins = []
    for username, display_name, role, village in accounts:
        password = secrets.token_urlsafe(9)
        create_user(
            session,
            SYSTEM,
            username=username,
            display_name=display_name,
            password=password,
            role=role,
            township_id=township.id,
            village_id=village.id if village else None,
        )
        signins.append(DemoSignin(username, password, role, village.name if village else None))
    if settings is not None:
        signins.extend(_demo_year(session, settings, first, signins))
    return signins


def _demo_year(
    session: Session, settings: Settings, village: Village, signins: list[DemoSignin]
) -> list[DemoSignin]:
    passwords = {s.username: s.password for s in signins}
    for username in YEAR_TELLERS:
        passwords[username] = secrets.token_urlsafe(9)
    year = today_in_china().year
    plan = make_plan(session, village, year, seed=year, passwords=passwords)
    run_year(session, settings, village, year, plan)
    return [
        DemoSignin(username, passwords[username], Role.TELLER, village.name)
        for username in YEAR_TELLERS
    ]


def write_signins(path: Path, signins: list[DemoSignin]) -> None:
    lines = [f"{s.username}\t{s.password}\t{s.role.value}\t{s.village or ''}" for s in signins]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def format_signins(signins: list[DemoSignin]) -> str:
    rows = ["Demo sign-ins (演示账号):", f"  {'username':<10} {'password':<14} role"]
    rows += [
        f"  {s.username:<10} {s.password:<14} {s.role.value}"
        + (f" @ {s.village}" if s.village else "")
        for s in signins
    ]
    return "\n".join(rows)


def read_signins(path: Path) -> list[DemoSignin]:
    if not path.exists():
        return []
    signins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        username, password, role, village = (line.split("\t") + [""] * 4)[:4]
        signins.append(DemoSignin(username, password, Role(role), village or None))
    return signins
