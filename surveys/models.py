"""Surveys, their questions and options, who answered, and what the answers said.

Secrecy as for ballots (DESIGN decision 1): `SurveyResponse` carries no person, no slip,
no staff member and no time, and its key is random, so neither its columns nor its
storage order tie an answer sheet to the villager who gave it. `SurveyParticipation`
says *that* someone answered (and by which channel) and nothing about *what*; its
unique constraint refuses a second answer. tests/surveys/test_secrecy.py reads the
migrated schema and fails on any column that could link the two.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, str_enum, utcnow


class SurveyKind(enum.StrEnum):
    SATISFACTION = "satisfaction"  # rights to know, to take part, to supervise; overall
    AWARENESS_CADRE = "awareness_cadre"  # quiz for cadres (standard: >= 90 %)
    AWARENESS_VILLAGER = "awareness_villager"  # quiz for villagers (standard: >= 80 %)
    CUSTOM = "custom"  # any other survey; feeds no standard


class Audience(enum.StrEnum):
    ADULTS = "adults"  # the village's active people aged 18+ on the opening day
    CADRES = "cadres"  # people flagged as cadres (村干部)
    GROUP = "group"  # members of one group (`group_id`)
    MEETING = "meeting"  # those recorded present at one meeting (`meeting_id`)


class SurveyStatus(enum.StrEnum):
    DRAFT = "draft"  # questions can change
    OPEN = "open"  # answers accepted; questions frozen
    CLOSED = "closed"  # final; responses resealed on PostgreSQL


class QuestionType(enum.StrEnum):
    SINGLE = "single"  # exactly one option
    MULTIPLE = "multiple"  # one or more options
    SCALE = "scale"  # 1 (very dissatisfied) .. 5 (very satisfied)


class Measure(enum.StrEnum):
    """What a question measures for the assessment."""

    NONE = "none"
    KNOW = "know"  # satisfaction with the right to know (知情权)
    TAKE_PART = "take_part"  # ... to take part (参与权)
    SUPERVISE = "supervise"  # ... to supervise (监督权)
    OVERALL = "overall"  # overall satisfaction
    AWARENESS = "awareness"  # a quiz question with correct option(s)


class Channel(enum.StrEnum):
    QR = "qr"  # the villager answered through their slip
    PAPER = "paper"  # a paper questionnaire was handed to the villager


class Survey(Base):
    __tablename__ = "survey"
    __table_args__ = (
        CheckConstraint("year >= 2000 AND year <= 2200", name="year_range"),
        CheckConstraint(
            "(audience = 'group') = (group_id IS NOT NULL)", name="group_only_for_group"
        ),
        CheckConstraint(
            "(audience = 'meeting') = (meeting_id IS NOT NULL)", name="meeting_only_for_meeting"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, "survey_kind"))
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, "survey_audience"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("village_group.id"), nullable=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), nullable=True)
    # The assessment year the answers count for.
    year: Mapped[int] = mapped_column(Integer)
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SurveyStatus] = mapped_column(
        str_enum(SurveyStatus, "survey_status"), default=SurveyStatus.DRAFT
    )
    # The QR slips of this assembly open the survey for those in its audience.
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assembly.id"), nullable=True)
    # How many in the audience when it opened (the base of the response rate).
    audience_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opened_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", order_by="Question.position"
    )


class Question(Base):
    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... as shown
    text: Mapped[str] = mapped_column(Text)
    qtype: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "survey_question_type"))
    measure: Mapped[Measure] = mapped_column(
        str_enum(Measure, "survey_measure"), default=Measure.NONE
    )

    survey: Mapped[Survey] = relationship(back_populates="questions")
    options: Mapped[list[Option]] = relationship(
        back_populates="question", order_by="Option.position"
    )


class Option(Base):
    """A choice of a single- or multiple-choice question (scale questions have none)."""

    __tablename__ = "survey_option"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... as shown
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)  # quiz questions only

    question: Mapped[Question] = relationship(back_populates="options")


class SurveyParticipation(Base):
    """That a person answered (QR) or was handed a paper questionnaire. One per survey."""

    __tablename__ = "survey_participation"
    __table_args__ = (UniqueConstraint("survey_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "survey_channel"))


class SurveyResponse(Base):
    """One answer sheet: no person, no time, random key.

    `answers` is canonical JSON (sorted keys, no spaces) mapping a question's position
    (as a string) to the chosen option positions (a sorted list of ints) for choice
    questions, or to the scale value (an int 1..5) for scale questions. A question left
    unanswered is absent. Example: {"1":[2],"2":[1,3],"3":4}.
    """

    __tablename__ = "survey_response"
    # SQLite keeps a WITHOUT ROWID table in primary-key (random) order, not answering order.
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    source: Mapped[Channel] = mapped_column(str_enum(Channel, "survey_response_source"))
    answers: Mapped[str] = mapped_column(Text)
