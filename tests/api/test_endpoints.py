"""The read-only JSON API with real data: each endpoint, auth failures, scope, no HTML."""

from __future__ import annotations

from sqlalchemy import select

from app.api.models import ApiToken
from app.audit.models import AuditEntry
from assessment import services as assessment
from tests.api.conftest import YEAR, Seeded
from tests.app.helpers import table_counts


def _get(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response


def test_election_results_per_round_with_votes_elected_and_turnout(client, seeded: Seeded):
    response = _get(client, f"/api/v1/elections/{seeded.election.id}/results", seeded.bearer())
    assert response.status_code == 200
    body = response.json()
    assert body["election"]["id"] == seeded.election.id
    assert body["election"]["village"]["id"] == seeded.village.id
    (round_,) = body["rounds"]
    assert round_["number"] == 1 and round_["status"] == "announced"
    result = round_["result"]
    assert result["outcome"] == "announced" and result["valid"] is True
    votes = {c["name"]: c["votes"] for c in result["candidates"]}
    assert votes == {"甲": 4, "乙": 2, "丙": 1}
    assert result["elected"] == ["甲"]
    assert [c["name"] for c in result["candidates"] if c["elected"]] == ["甲"]
    turnout = result["turnout"]
    assert (turnout["registered"], turnout["voted"], turnout["ballots_cast"]) == (10, 7, 7)
    assert turnout["share"] == {"value": 0.7, "numerator": 7, "denominator": 10}


def test_meeting_attendance_with_share_and_quorum(client, seeded: Seeded):
    response = _get(client, f"/api/v1/meetings/{seeded.meeting.id}/attendance", seeded.bearer())
    assert response.status_code == 200
    body = response.json()
    assert body["meeting"]["status"] == "closed"
    assert (body["eligible"], body["present"]) == (10, 6)
    assert body["share"] == {"value": 0.6, "numerator": 6, "denominator": 10}
    assert body["quorum"]["met"] is True
    assert body["quorum"]["rule"] and "实到 6 人" in body["quorum"]["reason"]


def test_village_assessment_reports_numbers_and_no_data_as_null(client, seeded: Seeded, db):
    path = f"/api/v1/villages/{seeded.village.id}/assessment?year={YEAR}"
    response = _get(client, path, seeded.bearer(seeded.village_token))
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == YEAR and body["village"]["id"] == seeded.village.id
    expected = assessment.village_assessment(db, seeded.village.id, YEAR)
    assert [s["code"] for s in body["standards"]] == [s.code for s in expected.standards]
    for shown, result in zip(body["standards"], expected.standards, strict=True):
        assert (shown["numerator"], shown["denominator"]) == (result.numerator, result.denominator)
        assert shown["status"] == result.status
    # No surveys in this village: no data (null), never 0 and never a pass.
    know = next(s for s in body["standards"] if s["code"] == "satisfaction_know")
    assert know["value"] is None and know["passed"] is None and know["status"] == "no_data"
    turnout = next(f for f in body["participation"] if f["code"] == "turnout")
    assert (turnout["numerator"], turnout["denominator"], turnout["value"]) == (7, 10, 0.7)


def test_township_overview_ranks_the_villages(client, seeded: Seeded):
    response = _get(client, f"/api/v1/assessment/overview?year={YEAR}", seeded.bearer())
    assert response.status_code == 200
    body = response.json()
    assert {v["id"] for v in body["villages"]} == {seeded.village.id, seeded.other.id}
    turnout = next(s for s in body["standards"] if s["code"] == "turnout")
    first = turnout["ranking"][0]
    assert first["rank"] == 1 and first["village"]["id"] == seeded.village.id
    assert first["value"] == 0.7
    # The other village has no election: no rank, no value, listed last.
    assert turnout["ranking"][-1]["rank"] is None and turnout["ranking"][-1]["value"] is None
    # A token for one village sees only that village in the overview.
    narrow = _get(
        client, f"/api/v1/assessment/overview?year={YEAR}", seeded.bearer(seeded.village_token)
    )
    assert [v["id"] for v in narrow.json()["villages"]] == [seeded.village.id]


def test_missing_bad_and_revoked_tokens_are_401_json(client, seeded: Seeded, db):
    path = f"/api/v1/elections/{seeded.election.id}/results"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = _get(client, path, headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthorized"
        assert "令牌" in response.json()["error"]["message"]
    token = db.scalar(select(ApiToken).where(ApiToken.label == "县数据平台"))
    token.revoked_at = token.created_at
    db.flush()
    response = _get(client, path, seeded.bearer())
    assert response.status_code == 401 and "撤销" in response.json()["error"]["message"]


def test_another_village_or_township_is_403_and_unknown_is_404(client, seeded: Seeded):
    ours = [
        f"/api/v1/elections/{seeded.election.id}/results",
        f"/api/v1/meetings/{seeded.meeting.id}/attendance",
        f"/api/v1/villages/{seeded.village.id}/assessment?year={YEAR}",
    ]
    for token in (seeded.other_token, seeded.foreign_token):
        for path in ours:
            response = _get(client, path, seeded.bearer(token))
            assert response.status_code == 403, path
            assert "不在您的管辖范围内" in response.json()["error"]["message"]
    for path in (
        "/api/v1/elections/999999/results",
        "/api/v1/meetings/999999/attendance",
        f"/api/v1/villages/999999/assessment?year={YEAR}",
        "/api/v1/elections/99999999999999999999/results",
        "/api/v1/no/such/endpoint",
        "/api/v1/elections/abc/results",
    ):
        response = _get(client, path, seeded.bearer())
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_bad_year_and_wrong_method_answer_json(client, seeded: Seeded):
    base = f"/api/v1/villages/{seeded.village.id}/assessment"
    for query in ("", "?year=abc", "?year=1800", "?year=%C2%B2", "?year=" + "9" * 5000):
        response = _get(client, base + query, seeded.bearer())
        assert response.status_code == 400 and "年份" in response.json()["error"]["message"]
    response = client.post(base, headers=seeded.bearer())
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/json")


def test_reading_writes_nothing_but_the_days_last_use(client, seeded: Seeded, db, connection):
    before = table_counts(connection)
    audit = db.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    path = f"/api/v1/meetings/{seeded.meeting.id}/attendance"
    for _ in range(2):
        assert _get(client, path, seeded.bearer()).status_code == 200
    assert table_counts(connection) == before
    assert db.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) == audit
    token = db.scalar(select(ApiToken).where(ApiToken.label == "县数据平台"))
    db.refresh(token)
    assert token.last_used_on is not None
    unused = db.scalar(select(ApiToken).where(ApiToken.label == "邻村"))
    db.refresh(unused)
    assert unused.last_used_on is None


def test_a_signed_in_staff_member_reads_within_their_scope(app, client, seeded: Seeded):
    from app.permissions import Role
    from tests import factories
    from tests.app.helpers import signed_in

    organizer = factories.staff(Role.ORGANIZER, seeded.other)
    browser = signed_in(app, organizer)
    response = browser.get(f"/api/v1/meetings/{seeded.meeting.id}/attendance")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    admin = signed_in(app, seeded.admin)
    response = admin.get(f"/api/v1/meetings/{seeded.meeting.id}/attendance")
    assert response.status_code == 200 and response.json()["present"] == 6
