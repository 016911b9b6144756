"""factory_boy factories for test data, bound to the test's session."""

from __future__ import annotations

import factory
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.accounts.services import hash_password
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


# --- Records the participation figures count (assessment tests) ---------------------------
# Made straight from the models so a test can date them exactly; pass the ids they need.

from datetime import UTC, date, datetime  # noqa: E402

from ballots.models import (  # noqa: E402
    Credential,
    CredentialUse,
    Election,
    Electorate,
    Office,
    RollEntry,
    Round,
    RoundKind,
    RoundStatus,
    Stage,
)
from compacts.models import (  # noqa: E402
    Adoption,
    Answer,
    AnswerOutcome,
    Comment,
    Compact,
    DeliberationRound,
    MemberVote,
    Publication,
    RoundGroup,
    Version,
    VoteChoice,
)
from meetings.models import Meeting, MeetingKind, MeetingStatus  # noqa: E402
from minutes.models import Minutes, Posting, Signature  # noqa: E402

_SOURCE = "# 总则\n## 宗旨\n本村村民共同遵守本公约。\n"


class ElectionFactory(_Base):
    class Meta:
        model = Election

    title = factory.Sequence(lambda n: f"选举{n}")
    office = Office.DIRECTOR
    electorate = Electorate.VILLAGE
    seats = 1
    profile_name = "village-election"
    election_day = date(2026, 6, 1)
    stage = Stage.ANNOUNCED


class ElectionRoundFactory(_Base):
    class Meta:
        model = Round

    number = 1
    kind = RoundKind.FIRST
    seats = 1
    status = RoundStatus.ANNOUNCED


class RollEntryFactory(_Base):
    class Meta:
        model = RollEntry

    category = Residence.REGISTERED_RESIDENT


class CredentialFactory(_Base):
    class Meta:
        model = Credential

    secret_hash = factory.Sequence(lambda n: f"{n:064x}")


class CredentialUseFactory(_Base):
    class Meta:
        model = CredentialUse

    used_on = date(2026, 6, 1)


class MeetingFactory(_Base):
    class Meta:
        model = Meeting

    kind = MeetingKind.VILLAGERS_ASSEMBLY
    title = factory.Sequence(lambda n: f"村民会议{n}")
    convener = "村民委员会"
    place = "村委会礼堂"
    starts_at = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    status = MeetingStatus.CLOSED


class MinutesFactory(_Base):
    class Meta:
        model = Minutes


class SignatureFactory(_Base):
    class Meta:
        model = Signature

    signed_sha256 = "0" * 64


class PostingFactory(_Base):
    class Meta:
        model = Posting

    public_json = "{}"


class CompactFactory(_Base):
    class Meta:
        model = Compact

    title = "村规民约"


class CompactVersionFactory(_Base):
    class Meta:
        model = Version

    number = 1
    source = _SOURCE
    structure_json = factory.LazyFunction(lambda: _compact_structure(_SOURCE))
    sha256 = factory.Sequence(lambda n: f"{n:064x}")


def _compact_structure(source: str) -> str:
    from compacts.text import parse

    return parse(source).to_json()


class DeliberationRoundFactory(_Base):
    class Meta:
        model = DeliberationRound

    deadline = date(2026, 5, 31)


class RoundGroupFactory(_Base):
    class Meta:
        model = RoundGroup


class CommentFactory(_Base):
    class Meta:
        model = Comment

    text = "建议写明红白喜事从简。"


class MemberVoteFactory(_Base):
    class Meta:
        model = MemberVote

    choice = VoteChoice.APPROVE


class AnswerFactory(_Base):
    class Meta:
        model = Answer

    outcome = AnswerOutcome.ACCEPTED
    reason = "已采纳，写入第二条。"


class AdoptionFactory(_Base):
    class Meta:
        model = Adoption

    adopted = True
    figures_json = "{}"


class PublicationFactory(_Base):
    class Meta:
        model = Publication


_ALL.extend(
    [
        ElectionFactory,
        ElectionRoundFactory,
        RollEntryFactory,
        CredentialFactory,
        CredentialUseFactory,
        MeetingFactory,
        MinutesFactory,
        SignatureFactory,
        PostingFactory,
        CompactFactory,
        CompactVersionFactory,
        DeliberationRoundFactory,
        RoundGroupFactory,
        CommentFactory,
        MemberVoteFactory,
        AnswerFactory,
        AdoptionFactory,
        PublicationFactory,
    ]
)


# --- Surveys for the assessment (tests/assessment) -------------------------------------


def survey(
    village: Village,
    kind: str,
    year: int,
    questions: list[tuple[str, str, list[bool]]],
    sheets: list[dict[str, object]],
    *,
    status: str = "closed",
    title: str = "测试问卷",
) -> object:
    """A survey with questions (qtype, measure, which options are correct) and answer
    sheets in the stored JSON shape ({"1": [2], "3": 4}); closed unless told."""
    import json
    import uuid

    from surveys.models import (
        Audience,
        Measure,
        Option,
        Question,
        QuestionType,
        Survey,
        SurveyKind,
        SurveyResponse,
        SurveyStatus,
    )
    from surveys.models import Channel as SurveyChannel

    session = StaffFactory._meta.sqlalchemy_session
    creator = staff(Role.ORGANIZER, village)
    row = Survey(
        village_id=village.id,
        title=title,
        kind=SurveyKind(kind),
        audience=Audience.ADULTS,
        year=year,
        status=SurveyStatus(status),
        created_by_id=creator.id,
    )
    session.add(row)
    session.flush()
    for position, (qtype, measure, correct) in enumerate(questions, start=1):
        question = Question(
            survey_id=row.id,
            position=position,
            text=f"问题{position}",
            qtype=QuestionType(qtype),
            measure=Measure(measure),
        )
        session.add(question)
        session.flush()
        session.add_all(
            Option(question_id=question.id, position=i, text=f"选项{i}", correct=ok)
            for i, ok in enumerate(correct, start=1)
        )
    session.add_all(
        SurveyResponse(
            id=uuid.uuid4().hex,
            survey_id=row.id,
            source=SurveyChannel.PAPER,
            answers=json.dumps(sheet, sort_keys=True, separators=(",", ":")),
        )
        for sheet in sheets
    )
    session.flush()
    return row
