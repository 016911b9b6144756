"""The ballot read aloud: the office, the seats and each candidate's number and name,
spoken by an offline engine when the candidates are published, for voters who cannot
read the ballot.

The engine is Debian's espeak-ng with its Mandarin voice, encoded by opusenc to Ogg
Opus at 12 kbit/s (an office of two seats and four candidates: 15 seconds in 21 KB,
against 680 KB of espeak's WAV), which Chromium and Android phones play in a plain
<audio> element. Each text is
made once per round and kept (BallotAudio, append-only); when the ballot's words change
(a withdrawal) a new recording is made, and the newest whose words match the ballot is
the one offered. Without the engine (CUNYI_SPEECH_ENGINE=off, or not installed) or
when it fails, publication goes on and no audio is offered; the organizer's candidates
page says why (`speech_problem`).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.i18n import gettext_
from app.settings import Settings
from ballots.models import BallotAudio, Election, Round, RoundKind
from ballots.setup.stages import round_candidates

logger = logging.getLogger("cunyi")

OFF = "off"
ENCODER = "opusenc"  # Debian's opus-tools
MEDIA_TYPE = "audio/ogg; codecs=opus"
# Debian's espeak-ng 1.51 voice "cmn" reads each character's pinyin with English letter
# rules ("村" comes out as "kun"); "cmn-latn-pinyin" reads the same pinyin as Mandarin.
VOICE = "cmn-latn-pinyin"
WORDS_PER_MINUTE = "150"  # espeak's default 175 is quick for an elderly listener
ENCODER_OPTIONS = (
    "--quiet",
    "--bitrate",
    "12",  # kbit/s: clear speech, about 1.4 KB a second
    "--speech",
    "--framesize",
    "60",  # fewer packets, less overhead at a low bitrate
    "--serial",
    "1",  # the same words give the same bytes
    "--discard-comments",
    "--padding",
    "0",
)
TIMEOUT_SECONDS = 5.0  # each step; a ballot of 20 names takes 1.6 s in all
SMALLEST_AUDIO = 200  # bytes: anything shorter is no speech


@dataclass(frozen=True)
class SpeechEngine:
    """The programs that speak and encode (CUNYI_SPEECH_ENGINE), "off" for none."""

    program: str
    encoder: str = ENCODER
    timeout: float = TIMEOUT_SECONDS

    @property
    def off(self) -> bool:
        return self.program.strip().lower() == OFF


def speech_engine(settings: Settings) -> SpeechEngine:
    return SpeechEngine(settings.speech_engine)


class SpeechFailed(Exception):
    """Why no audio was made, in Chinese, for the organizer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- the words -----------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"
# What a later round says after "第二轮投票" (a void first round held again: nothing).
KIND_WORDS = {RoundKind.FURTHER: "，另行选举。", RoundKind.TIE_REVOTE: "，票数相同，重新投票。"}


def chinese_number(n: int) -> str:
    """1 to 99 in Chinese numerals, as said when counting (十一, 二十); digits past that,
    which the engine reads as a number too."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def ballot_words(
    title: str, round_number: int, kind: RoundKind, seats: int, names: Sequence[str]
) -> str:
    """What the recording says. Spoken Mandarin whatever the page's language, so not a
    translatable message: the engine's voice reads Chinese only.

    The numbers are the ballot's: the candidates in ballot order, counted from 1.
    """
    count = "两" if seats == 2 else chinese_number(seats)
    parts = [f"{_speakable(title)}。"]
    if round_number > 1:
        parts.append(f"第{chinese_number(round_number)}轮投票{KIND_WORDS.get(kind, '。')}")
    parts.append(f"应选{count}人，最多选{count}人。")
    parts.extend(
        f"{chinese_number(n)}号，{_speakable(name)}。" for n, name in enumerate(names, start=1)
    )
    return "".join(parts)


def _speakable(text: str) -> str:
    """The text without square brackets: espeak-ng reads "[[...]]" as phoneme codes, so a
    title or a name holding them could make the recording say something else."""
    return text.replace("[", "").replace("]", "").strip()


def words_of(election: Election, round_: Round, names: Sequence[str]) -> str:
    return ballot_words(election.title, round_.number, round_.kind, round_.seats, names)


def round_words(session: Session, round_: Round) -> str | None:
    """The words of the round's ballot as it stands; None when it lists nobody."""
    names = [c.name for c in round_candidates(session, round_)]
    if not names:
        return None
    election = session.get(Election, round_.election_id)
    assert election is not None
    return words_of(election, round_, names)


# --- speaking ------------------------------------------------------------------------


def _program(name: str, missing: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SpeechFailed(missing)
    return found


def speech_problem(engine: SpeechEngine) -> str | None:
    """Why this server cannot read a ballot aloud (in Chinese), None when it can."""
    try:
        _programs(engine)
    except SpeechFailed as failed:
        return failed.reason
    return None


def _programs(engine: SpeechEngine) -> tuple[str, str]:
    if engine.off:
        raise SpeechFailed(gettext_("选票朗读已关闭（设置 CUNYI_SPEECH_ENGINE=off）。"))
    speaker = _program(
        engine.program,
        gettext_(
            "服务器上找不到朗读程序 %(program)s。请安装 espeak-ng（Debian：apt-get install espeak-ng opus-tools），或在设置 CUNYI_SPEECH_ENGINE 里写明它的位置。",
            program=engine.program,
        ),
    )
    encoder = _program(
        engine.encoder,
        gettext_(
            "服务器上找不到音频编码程序 %(program)s。请安装 opus-tools（Debian：apt-get install opus-tools）。",
            program=engine.encoder,
        ),
    )
    return speaker, encoder


def _run(command: list[str], given: bytes, timeout: float) -> bytes:
    # The program is a path shutil.which found, its options are fixed here and the words
    # go in on standard input: nothing typed by anyone reaches a command line or a shell.
    program = PurePath(command[0]).name
    try:
        done = subprocess.run(  # noqa: S603
            command,
            input=given,
            capture_output=True,
            timeout=timeout,
            check=False,
            # Nothing of the server's environment (its secret key, the database's address)
            # is handed to another program; the paths are absolute, so no PATH is needed.
            env={"LANG": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        raise SpeechFailed(
            gettext_(
                "%(program)s 在 %(seconds)s 秒内没有完成。", program=program, seconds=f"{timeout:g}"
            )
        ) from None
    except OSError as error:
        raise SpeechFailed(
            gettext_(
                "%(program)s 无法运行：%(error)s", program=program, error=error.strerror or error
            )
        ) from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise SpeechFailed(
            gettext_(
                "%(program)s 出错（退出码 %(code)s）：%(detail)s",
                program=program,
                code=done.returncode,
                detail=detail,
            )
        )
    return done.stdout


def synthesize(engine: SpeechEngine, words: str) -> bytes:
    """The words spoken (espeak-ng, WAV on a pipe) and encoded (opusenc): Ogg Opus bytes.
    Raises SpeechFailed saying why not. No shell: the words go in on standard input."""
    speaker, encoder = _programs(engine)
    # -b 1: the text is UTF-8 whatever the server's locale; --stdin: no option parsing of it.
    wave = _run(
        [speaker, "-v", VOICE, "-s", WORDS_PER_MINUTE, "-b", "1", "--stdin", "--stdout"],
        words.encode("utf-8"),
        engine.timeout,
    )
    if not wave.startswith(b"RIFF"):
        raise SpeechFailed(gettext_("朗读程序没有生成声音。"))
    audio = _run([encoder, *ENCODER_OPTIONS, "-", "-"], wave, engine.timeout)
    if not audio.startswith(b"OggS") or len(audio) < SMALLEST_AUDIO:
        raise SpeechFailed(gettext_("音频编码程序没有生成可以播放的声音。"))
    return audio


def opus_seconds(audio: bytes) -> float:
    """How long an Ogg Opus recording plays: its last page's granule position (48 kHz
    samples) less the pre-skip in its header. 0 when it is not one."""
    last = audio.rfind(b"OggS")
    head = audio.find(b"OpusHead")
    if last < 0 or head < 0 or len(audio) < last + 14 or len(audio) < head + 12:
        return 0.0
    granule = int.from_bytes(audio[last + 6 : last + 14], "little", signed=True)
    pre_skip = int.from_bytes(audio[head + 10 : head + 12], "little")
    return max(granule - pre_skip, 0) / 48000


# --- the records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Spoken:
    """What `speak_round` did: the recording on offer (new or already made), or why none."""

    audio: BallotAudio | None
    made: bool = False
    problem: str | None = None


def _newest(wanted: Any, round_id: int, words: str) -> Select[Any]:
    return (
        select(wanted)
        .where(BallotAudio.round_id == round_id, BallotAudio.words == words)
        .order_by(BallotAudio.id.desc())
        .limit(1)
    )


def current_audio(session: Session, round_id: int, words: str) -> BallotAudio | None:
    """The newest recording of the round that says these words."""
    found: BallotAudio | None = session.scalar(_newest(BallotAudio, round_id, words))
    return found


def offered_sha256(session: Session, round_id: int, words: str) -> str | None:
    """The checksum naming the recording a ballot with these words offers (one statement)."""
    found: str | None = session.scalar(_newest(BallotAudio.sha256, round_id, words))
    return found


def keep_audio(session: Session, round_id: int, words: str, audio: bytes) -> BallotAudio:
    """Store a recording of the round's words (Ogg Opus bytes)."""
    kept = BallotAudio(
        round_id=round_id,
        words=words,
        audio=audio,
        media_type=MEDIA_TYPE,
        sha256=hashlib.sha256(audio).hexdigest(),
    )
    session.add(kept)
    session.flush()
    return kept


def speak_round(
    session: Session, actor: Actor, engine: SpeechEngine | None, round_: Round
) -> Spoken:
    """Read the round's ballot aloud and keep the recording, unless one with the same
    words is kept already. Never raises for the engine: a missing or failing engine is
    logged and returned as `problem`, and whatever the caller did stands."""
    words = round_words(session, round_)
    if words is None:
        return Spoken(None)
    existing = current_audio(session, round_.id, words)
    if existing is not None:
        return Spoken(existing)
    if engine is None:
        return Spoken(None)
    try:
        audio = synthesize(engine, words)
    except SpeechFailed as failed:
        logger.warning("No ballot audio for round %s: %s", round_.id, failed.reason)
        return Spoken(None, problem=failed.reason)
    made = keep_audio(session, round_.id, words, audio)
    election = session.get(Election, round_.election_id)
    assert election is not None
    record(
        session,
        actor,
        "election.ballot_audio",
        "ballot_audio",
        made.id,
        {"round": round_.number, "audio_sha256": made.sha256},
        village_id=election.village_id,
    )
    return Spoken(made, made=True)


def speech_status(session: Session, engine: SpeechEngine, round_: Round) -> Spoken:
    """For the organizer's page: the recording the round's ballot offers now, or why
    there is none (what the server lacks; otherwise that making it failed, as logged)."""
    words = round_words(session, round_)
    audio = current_audio(session, round_.id, words) if words is not None else None
    if audio is not None or words is None:
        return Spoken(audio)
    problem = speech_problem(engine) or gettext_(
        "可能是生成时出错（原因写在服务器日志里）。可以点“重新生成朗读”再试一次。"
    )
    return Spoken(None, problem=problem)
