"""A survey's sealed box on the database (surveys.box): who may hold it, naming the
holders, their box passwords, why a survey cannot open, and opening the box after the
close (a wrong password changes nothing; one password opens it; the sealed rows go)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.permissions import Role
from app.sealed_box.exceptions import (
    BadBoxPassword,
    BoxAlreadySealed,
    TooFewHolders,
    WrongBoxPassword,
)
from app.sealed_box.models import BoxHolder, SealedBox
from surveys import box, services
from surveys.exceptions import (
    HoldersNotReady,
    InvalidSurveyInput,
    NotKeyHolder,
    SurveyStateError,
)
from surveys.models import Channel, SurveyResponse, SurveyStatus
from tests import factories
from tests.sealed_box_support import make_ready, password_of
from tests.surveys.support import (
    OPENED,
    counts,
    new_survey,
    open_box,
    open_survey,
    ready_holders,
    sealed_sheets,
    setting,
)

ALL_FIVE = {"1": 5, "2": 4, "3": 3, "4": 5}


def _entries(db, survey, action):
    return [
        json.loads(entry.summary)
        for entry in db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.object_id == str(survey.id))
            .order_by(AuditEntry.seq)
        )
    ]


def _answered(db, s, count=3):
    survey = open_survey(db, s)
    for person, value in zip(s.adults[:count], (5, 4, 1), strict=False):
        services.answer_by_qr(db, survey, person, {**ALL_FIVE, "1": value})
    return survey


# --- who holds the box ---------------------------------------------------------------


def test_the_holders_are_the_townships_administrators_and_auditors(db):
    s = setting(db)
    township = s.village.township
    own_auditor = factories.staff(Role.AUDITOR, s.village)  # bound to this village
    factories.staff(Role.AUDITOR, factories.VillageFactory(township=township))  # another
    factories.staff(Role.TELLER, s.village)
    factories.staff(Role.TOWNSHIP_ADMIN)  # another township
    factories.staff(Role.AUDITOR, township=township, active=False)
    survey = new_survey(db, s)
    choices = {user.id for user in services.holder_choices(db, survey)}
    assert choices == {s.holders[0].id, s.holders[1].id, own_auditor.id}
    assert s.organizer.id not in choices  # the one whose work the survey rates


def test_naming_holders_is_checked_and_audited(db):
    s = setting(db)
    survey = new_survey(db, s)
    with pytest.raises(InvalidSurveyInput) as stranger:
        services.name_holders(db, s.actor, survey, [s.holders[0].id, s.organizer.id])
    assert "乡镇管理员或审计员" in stranger.value.errors["holder_ids"]
    with pytest.raises(InvalidSurveyInput) as one:
        services.name_holders(db, s.actor, survey, [s.holders[0].id])
    assert "至少选 2 位" in one.value.errors["holder_ids"]
    assert services.box_status(db, survey).holders == ()
    services.name_holders(db, s.actor, survey, [h.id for h in s.holders])
    status = services.box_status(db, survey)
    assert {h.holder_id for h in status.holders} == {h.id for h in s.holders}
    assert status.threshold == 1 and status.needed_to_open_voting == 2
    assert _entries(db, survey, "survey.box_holders") == [
        {"holder_ids": sorted(h.id for h in s.holders)}
    ]


def test_holders_cannot_change_once_answering_started(db):
    s = setting(db)
    survey = open_survey(db, s)
    with pytest.raises(SurveyStateError):
        services.name_holders(db, s.actor, survey, [h.id for h in s.holders])


# --- box passwords and opening the survey ------------------------------------------------


def test_a_survey_opens_only_with_two_holders_ready(db):
    s = setting(db)
    survey = new_survey(db, s)
    with pytest.raises(HoldersNotReady) as nobody:
        services.open_survey(db, s.actor, survey, OPENED)
    assert "至少要有 2 位开箱保管人设好开箱密码" in nobody.value.render_message()
    assert "现在设好了 0 位" in nobody.value.render_message()
    services.name_holders(db, s.actor, survey, [h.id for h in s.holders])
    services.set_box_password(db, survey, s.holders[0].id, password_of(0), password_of(0))
    with pytest.raises(HoldersNotReady) as one:
        services.open_survey(db, s.actor, survey, OPENED)
    assert "现在设好了 1 位" in one.value.render_message()
    assert survey.status is SurveyStatus.DRAFT and survey.opened_on is None
    services.set_box_password(db, survey, s.holders[1].id, password_of(1), password_of(1))
    services.open_survey(db, s.actor, survey, OPENED)
    assert survey.status is SurveyStatus.OPEN and box.is_sealed(db, survey)


def test_only_a_holder_sets_a_box_password_and_only_before_answering(db):
    s = setting(db)
    survey = new_survey(db, s)
    services.name_holders(db, s.actor, survey, [h.id for h in s.holders])
    with pytest.raises(NotKeyHolder):
        services.set_box_password(db, survey, s.organizer.id, password_of(0), password_of(0))
    with pytest.raises(BadBoxPassword):
        services.set_box_password(db, survey, s.holders[0].id, "short", "short")
    with pytest.raises(BadBoxPassword):
        services.set_box_password(db, survey, s.holders[0].id, password_of(0), password_of(1))
    assert services.box_status(db, survey).ready_count == 0
    make_ready(db, services.box_status(db, survey).box_id, s.holders)
    services.open_survey(db, s.actor, survey, OPENED)
    with pytest.raises(BoxAlreadySealed):
        services.set_box_password(db, survey, s.holders[0].id, password_of(2), password_of(2))


# --- opening the box -------------------------------------------------------------------


def test_the_box_opens_only_after_the_close(db):
    s = setting(db)
    survey = _answered(db, s)
    with pytest.raises(SurveyStateError) as refused:
        open_box(db, s, survey)
    assert "请先结束答题" in refused.value.render_message()
    assert sealed_sheets(db, survey) == 3 and counts(db, survey) == (3, 0)


def test_a_wrong_or_missing_password_changes_nothing(db):
    s = setting(db)
    survey = _answered(db, s)
    services.close_survey(db, s.actor, survey, OPENED)
    holder = s.holders[0]
    with pytest.raises(WrongBoxPassword) as wrong:
        services.open_box(db, s.actor, survey, holder.id, {holder.id: password_of(1)})
    assert wrong.value.holder_id == holder.id
    assert "开箱密码不对" in wrong.value.render_message()
    with pytest.raises(TooFewHolders):
        services.open_box(db, s.actor, survey, holder.id, {holder.id: ""})
    assert sealed_sheets(db, survey) == 3 and counts(db, survey) == (3, 0)
    assert services.results(db, survey).awaiting_holders
    assert _entries(db, survey, "survey.open_box") == []


def test_only_a_holder_signed_in_opens_the_box(db):
    s = setting(db)
    survey = _answered(db, s)
    services.close_survey(db, s.actor, survey, OPENED)
    holder = s.holders[0]
    with pytest.raises(NotKeyHolder):
        services.open_box(db, s.actor, survey, s.organizer.id, {holder.id: password_of(0)})
    assert sealed_sheets(db, survey) == 3


def test_one_password_opens_the_box_writes_the_sheets_and_forgets_the_key(db):
    s = setting(db)
    survey = _answered(db, s)
    services.hand_paper(db, s.actor, survey, s.cadre)
    services.enter_paper_sheet(db, s.actor, survey, {"1": 2})
    services.close_survey(db, s.actor, survey, OPENED)
    assert open_box(db, s, survey, holder=1) == 4  # the second holder alone
    stored = db.execute(
        select(SurveyResponse.source, SurveyResponse.answers).where(
            SurveyResponse.survey_id == survey.id
        )
    ).all()
    assert sorted(stored) == sorted(
        [
            (Channel.QR, '{"1":5,"2":4,"3":3,"4":5}'),
            (Channel.QR, '{"1":4,"2":4,"3":3,"4":5}'),
            (Channel.QR, '{"1":1,"2":4,"3":3,"4":5}'),
            (Channel.PAPER, '{"1":2}'),
        ]
    )
    assert sealed_sheets(db, survey) == 0
    sealed = db.scalar(
        select(SealedBox).where(SealedBox.poll_kind == box.KIND, SealedBox.poll_id == survey.id)
    )
    assert sealed.opened_at is not None and sealed.opened_count == 4
    shares = db.scalars(select(BoxHolder.sealed_share).where(BoxHolder.box_id == sealed.id))
    assert set(shares) == {None}  # nothing left can open it again
    # Audited with counts only: how many, by which channel, opened by whom.
    assert _entries(db, survey, "survey.open_box") == [
        {
            "responses": 4,
            "qr_responses": 3,
            "paper_responses": 1,
            "opened_by": [s.holders[1].id],
        }
    ]
    outcome = services.results(db, survey)
    assert outcome.shown and [c.count for c in outcome.questions[0].counts] == [1, 1, 0, 1, 1]
    with pytest.raises(SurveyStateError) as again:
        open_box(db, s, survey)
    assert "已经开过箱" in again.value.render_message()
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 4


def test_the_close_is_audited_with_the_sealed_count(db):
    s = setting(db)
    survey = _answered(db, s, count=2)
    services.close_survey(db, s.actor, survey, OPENED)
    assert _entries(db, survey, "survey.close")[0]["responses"] == 2


def test_a_survey_opened_before_sheets_were_sealed_closes_and_reads_as_before(db):
    """No box (opened by an earlier version): its sheets were stored open."""
    s = setting(db)
    survey = new_survey(db, s)
    survey.status, survey.opened_on, survey.audience_size = SurveyStatus.OPEN, OPENED, 4
    db.add(SurveyResponse(id="a" * 32, survey_id=survey.id, source=Channel.QR, answers="{}"))
    db.flush()
    services.close_survey(db, s.actor, survey, OPENED)
    outcome = services.results(db, survey)
    assert outcome.shown and outcome.responses == 1
    assert services.box_status(db, survey).box_id is None


def test_a_survey_with_its_box_never_sealed_takes_no_answers(db):
    """Answers are never stored open: without a sealed box they are refused."""
    s = setting(db)
    survey = new_survey(db, s)
    ready_holders(db, s, survey)
    survey.status = SurveyStatus.OPEN  # as if opened without sealing
    db.flush()
    with pytest.raises(SurveyStateError) as refused:
        services.answer_by_qr(db, survey, s.adults[0], ALL_FIVE)
    assert "密封箱没有封好" in refused.value.render_message()


def test_a_holder_who_set_no_password_cannot_open_the_box(db):
    s = setting(db)
    late = factories.staff(Role.AUDITOR, township=s.village.township)
    survey = new_survey(db, s)
    services.name_holders(db, s.actor, survey, [*(h.id for h in s.holders), late.id])
    make_ready(db, services.box_status(db, survey).box_id, s.holders)  # not `late`
    services.open_survey(db, s.actor, survey, OPENED)
    services.answer_by_qr(db, survey, s.adults[0], ALL_FIVE)
    services.close_survey(db, s.actor, survey, OPENED)
    with pytest.raises(NotKeyHolder) as refused:
        services.open_box(db, s.actor, survey, late.id, {s.holders[0].id: password_of(0)})
    assert "没有设开箱密码" in refused.value.render_message()
    assert sealed_sheets(db, survey) == 1
