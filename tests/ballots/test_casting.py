"""Casting online: single use, marks checked by the server, the ballot sealed into the
round's box (readable only once k tellers open it), nothing linking a ballot to its
voter, and what a slip opens (own ballots, entrusted ones)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text

from app.actors import Actor
from app.audit.models import AuditEntry
from app.sealed_box import services as sealed_box
from app.sealed_box.models import SealedChoice
from ballots.exceptions import AlreadyVoted, InvalidMarks, LinkOtherElection, VotingNotOpen
from ballots.models import Ballot, BallotSource, Channel, CredentialUse, Receipt, RoundStatus
from ballots.results import services as results
from ballots.setup import credentials
from ballots.voting import casting
from slips.services import SlipAccess, issue_slips
from tests.ballots import factories_elections as fe
from tests.conftest import TEST_DATABASE

DAY = date(2026, 6, 15)


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def _stored(db):
    return tuple(_count(db, m) for m in (CredentialUse, SealedChoice, Ballot, Receipt, AuditEntry))


def _sealed(db, v):
    """The round's sealed choices (ciphertext), as anyone reading the database sees them."""
    box = sealed_box.find_box(db, sealed_box.ELECTION_ROUND, v.round.id)
    assert box is not None
    return list(db.scalars(select(SealedChoice.sealed).where(SealedChoice.box_id == box.id)))


def _close_and_open(db, v):
    """Voting closes and two of the round's tellers open its box: ballots are written now."""
    results.close_voting(db, Actor(label="组织者"), v.round)
    return fe.open_box(db, v.round)


def _cast(db, v, voter=0, marks=("张三",), channel=Channel.ONLINE):
    credential = credentials.credential_for(db, v.election, v.entries[voter])
    return casting.cast_online(db, v.round, credential, list(marks), channel, today=DAY)


def test_a_cast_stores_one_use_and_one_sealed_choice_and_no_audit_entry(db):
    v = fe.voting(db, seats=2)
    before = _count(db, AuditEntry)
    receipt = _cast(db, v, marks=["  李四 ", "张三"])

    (use,) = db.scalars(select(CredentialUse))
    assert (use.round_id, use.channel, use.used_on) == (v.round.id, Channel.ONLINE, DAY)
    # The ballot and its receipt are sealed in the round's box: no open row yet, and the
    # sealed one shows neither the names nor the receipt code.
    (sealed,) = _sealed(db, v)
    for secret in ("李四", "张三", receipt):
        assert secret.encode() not in sealed
    assert (_count(db, Ballot), _count(db, Receipt)) == (0, 0)
    assert len(receipt) == 14 and receipt.count("-") == 2
    # An audit entry's timestamp would say when this voter voted.
    assert _count(db, AuditEntry) == before

    assert _close_and_open(db, v) == 1
    (ballot,) = db.scalars(select(Ballot))
    assert ballot.marks == json.dumps(
        sorted(["张三", "李四"]), ensure_ascii=False, separators=(",", ":")
    )
    assert (ballot.round_id, ballot.source, ballot.cast_on) == (
        v.round.id,
        BallotSource.ONLINE,
        DAY,
    )
    assert len(ballot.id) == 32
    (stored,) = db.scalars(select(Receipt))
    assert stored.code == receipt and stored.round_id == v.round.id
    assert _sealed(db, v) == []


def test_the_seats_bound_counts_distinct_names(db):
    v = fe.voting(db, seats=2)
    _cast(db, v, marks=["张三", "张三", "李四", " 李四", ""])
    _close_and_open(db, v)
    (ballot,) = db.scalars(select(Ballot))
    assert json.loads(ballot.marks) == sorted(["张三", "李四"])


def test_a_second_cast_is_already_voted_and_stores_nothing(db):
    v = fe.voting(db)
    _cast(db, v)
    before = _stored(db)
    with pytest.raises(AlreadyVoted) as caught:
        _cast(db, v, marks=["李四"])
    assert "已经投过票" in caught.value.render_message()
    assert str(caught.value.title) == "已投票"
    assert _stored(db) == before


def test_a_paper_ballot_issued_uses_up_the_online_vote(db):
    v = fe.voting(db)
    credential = credentials.credential_for(db, v.election, v.entries[0])
    casting.use_credential(db, v.round, credential, Channel.PAPER, DAY)
    with pytest.raises(AlreadyVoted):
        _cast(db, v)
    assert _count(db, Ballot) == 0


def test_the_database_itself_refuses_a_second_use(db):
    v = fe.voting(db)
    credential = credentials.credential_for(db, v.election, v.entries[0])
    db.add(
        CredentialUse(
            credential_id=credential.id, round_id=v.round.id, channel=Channel.ONLINE, used_on=DAY
        )
    )
    db.flush()
    with pytest.raises(AlreadyVoted):
        casting.use_credential(db, v.round, credential, Channel.MOBILE, DAY)


@pytest.mark.parametrize(
    ("seats", "marks", "message"),
    [
        (1, ["张三", "李四"], "最多只能选 1 人，您选了 2 人。请去掉 1 人再提交。"),
        (2, ["张三", "李四", "赵六"], "最多只能选 2 人，您选了 3 人"),
        (1, ["赵" * 51], "名字太长"),
        (1, ["赵\x00六"], "不能用的字符"),
    ],
)
def test_marks_the_server_refuses_store_nothing(db, seats, marks, message):
    v = fe.voting(db, seats=seats)
    before = _stored(db)
    with pytest.raises(InvalidMarks) as caught:
        _cast(db, v, marks=marks)
    assert message in caught.value.render_message()
    assert _stored(db) == before


def test_write_ins_only_where_the_profile_allows_them(db):
    v = fe.voting(db, overrides='{"write_ins_allowed": false}')
    with pytest.raises(InvalidMarks) as caught:
        _cast(db, v, marks=["赵六"])
    assert "不能另选他人" in caught.value.render_message()
    assert _count(db, CredentialUse) == 0

    allowed = fe.voting(db)
    _cast(db, allowed, marks=["  赵   六 "])
    _close_and_open(db, allowed)
    (ballot,) = db.scalars(select(Ballot).where(Ballot.round_id == allowed.round.id))
    assert json.loads(ballot.marks) == ["赵 六"]


def test_a_blank_ballot_is_a_vote(db):
    v = fe.voting(db)
    assert _cast(db, v, marks=[])
    with pytest.raises(AlreadyVoted):
        _cast(db, v, marks=["张三"])
    assert _close_and_open(db, v) == 1
    (ballot,) = db.scalars(select(Ballot))
    assert ballot.marks == "[]"


@pytest.mark.parametrize("status", [RoundStatus.PENDING, RoundStatus.COUNTING, RoundStatus.VOID])
def test_no_vote_outside_an_open_round(db, status):
    v = fe.voting(db)
    v.round.status = status
    db.flush()
    with pytest.raises(VotingNotOpen):
        _cast(db, v)
    assert _stored(db)[:4] == (0, 0, 0, 0)


def test_a_credential_of_another_election_is_refused(db):
    v = fe.voting(db)
    other = fe.election(db, v.village, title="协会会长选举")
    other_round = fe.round_(db, other)
    credential = credentials.credential_for(db, v.election, v.entries[0])
    with pytest.raises(LinkOtherElection):
        casting.cast_online(db, other_round, credential, ["张三"], Channel.ONLINE)
    assert _count(db, CredentialUse) == 0


def test_paper_is_not_an_online_channel(db):
    v = fe.voting(db)
    with pytest.raises(ValueError, match="paper"):
        _cast(db, v, channel=Channel.PAPER)


@pytest.mark.skipif(TEST_DATABASE != "postgresql", reason="xmin is PostgreSQL's")
def test_opening_the_box_writes_every_ballot_and_receipt_in_one_transaction(db):
    """On PostgreSQL a row remembers the transaction that wrote it (xmin). Votes write no
    ballot or receipt at all; the opening writes them all, so they carry its transaction
    id and none of the votes' (which the voters' credential uses carry)."""
    v = fe.voting(db, voters=3)
    for voter in range(3):
        with db.begin_nested():  # each vote in its own (sub)transaction, as in requests
            _cast(db, v, voter=voter)

    def xmins(table):
        query = f"SELECT xmin::text FROM {table} WHERE round_id = :r"
        return set(db.scalars(text(query), {"r": v.round.id}))

    assert len(xmins("credential_use")) == 3
    assert xmins("ballot") == xmins("receipt") == set()
    results.close_voting(db, Actor(label="组织者"), v.round)
    with db.begin_nested():
        assert fe.open_box(db, v.round) == 3
    (opened,) = xmins("ballot") | xmins("receipt")
    assert opened not in xmins("credential_use")
    assert _count(db, Ballot) == _count(db, Receipt) == 3
    assert json.loads(db.scalars(select(Ballot.marks)).first() or "") == ["张三"]
    # The opened ballots are as immutable as any: a change is refused.
    with pytest.raises(Exception, match="immutable"), db.begin_nested():
        db.execute(text("UPDATE ballot SET marks = '[]' WHERE round_id = :r"), {"r": v.round.id})


# --- what a slip opens -----------------------------------------------------------------


def _access(db, settings, v, person):
    (slip,) = issue_slips(db, Actor(label="t"), v.assembly, [person.id], settings=settings)
    return SlipAccess(slip=slip, person=person, assembly=v.assembly)


def test_a_slip_opens_own_and_entrusted_ballots(db, settings):
    v = fe.voting(db, voters=4)
    proxy, away, other, ordinary = v.people
    fe.entrust(db, v.election, v.entries[1], v.entries[0])
    mine = casting.voter_ballots(db, _access(db, settings, v, proxy))
    assert [(b.voter.id, b.proxy, b.channel, b.can_vote) for b in mine] == [
        (proxy.id, False, Channel.ONLINE, True),
        (away.id, True, Channel.PROXY, True),
    ]
    (theirs,) = casting.voter_ballots(db, _access(db, settings, v, away))
    assert theirs.entrusted_to is not None and theirs.entrusted_to.id == proxy.id
    assert not theirs.can_vote
    _cast(db, v, voter=3)
    (done,) = casting.voter_ballots(db, _access(db, settings, v, ordinary))
    assert done.voted and not done.can_vote
    assert not casting.voter_ballots(db, _access(db, settings, v, other))[0].voted


def test_a_slip_opens_nothing_of_another_assembly_or_a_closed_round(db, settings):
    v = fe.voting(db)
    elsewhere = fe.assembly(db, v.village, title="另一次大会")
    later = fe.election(db, v.village, title="另一个选举", assembly_id=elsewhere.id)
    fe.round_(db, later)
    fe.roll(db, later, v.people[:1])
    access = _access(db, settings, v, v.people[0])
    (only,) = casting.voter_ballots(db, access)
    assert only.election.id == v.election.id
    v.round.status = RoundStatus.COUNTING
    db.flush()
    (closed,) = casting.voter_ballots(db, access)
    assert closed.round is None and not closed.can_vote
    with pytest.raises(VotingNotOpen):
        casting.find_ballot([closed], v.round.id, closed.entry.id)
    with pytest.raises(LinkOtherElection):
        casting.find_ballot([closed], v.round.id, closed.entry.id + 1000)
