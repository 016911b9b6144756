"""The village registry: township → village → groups and households → persons."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, str_enum, utcnow


class GroupKind(enum.StrEnum):
    VILLAGERS = "villagers"  # 村民小组
    WOMEN = "women"  # 育龄妇女小组, a deliberation group only
    ASSOCIATION = "association"  # 协会联户组


class Sex(enum.StrEnum):
    MALE = "M"
    FEMALE = "F"


class Residence(enum.StrEnum):
    """The three voter registration categories of OL2025 Art 16."""

    REGISTERED_RESIDENT = "registered_resident"  # 户籍在本村并居住
    REGISTERED_AWAY = "registered_away"  # 户籍在本村、不在本村居住
    RESIDENT_ADMITTED = "resident_admitted"  # 户籍不在本村、居住一年以上、经会议同意


class Township(Base):
    __tablename__ = "township"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32), unique=True)

    villages: Mapped[list[Village]] = relationship(
        back_populates="township", order_by="Village.code"
    )


class Village(Base):
    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("township_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32))

    township: Mapped[Township] = relationship(back_populates="villages")


class Group(Base):
    __tablename__ = "village_group"
    __table_args__ = (
        UniqueConstraint("village_id", "kind", "name"),
        # Target of the membership foreign key that pins the membership's kind.
        UniqueConstraint("id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    kind: Mapped[GroupKind] = mapped_column(str_enum(GroupKind, "group_kind"))
    name: Mapped[str] = mapped_column(String(100))


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("village_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))  # 户号, as the village writes it
    address: Mapped[str] = mapped_column(String(200), default="")

    members: Mapped[list[Person]] = relationship(
        back_populates="household", order_by="Person.roll_number"
    )


class Person(Base):
    """One villager on the roll. Only what a roll, a ballot and a meeting need."""

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("village_id", "roll_number"),
        CheckConstraint("birth_month BETWEEN 1 AND 12", name="birth_month_range"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
        # At most one representative per household, enforced by the database.
        Index(
            "uq_person_household_representative",
            "household_id",
            unique=True,
            sqlite_where=text("is_household_representative"),
            postgresql_where=text("is_household_representative"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    roll_number: Mapped[str] = mapped_column(String(32))  # 村民编号, the import key
    name: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[Sex] = mapped_column(str_enum(Sex, "sex"))
    birth_year: Mapped[int] = mapped_column(Integer)
    birth_month: Mapped[int] = mapped_column(Integer)
    residence: Mapped[Residence] = mapped_column(
        str_enum(Residence, "residence"), default=Residence.REGISTERED_RESIDENT
    )
    is_household_representative: Mapped[bool] = mapped_column(Boolean, default=False)
    is_villager_representative: Mapped[bool] = mapped_column(Boolean, default=False)
    is_cadre: Mapped[bool] = mapped_column(Boolean, default=False)
    is_association_member: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    household: Mapped[Household] = relationship(back_populates="members")
    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    def group_of(self, kind: GroupKind) -> Group | None:
        for membership in self.memberships:
            if membership.kind == kind:
                return membership.group
        return None

    def age_on(self, year: int, month: int) -> int:
        """Whole years of age in the given month (birth day unknown: counted at month start)."""
        return year - self.birth_year - (1 if month < self.birth_month else 0)


class GroupMembership(Base):
    """A person's place in one group; at most one group of each kind per person."""

    __tablename__ = "group_membership"
    __table_args__ = (
        UniqueConstraint("person_id", "kind"),
        ForeignKeyConstraint(
            ["group_id", "kind"],
            ["village_group.id", "village_group.kind"],
            name="fk_group_membership_group_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[GroupKind] = mapped_column(str_enum(GroupKind, "membership_kind"))

    person: Mapped[Person] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship(
        primaryjoin="GroupMembership.group_id == Group.id",
        foreign_keys=[group_id],
        viewonly=True,
    )


class RollImport(Base):
    """An uploaded roll file waiting between preview and confirmation.

    Kept in the database (not in memory or on local disk) so the preview and the
    confirmation may be served by different workers.
    """

    __tablename__ = "roll_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
