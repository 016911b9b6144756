"""The ballot read aloud (ballots.setup.speech): the words, the recording made when the
candidates are published (and again when a withdrawal changes the words), what happens
without an engine, the recording served, and the ballots that offer it.

Tests marked `needs_engine` run Debian's espeak-ng and opusenc, which
scripts/ensure-espeak.sh installs for `make test` and CI; elsewhere they are skipped.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import wave
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.actors import Actor
from app.audit.models import AuditEntry
from app.registry.rules import today_in_china
from ballots import setup
from ballots.models import BallotAudio, Candidate, Round, RoundKind, RoundStatus, Stage
from ballots.paper import mobile
from ballots.results import services as results
from ballots.setup import latest_round, speech
from ballots.setup.speech import (
    SpeechEngine,
    SpeechFailed,
    ballot_words,
    chinese_number,
    keep_audio,
    opus_seconds,
    round_words,
    speak_round,
    synthesize,
    words_of,
)
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.ballots import factories_elections as fe
from tests.ballots.paper_support import make_scene
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.ballots.setup_support import election, nominate, place
from tests.ballots.test_vote_path_statements import PAGE_BUDGET, _app_statements, counted
from tests.conftest import post_form, sign_in
from tests.html import soup

needs_engine = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("opusenc") is None,
    reason="espeak-ng and opusenc are not installed (scripts/ensure-espeak.sh installs them)",
)
MISSING = "/nonexistent/espeak-ng"


@pytest.fixture
def speech_setting() -> str:
    return "espeak-ng"


@pytest.fixture
def settings(settings, speech_setting):
    """The app's settings with CUNYI_SPEECH_ENGINE as the test parametrizes it."""
    return settings.with_overrides(speech_engine=speech_setting)


def _recordings(db):
    return list(db.scalars(select(BallotAudio).order_by(BallotAudio.id)))


def _nominated(client, db):
    """An election in its nomination stage, four nominees, the organizer signed in."""
    where = place(db, voters=5)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30), seats=2)
    setup.build_roll(db, where.actor, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, today_in_china())
    found.roll_published_on = today_in_china() - timedelta(days=10)
    setup.advance(db, where.actor, found, Stage.OBJECTIONS_CLOSED, today_in_china())
    setup.advance(db, where.actor, found, Stage.NOMINATIONS, today_in_china())
    nominate(db, where, found, {0: 5, 1: 4, 2: 3, 3: 2, 4: 1})
    sign_in(client, where.organizer.username)
    return where, found


def _publish(client, found, count=4):
    page = f"/elections/{found.id}/candidates"
    return post_form(client, f"{page}/publish", {"count": str(count)}, page=page)


def _audio_url(recording):
    return f"/public/rounds/{recording.round_id}/audio/{recording.sha256}"


def _keep(db, round_, words):
    """A recording as the engine would have stored it, for pages that only offer it."""
    return keep_audio(db, round_.id, words, b"OggS not really audio")


# --- the words ---------------------------------------------------------------------


def test_the_words_say_the_office_the_seats_and_each_number_and_name():
    assert (
        ballot_words("村民委员会主任选举", 1, RoundKind.FIRST, 1, ["张三", "李四"])
        == "村民委员会主任选举。应选一人，最多选一人。一号，张三。二号，李四。"
    )
    assert ballot_words("委员选举", 1, RoundKind.FIRST, 2, ["甲"]).startswith(
        "委员选举。应选两人，最多选两人。"
    )
    further = ballot_words("计生主任选举", 2, RoundKind.FURTHER, 1, ["甲", "乙"])
    assert further.startswith("计生主任选举。第二轮投票，另行选举。应选一人")
    revote = ballot_words("计生主任选举", 3, RoundKind.TIE_REVOTE, 1, ["甲", "乙"])
    assert "第三轮投票，票数相同，重新投票。" in revote
    assert [chinese_number(n) for n in (1, 10, 11, 20, 35, 99, 100)] == [
        "一", "十", "十一", "二十", "三十五", "九十九", "100"
    ]  # fmt: skip


def test_square_brackets_cannot_slip_phoneme_codes_into_the_recording():
    # espeak-ng reads "[[...]]" as phoneme codes: a name must be read as written.
    words = ballot_words("[[h@'loU]]选举", 1, RoundKind.FIRST, 1, ["张[[s'an]]三"])
    assert "[" not in words and "]" not in words
    assert words.startswith("h@'loU选举。") and "一号，张s'an三。" in words


def test_the_words_leave_withdrawn_candidates_out_and_number_the_rest_in_ballot_order(db):
    village = factories.VillageFactory()
    found = fe.election(db, village, stage=Stage.CANDIDATES_PUBLISHED)
    round_ = fe.round_(db, found, candidates=("张三", "李四", "王五"), status=RoundStatus.PENDING)
    db.scalar(select(Candidate).where(Candidate.name == "李四")).withdrawn = True
    db.flush()
    assert round_words(db, round_) == "计生主任选举。应选一人，最多选一人。一号，张三。二号，王五。"


# --- made when the candidates are published ------------------------------------------


@needs_engine
def test_publishing_the_candidates_reads_the_ballot_aloud_once(client, db):
    where, found = _nominated(client, db)
    assert _publish(client, found).status_code == 303
    (made,) = _recordings(db)
    assert made.words == (
        "2026年计生主任选举。应选两人，最多选两人。"
        "一号，选民0。二号，选民1。三号，选民2。四号，选民3。"
    )
    assert made.media_type == "audio/ogg; codecs=opus"
    assert made.audio.startswith(b"OggS") and b"OpusHead" in made.audio
    assert made.sha256 == hashlib.sha256(made.audio).hexdigest()
    # Four names at a slow pace: some ten seconds, in well under 30 KB.
    assert 6 < opus_seconds(made.audio) < 25
    assert len(made.audio) < 30_000
    logged = db.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "ballot_audio"))
    assert logged == "election.ballot_audio"

    page = soup(client.get(f"/elections/{found.id}/candidates").text)
    player = page.select_one("#read-aloud audio[controls]")
    assert player is not None and player["src"] == _audio_url(made)
    assert "一号，选民0。" in page.select_one("#read-aloud").get_text()

    # The same words again: nothing new is made or stored.
    page_path = f"/elections/{found.id}/candidates"
    again = post_form(client, f"{page_path}/read-aloud", {}, page=page_path)
    assert again.status_code == 303
    assert "这份选票的朗读已经有了" in client.get(page_path).text
    round_ = db.get(Round, made.round_id)
    assert speak_round(db, where.actor, SpeechEngine("espeak-ng"), round_).made is False
    assert len(_recordings(db)) == 1


@needs_engine
def test_a_withdrawal_changes_the_words_and_a_new_recording_is_offered(client, db):
    _where, found = _nominated(client, db)
    _publish(client, found, count=3)
    (first,) = _recordings(db)
    withdrawn = db.scalar(select(Candidate).where(Candidate.name == "选民1"))
    path = f"/elections/{found.id}/candidates/{withdrawn.id}/withdraw"
    assert post_form(client, path, {"reason": "本人书面申请退出"}).status_code == 303
    old, new = _recordings(db)
    assert old.id == first.id
    assert new.words.endswith("一号，选民0。二号，选民2。三号，选民3。")
    assert "选民1" not in new.words
    assert client.get(_audio_url(old)).status_code == 404  # it names a withdrawn candidate
    assert client.get(_audio_url(new)).status_code == 200


@needs_engine
def test_a_further_round_is_read_aloud_with_its_own_words(db):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 5 + [["乙"]] * 3 + [["丙"]] * 2)
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    further = results.further_round(
        db, poll.actor, poll.election, results.result_of(outcome), speech=SpeechEngine("espeak-ng")
    )
    (made,) = _recordings(db)
    assert made.round_id == further.id
    assert (
        made.words
        == "计生主任选举。第二轮投票，另行选举。应选一人，最多选一人。一号，甲。二号，乙。"
    )


@needs_engine
def test_a_list_published_without_a_recording_gets_one_on_the_organizer_s_request(client, db):
    """As after an upgrade, or a failure logged at publication: the page says so, and
    "重新生成朗读" makes it."""
    where, found = _nominated(client, db)
    setup.publish_candidates(db, where.actor, found, today_in_china(), 4)  # no engine given
    page_path = f"/elections/{found.id}/candidates"
    problem = soup(client.get(page_path).text).select_one("#read-aloud-problem").get_text()
    assert (
        problem
        == "朗读未生成：可能是生成时出错（原因写在服务器日志里）。可以点“重新生成朗读”再试一次。"
    )
    assert post_form(client, f"{page_path}/read-aloud", {}, page=page_path).status_code == 303
    page = soup(client.get(page_path).text)
    assert page.select_one(".flash").get_text().strip() == "选票朗读已生成。"
    assert page.select_one("#read-aloud audio")["src"] == _audio_url(_recordings(db)[0])


def test_once_voting_opens_the_recording_is_not_made_again(client, db):
    """Making one holds the write for a second or more: not while villagers vote."""
    where, found = _nominated(client, db)
    setup.publish_candidates(db, where.actor, found, today_in_china(), 4)  # no engine given
    latest_round(db, found).status = RoundStatus.OPEN
    db.flush()
    page_path = f"/elections/{found.id}/candidates"
    page = soup(client.get(page_path).text)
    assert page.select_one("#read-aloud-problem") is not None
    assert page.select_one(f"form[action='{page_path}/read-aloud']") is None
    refused = post_form(client, f"{page_path}/read-aloud", {}, page=page_path)
    assert refused.status_code == 409 and "投票已经开始，不能再重新生成朗读" in refused.text
    assert _recordings(db) == []


# --- without an engine --------------------------------------------------------------


@pytest.mark.parametrize(
    ("speech_setting", "reason"),
    [(MISSING, f"服务器上找不到朗读程序 {MISSING}"), ("off", "选票朗读已关闭")],
)
def test_without_the_engine_the_candidates_are_published_and_the_page_says_why(
    client, db, caplog, speech_setting, reason
):
    _where, found = _nominated(client, db)
    with caplog.at_level(logging.WARNING, logger="cunyi"):
        assert _publish(client, found).status_code == 303
    db.refresh(found)
    assert found.stage is Stage.CANDIDATES_PUBLISHED
    assert _recordings(db) == []
    assert reason in caplog.text
    page_path = f"/elections/{found.id}/candidates"
    page = soup(client.get(page_path).text)
    problem = page.select_one("#read-aloud-problem").get_text()
    assert problem.startswith("朗读未生成：") and reason in problem
    assert page.select("#read-aloud audio") == []
    # Trying again says the same, and still stores nothing.
    again = post_form(client, f"{page_path}/read-aloud", {}, page=page_path)
    assert again.status_code == 303
    flashed = soup(client.get(page_path).text).select_one(".flash").get_text()
    assert "朗读未生成" in flashed and reason in flashed
    assert _recordings(db) == []


def _script(tmp_path, body):
    program = tmp_path / "speaker"
    program.write_text("#!/bin/sh\n" + body + "\n")
    program.chmod(0o755)
    return str(program)


def test_an_engine_that_fails_hangs_or_says_nothing_is_a_reason_not_an_error(tmp_path):
    failing = SpeechEngine(_script(tmp_path, "echo 'no voice' >&2; exit 3"), encoder="cat")
    with pytest.raises(SpeechFailed, match="speaker 出错（退出码 3）：no voice"):
        synthesize(failing, "张三")
    hanging = SpeechEngine(_script(tmp_path, "sleep 10"), encoder="cat", timeout=0.5)
    with pytest.raises(SpeechFailed, match=r"speaker 在 0\.5 秒内没有完成"):
        synthesize(hanging, "张三")
    silent = SpeechEngine(_script(tmp_path, "cat >/dev/null; echo nothing"), encoder="cat")
    with pytest.raises(SpeechFailed, match="没有生成声音"):
        synthesize(silent, "张三")
    no_encoder = SpeechEngine(_script(tmp_path, "true"), encoder="/nonexistent/opusenc")
    assert "找不到音频编码程序 /nonexistent/opusenc" in (speech.speech_problem(no_encoder) or "")


# --- the recording served -----------------------------------------------------------


@needs_engine
def test_the_recording_is_served_playable_and_cached_for_good(client, db, tmp_path):
    _where, found = _nominated(client, db)
    _publish(client, found)
    (made,) = _recordings(db)
    client.cookies.clear()  # anyone may fetch it, like the public candidate list
    served = client.get(_audio_url(made))
    assert served.status_code == 200
    assert served.headers["content-type"] == "audio/ogg; codecs=opus"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.content == made.audio and served.content[:4] == b"OggS"
    # A real decoder plays it back: mono speech of the length the header claims.
    (tmp_path / "ballot.opus").write_bytes(served.content)
    subprocess.run(
        ["opusdec", "--quiet", "--rate", "16000", "ballot.opus", "ballot.wav"],
        cwd=tmp_path, check=True, timeout=30,
    )  # fmt: skip
    with wave.open(str(tmp_path / "ballot.wav")) as decoded:
        seconds = decoded.getnframes() / decoded.getframerate()
        assert decoded.getnchannels() == 1
    assert abs(seconds - opus_seconds(made.audio)) < 0.1
    assert 6 < seconds < 25
    info = subprocess.run(
        ["opusinfo", "ballot.opus"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert info.returncode == 0 and "Playback length" in info.stdout
    wrong = client.get(f"/public/rounds/{made.round_id}/audio/{'0' * 64}")
    assert wrong.status_code == 404


@needs_engine
def test_mandarin_is_read_as_mandarin_not_as_english_letters():
    """espeak-ng's phonemes for the words: pinyin syllables with tones, never the English
    voice it falls back to for letters ('(en)'), nor 'Chinese letter' spelled out."""
    done = subprocess.run(
        ["espeak-ng", "-q", "-x", "-v", speech.VOICE, "-b", "1", "--stdin"],
        input="一号，张三。".encode(), capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    phonemes = done.stdout.decode()
    assert "(en)" not in phonemes and "letter" not in phonemes.lower()
    assert "ts.'a55N" in phonemes and "s'a55n" in phonemes  # zhāng sān, first tones


# --- the ballots that offer it ------------------------------------------------------


def _ballot_page(client, db, settings, v):
    (slip,) = issue_slips(db, Actor(label="测试"), v.assembly, [v.people[0].id], settings=settings)
    return f"/s/{slip_token(settings, slip)}/b/{v.round.id}/{v.entries[0].id}"


def test_the_villager_ballot_offers_the_recording_of_its_words(client, db, settings):
    v = fe.voting(db, voters=2)
    made = _keep(db, v.round, words_of(v.election, v.round, ["张三", "李四", "王五"]))
    path = _ballot_page(client, db, settings, v)
    page = soup(client.get(path).text)
    player = page.select_one("p.read-aloud audio[controls][preload=none]")
    assert player is not None and player["src"] == _audio_url(made)
    link = page.select_one("p.read-aloud a")
    assert link["href"] == _audio_url(made) and link.get_text() == "听选票朗读"
    # Right under the seats, before the candidates.
    assert page.select_one("p.lead + p.read-aloud") is not None
    # Still one round trip, and no more statements than before.
    css = client.get("/static/css/app.css").content
    assert len(client.get(path).content) + len(css) < 14_000
    with counted() as statements:
        assert client.get(path).status_code == 200
    assert len(_app_statements(statements)) <= PAGE_BUDGET


def test_a_recording_of_other_words_is_not_offered(client, db, settings):
    v = fe.voting(db, voters=2)
    _keep(db, v.round, words_of(v.election, v.round, ["张三", "李四"]))  # before 王五 was added
    page = soup(client.get(_ballot_page(client, db, settings, v)).text)
    assert page.select("audio") == [] and "听选票朗读" not in page.get_text()


def test_the_mobile_box_ballot_offers_the_recording_too(client, db):
    scene = make_scene(db)
    names = [c.name for c in setup.round_candidates(db, scene.round)]
    made = _keep(db, scene.round, words_of(scene.election, scene.round, names))
    voter = scene.entries[0]
    mobile.set_homebound(db, scene.actor, voter, True)
    sign_in(client, scene.teller().username)
    box = f"/rounds/{scene.round.id}/mobile"
    post_form(client, f"{box}/{voter.id}/hand-over", {}, page=box)
    page = soup(client.get("/mobile-ballot").text)
    player = page.select_one("p.read-aloud audio[controls][preload=none]")
    assert player is not None and player["src"] == _audio_url(made)
    assert db.scalar(select(func.count()).select_from(BallotAudio)) == 1


def test_a_round_s_recording_is_not_served_for_another_round(client, db):
    v = fe.voting(db, voters=1)
    made = _keep(db, v.round, words_of(v.election, v.round, ["张三", "李四", "王五"]))
    assert client.get(_audio_url(made)).status_code == 200
    other = fe.round_(db, v.election, number=2, status=RoundStatus.PENDING)
    assert client.get(f"/public/rounds/{other.id}/audio/{made.sha256}").status_code == 404


def test_a_player_may_ask_for_part_of_the_recording(client, db):
    """Browsers read an Ogg file's end to learn how long it plays (Range requests)."""
    v = fe.voting(db, voters=1)
    made = _keep(db, v.round, words_of(v.election, v.round, ["张三", "李四", "王五"]))
    size = len(made.audio)
    whole = client.get(_audio_url(made))
    assert whole.headers["accept-ranges"] == "bytes" and whole.content == made.audio
    head = client.get(_audio_url(made), headers={"Range": "bytes=0-3"})
    assert head.status_code == 206 and head.content == b"OggS"
    assert head.headers["content-range"] == f"bytes 0-3/{size}"
    tail = client.get(_audio_url(made), headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == made.audio[-5:]
    rest = client.get(_audio_url(made), headers={"Range": "bytes=4-"})
    assert rest.content == made.audio[4:]
    beyond = client.get(_audio_url(made), headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
