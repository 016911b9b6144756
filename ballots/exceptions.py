"""Election errors: each says, in Chinese, what happened and what to do.

Areas add their classes below their heading; keep one class per distinct situation.
"""

from __future__ import annotations

from app.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from app.i18n import LazyText, lazy
from slips.exceptions import LinkError


class ElectionError(DomainError):
    title = lazy("选举操作未完成")


class StageError(Conflict):
    title = lazy("现在还不能这样做")


__all__ = [
    "Conflict",
    "DomainError",
    "ElectionError",
    "Forbidden",
    "NotFound",
    "StageError",
]

# --- setup (elections, stages, roll, objections, nominations, candidates) ---------


class ElectionNotFound(NotFound):
    title = lazy("找不到这个选举")


class NotADrill(StageError):
    """Only a drill (app.drill) is ever removed: a real election is a record for good."""


class InvalidElectionInput(InvalidInput, ElectionError):
    """Input that breaks a set-up rule, with a message per form field (see InvalidInput)."""


class StageBlocked(StageError):
    """A stage transition refused now; `reasons` are ballots.stages reason ids."""

    def __init__(self, messages: list[str], reasons: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages
        self.reasons = reasons


class RollFrozen(StageError):
    title = lazy("选民名单不能再修改")


class ObjectionRefused(StageError):
    """Filing or deciding an objection outside its time or without what it needs."""

    title = lazy("异议没有登记")


class NominationRefused(ElectionError):
    status_code = 422
    title = lazy("提名没有登记")


class AlreadyNominated(Conflict):
    title = lazy("您已经提名过了")


class CandidatesRefused(ElectionError):
    """Choosing, publishing or withdrawing candidates that breaks a rule (差额, ties)."""

    status_code = 422
    title = lazy("候选人名单没有保存")


class TieAtCut(CandidatesRefused):
    """Nominees tied across the cut: the organizer must decide who is listed."""

    def __init__(self, message: str, tied_keys: list[str], places: int) -> None:
        super().__init__(message)
        self.tied_keys = tied_keys
        self.places = places


class PhotoRefused(ElectionError):
    """A candidate's photo not taken: not an image, too large, or not now."""

    status_code = 422
    title = lazy("照片没有保存")


# --- credentials and casting (the slip link errors are in slips.exceptions) ----------


class LinkOtherElection(LinkError):
    """A ballot this slip does not open (another assembly's or another voter's)."""

    title = lazy("这张选票不属于这个二维码")


class AlreadyVoted(Conflict):
    """The credential was used in this round already; the database refused a second use."""

    title = lazy("已投票")


class VotingNotOpen(Conflict):
    title = lazy("现在不能投票")


class EntrustedAway(Conflict):
    """The voter entrusted a proxy (委托投票): the proxy votes, not the voter."""

    title = lazy("已委托他人投票")


class InvalidMarks(ElectionError):
    """A ballot the server refuses as filled in (over-marked, unknown name, ...)."""

    status_code = 422
    title = lazy("选票需要修改")


# --- paper ballots, public count, mobile box, proxies --------------------------------


class NotOnRoll(NotFound):
    """The person named is not a (live) entry of this election's roll."""

    title = lazy("选民名单上没有这个人")


class PaperEntryRefused(ElectionError):
    """A paper ballot the teller entered cannot be recorded as entered (fix and retry)."""

    status_code = 422
    title = lazy("这张选票没有录入")


class NotYourCount(Forbidden):
    """Each teller enters the stack independently, on their own count only."""


class CountClosed(Conflict):
    title = lazy("纸质选票已经结束计票")


class CountsDiffer(Conflict):
    """Two tellers' entries of one stack differ: the count may not close yet."""

    title = lazy("两位计票人的录入不一致")


class NotHomebound(Conflict):
    title = lazy("这位选民不在流动票箱名单上")


class EntrustmentRefused(ElectionError):
    """An entrustment (委托投票) that breaks a rule; the message says which and what to do.

    `field` names the form field the message belongs beside ("__all__" for the form).
    """

    status_code = 422
    title = lazy("委托没有登记")
    field = "__all__"


class HelpRefused(ElectionError):
    """代写: a helper the rules refuse (a candidate, a candidate's household member, the
    voter), or a second record for one voter; the message says why. Nothing is written,
    and a paper ballot issued with the help is not issued either."""

    status_code = 422
    title = lazy("代写人没有记录")


# --- results, certification, tracker, export -----------------------------------------


class AttendanceRefused(ElectionError):
    """A group meeting's attendance the roll or the ballots cast rule out.

    `field` names the form field the message belongs beside.
    """

    status_code = 422
    title = lazy("到会人数没有保存")

    def __init__(self, field: str, message: LazyText, **variables: object) -> None:
        super().__init__(message)
        self.variables = variables
        self.field = field


class WrongPassword(ElectionError):
    """A teller's password did not match when confirming a result."""

    status_code = 422
    title = lazy("密码不对")


class NotNamedTeller(Forbidden):
    """Only the tellers named for a round confirm its result."""

    title = lazy("您不是本轮的监计票人")
