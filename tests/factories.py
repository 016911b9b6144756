"""factory_boy factories for test data, bound to the test's session."""

from __future__ import annotations

import factory
from sqlalchemy.orm import Session

from app.accounts.models import Role, StaffUser
from app.accounts.services import hash_password
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

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


def bind(session: Session) -> None:
    for cls in _ALL:
        cls._meta.sqlalchemy_session = session


class TownshipFactory(_Base):
    class Meta:
        model = Township

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试镇{n}")


class VillageFactory(_Base):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    code = factory.Sequence(lambda n: f"{n:03d}")
    name = factory.Sequence(lambda n: f"测试村{n}")


class GroupFactory(_Base):
    class Meta:
        model = Group

    village_id = factory.LazyAttribute(lambda o: VillageFactory().id)
    kind = GroupKind.VILLAGERS
    name = factory.Sequence(lambda n: f"第{n}小组")


class HouseholdFactory(_Base):
    class Meta:
        model = Household

    village_id = factory.LazyAttribute(lambda o: VillageFactory().id)
    number = factory.Sequence(lambda n: f"H{n:04d}")
    address = ""


class PersonFactory(_Base):
    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    village_id = factory.LazyAttribute(lambda o: o.household.village_id)
    roll_number = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"村民{n}")
    sex = Sex.FEMALE
    birth_year = 1970
    birth_month = 6
    residence = Residence.REGISTERED_RESIDENT


class MembershipFactory(_Base):
    class Meta:
        model = GroupMembership

    person_id = factory.LazyAttribute(lambda o: PersonFactory().id)
    group_id = factory.LazyAttribute(lambda o: GroupFactory().id)
    kind = GroupKind.VILLAGERS


class StaffFactory(_Base):
    class Meta:
        model = StaffUser

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"工作人员{n}")
    password_hash = _PASSWORD_HASH
    role = Role.ORGANIZER
    village = factory.SubFactory(VillageFactory)
    township_id = factory.LazyAttribute(
        lambda o: o.village.township_id if o.village else TownshipFactory().id
    )
    active = True


def staff(
    role: Role, village: Village | None = None, township: Township | None = None, **kwargs: object
) -> StaffUser:
    """A staff user bound the way the role requires."""
    if role is Role.TOWNSHIP_ADMIN or (role is Role.AUDITOR and village is None):
        township = township or (village.township if village else TownshipFactory())
        return StaffFactory(role=role, village=None, township_id=township.id, **kwargs)
    village = village or VillageFactory()
    return StaffFactory(role=role, village=village, township_id=village.township_id, **kwargs)


_ALL = [
    TownshipFactory,
    VillageFactory,
    GroupFactory,
    HouseholdFactory,
    PersonFactory,
    MembershipFactory,
    StaffFactory,
]
