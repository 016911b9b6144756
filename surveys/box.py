"""A survey's sealed box (app.sealed_box): its key holders, their box passwords, and
opening it once the survey is closed.

Secrecy against whoever holds the database (issue 12): every answer sheet, by QR slip
or on paper, is sealed into the survey's box when it is given (surveys.answering), so
nobody can read an answer while the survey runs, nor tie one to the moment it came in.
The open sheets (SurveyResponse) are written only when a key holder opens the box
after the close, all in one transaction and in a random order; the sealed rows are then
deleted and the box's key forgotten.

The key holders are someone other than the organizer whose work the survey rates: the
township's administrators and auditors (those whose scope covers the village). One
holder's password opens the box (k = 1), and answering cannot start until k + 1 = 2
holders have set theirs, so one forgotten password never loses a survey.

A survey opened before answers were sealed has no box: its sheets were stored open and
are read as they are (`is_sealed` is false for it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import secret_choice
from app.accounts.models import StaffUser
from app.actors import Actor
from app.audit.services import record
from app.i18n import gettext_, lazy
from app.ordering import counting_key
from app.permissions import Role
from app.registry.models import Village
from app.sealed_box import services as sealed_box
from app.sealed_box.exceptions import BoxNotReady, BoxNotSealed
from app.sealed_box.models import SealedBox
from surveys.exceptions import HoldersNotReady, InvalidSurveyInput, NotKeyHolder, SurveyStateError
from surveys.models import Channel, Survey, SurveyResponse, SurveyStatus

KIND = sealed_box.SURVEY
# One holder's password opens the box; two must be ready before answering starts.
THRESHOLD = 1
HOLDER_ROLES = (Role.TOWNSHIP_ADMIN, Role.AUDITOR)


def box_status(session: Session, survey: Survey) -> sealed_box.BoxStatus:
    """The survey's box as its page shows it: holders, readiness, how many sheets inside."""
    return sealed_box.box_status(session, KIND, survey.id, threshold=THRESHOLD)


def is_sealed(session: Session, survey: Survey) -> bool:
    """The survey's sheets are in its sealed box (answering started, box not yet opened)."""
    return box_status(session, survey).sealed


def sealed_count(session: Session, survey: Survey) -> int | None:
    """How many sheets the sealed box holds; None when there is no sealed box."""
    status = box_status(session, survey)
    return status.sealed_choices if status.sealed else None


def sealed_survey_ids(session: Session, survey_ids: Collection[int]) -> set[int]:
    """Those of `survey_ids` whose sheets are still sealed: no figure may count them yet."""
    if not survey_ids:
        return set()
    rows = session.scalars(
        select(SealedBox.poll_id).where(
            SealedBox.poll_kind == KIND,
            SealedBox.poll_id.in_(survey_ids),
            SealedBox.sealed_at.is_not(None),
            SealedBox.opened_at.is_(None),
        )
    )
    return set(rows)


# --- key holders, before answering starts ---------------------------------------------


def holder_choices(session: Session, survey: Survey) -> list[StaffUser]:
    """Who may hold the survey's box: the active township administrators and auditors of
    the survey's township whose scope covers its village."""
    village = session.get(Village, survey.village_id)
    assert village is not None  # the foreign key
    return sorted(
        session.scalars(
            select(StaffUser)
            .where(
                StaffUser.township_id == village.township_id,
                StaffUser.role.in_(HOLDER_ROLES),
                StaffUser.active.is_(True),
                or_(StaffUser.village_id.is_(None), StaffUser.village_id == village.id),
            )
            .order_by(StaffUser.id)
        ),
        key=lambda user: counting_key(user.display_name),
    )


def name_holders(session: Session, actor: Actor, survey: Survey, holder_ids: Sequence[int]) -> None:
    """Make `holder_ids` the survey's key holders (a draft only); audited.

    A holder who stays keeps the box password already set.
    """
    if survey.status is not SurveyStatus.DRAFT:
        raise SurveyStateError(lazy("问卷已经开始答题，开箱保管人不能再换了。"))
    chosen = sorted(set(holder_ids))
    allowed = {user.id for user in holder_choices(session, survey)}
    if set(chosen) - allowed:
        raise InvalidSurveyInput(
            {"holder_ids": gettext_("请从名单里选择本乡镇的乡镇管理员或审计员。")}
        )
    if len(chosen) < THRESHOLD + 1:
        raise InvalidSurveyInput(
            {
                "holder_ids": gettext_(
                    "请至少选 %(n)s 位保管人：开箱时只要其中 %(k)s 位输入开箱密码，"
                    "多一位是防止有人忘记密码。",
                    n=THRESHOLD + 1,
                    k=THRESHOLD,
                )
            }
        )
    sealed_box.name_holders(session, KIND, survey.id, chosen, threshold=THRESHOLD)
    record(
        session,
        actor,
        "survey.box_holders",
        "survey",
        survey.id,
        {"holder_ids": chosen},
        village_id=survey.village_id,
    )


def require_holder(session: Session, survey: Survey, user_id: int) -> None:
    """Refuse (403) anyone who is not a key holder of the survey's box."""
    if not box_status(session, survey).is_holder(user_id):
        raise NotKeyHolder(lazy("您不是这份问卷的开箱保管人。"))


def set_box_password(
    session: Session, survey: Survey, holder_id: int, password: str, confirm: str
) -> None:
    """A key holder sets (or replaces) their box password, before answering starts."""
    require_holder(session, survey, holder_id)
    sealed_box.set_box_password(session, KIND, survey.id, holder_id, password, confirm)


def seal(session: Session, survey: Survey) -> None:
    """Answering starts: the box gets its key (app.sealed_box.seal), or the survey is
    refused, saying how many holders are ready and what to do."""
    try:
        sealed_box.seal(session, KIND, survey.id)
    except BoxNotReady:
        raise HoldersNotReady(
            lazy(
                "还不能开始答题：至少要有 %(needed)s 位开箱保管人设好开箱密码"
                "（开箱时只要其中 %(k)s 位，多一位是防止有人忘记密码），现在设好了 %(ready)s 位。"
                "请先指定乡镇管理员或审计员做开箱保管人，并请他们登录后设开箱密码。"
            ),
            needed=THRESHOLD + 1,
            k=THRESHOLD,
            ready=box_status(session, survey).ready_count,
        ) from None


# --- answering ----------------------------------------------------------------------


def seal_sheet(session: Session, survey: Survey, source: Channel, answers: str) -> None:
    """Seal one answer sheet (what its SurveyResponse row will hold, nothing about who
    gave it) in the caller's transaction."""
    try:
        sealed_box.seal_choice(
            session, KIND, survey.id, {"source": source.value, "answers": answers}
        )
    except BoxNotSealed:
        raise SurveyStateError(
            lazy("这份问卷的答卷密封箱没有封好，现在不能收答案。请找村里的工作人员。")
        ) from None


# --- opening, after the close ---------------------------------------------------------


def open_box(
    session: Session, actor: Actor, survey: Survey, opener_id: int, passwords: Mapping[int, str]
) -> int:
    """A key holder (`opener_id`, signed in) opens the closed survey's box with their box
    password.

    The sheets are written to SurveyResponse in the random order the box gives them, in
    this transaction; the box's key is forgotten and the sealed rows deleted
    (app.sealed_box.open_box). Audited with counts only. Returns how many sheets. A
    wrong or missing password changes nothing.
    """
    require_holder(session, survey, opener_id)
    # Two holders opening at once: the second waits here, then finds the box open.
    session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    session.refresh(survey, ["status"])
    if survey.status is not SurveyStatus.CLOSED:
        raise SurveyStateError(lazy("请先结束答题，再开箱。答题期间谁都看不到答案。"))
    box = sealed_box.find_box(session, KIND, survey.id)
    if box is not None:
        session.refresh(box)
    status = box_status(session, survey)
    if not status.sealed:
        raise SurveyStateError(lazy("这份问卷的答卷已经开过箱了，结果可以直接查看。"))
    if not status.holder_ready(opener_id):
        raise NotKeyHolder(
            lazy("您在开始答题前没有设开箱密码，不能开箱。请另一位开箱保管人登录后开箱。")
        )
    opened = sealed_box.open_box(session, KIND, survey.id, passwords)
    for sheet in opened.choices:
        secret_choice.store_anonymous(
            session,
            SurveyResponse,
            survey_id=survey.id,
            source=Channel(sheet["source"]),
            answers=str(sheet["answers"]),
        )
    session.flush()
    qr = sum(1 for sheet in opened.choices if sheet["source"] == Channel.QR.value)
    record(
        session,
        actor,
        "survey.open_box",
        "survey",
        survey.id,
        {
            "responses": len(opened.choices),
            "qr_responses": qr,
            "paper_responses": len(opened.choices) - qr,
            "opened_by": opened.opened_by,
        },
        village_id=survey.village_id,
    )
    return len(opened.choices)
