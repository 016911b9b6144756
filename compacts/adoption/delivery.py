"""Publication of the filed version and its delivery to every household.

Only a version the township acknowledged (备案) is published. A household's receipt is
recorded once: by a member of the household through their own QR slip, or by the group
leader ticking households that received the printed copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.errors import NotFound
from app.i18n import lazy
from app.registry.models import Household, Person
from compacts.adoption.answers import actor_id, compact_of
from compacts.adoption.services import acknowledged, today
from compacts.exceptions import AlreadyReceived, PublicationRefused
from compacts.models import Compact, DeliveryMethod, DeliveryReceipt, Publication, Version


@dataclass(frozen=True)
class Coverage:
    delivered: int
    households: int

    @property
    def percent(self) -> int:
        return round(100 * self.delivered / self.households) if self.households else 0


def publication_of(session: Session, version: Version) -> Publication | None:
    return session.scalar(select(Publication).where(Publication.version_id == version.id))


def publish(session: Session, actor: Actor, version: Version) -> Publication:
    if acknowledged(session, version) is None:
        raise PublicationRefused(lazy("这个版本还没有经乡镇备案确认，不能公布。"))
    if publication_of(session, version) is not None:
        raise PublicationRefused(lazy("这个版本已经公布了。"))
    row = Publication(version_id=version.id, published_on=today(), published_by_id=actor_id(actor))
    session.add(row)
    session.flush()
    compact = compact_of(session, version)
    record(
        session,
        actor,
        "compact.publish",
        "compact_version",
        version.id,
        {"published_on": row.published_on.isoformat()},
        village_id=compact.village_id,
    )
    return row


def published_versions(session: Session, village_id: int) -> list[tuple[Compact, Version]]:
    """Published versions of the village's compacts, newest first (villagers' pages)."""
    rows = session.execute(
        select(Compact, Version)
        .join(Version, Version.compact_id == Compact.id)
        .join(Publication, Publication.version_id == Version.id)
        .where(Compact.village_id == village_id)
        .order_by(Publication.id.desc())
    )
    return [(compact, version) for compact, version in rows]


def delivered_households(session: Session, version: Version) -> set[int]:
    return set(
        session.scalars(
            select(DeliveryReceipt.household_id).where(DeliveryReceipt.version_id == version.id)
        )
    )


def record_delivery(
    session: Session,
    actor: Actor,
    version: Version,
    household: Household,
    method: DeliveryMethod,
) -> DeliveryReceipt:
    """One household's receipt; a second one for the same household is refused."""
    if publication_of(session, version) is None:
        raise PublicationRefused(lazy("这个版本还没有公布，不能登记送达。"))
    compact = compact_of(session, version)
    if household.village_id != compact.village_id:
        raise NotFound(lazy("这一户不是本村的，请重新选择。"))
    row = DeliveryReceipt(
        version_id=version.id,
        household_id=household.id,
        method=method,
        recorded_by_id=actor.user_id,
    )
    try:
        # The unique constraint decides when two people record the same household at once.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise AlreadyReceived(
            lazy("%(number)s 户已经登记收到了，不用再登记。"), number=household.number
        ) from None
    record(
        session,
        actor,
        "compact.delivery",
        "household",
        household.id,
        {"version_id": version.id, "method": method.value},
        village_id=compact.village_id,
    )
    return row


def record_deliveries(
    session: Session, actor: Actor, version: Version, household_ids: list[int]
) -> int:
    """The group leader's ticks: households already recorded are skipped, not refused."""
    done = delivered_households(session, version)
    count = 0
    for household_id in household_ids:
        household = session.get(Household, household_id)
        if household is None:
            raise NotFound(lazy("找不到这一户，请刷新页面后重新勾选。"))
        if household.id in done:
            continue
        actor_id(actor)  # a leader's tick is always a signed-in staff member
        record_delivery(session, actor, version, household, DeliveryMethod.LEADER)
        done.add(household.id)
        count += 1
    return count


def village_households(session: Session, village_id: int) -> list[Household]:
    return list(
        session.scalars(
            select(Household).where(Household.village_id == village_id).order_by(Household.number)
        )
    )


def household_names(session: Session, village_id: int) -> dict[int, str]:
    """Whose household each is, for the delivery list: the household representative's
    name, or the first member on the roll where the household has none."""
    rows = session.execute(
        select(Person.household_id, Person.name)
        .where(Person.village_id == village_id)
        .order_by(Person.is_household_representative.desc(), Person.roll_number, Person.id)
    )
    names: dict[int, str] = {}
    for household_id, name in rows:
        names.setdefault(household_id, name)
    return names


def coverage(session: Session, version: Version) -> Coverage:
    compact = compact_of(session, version)
    total = session.scalar(
        select(func.count())
        .select_from(Household)
        .where(Household.village_id == compact.village_id)
    )
    return Coverage(len(delivered_households(session, version)), int(total or 0))
