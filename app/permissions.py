"""Staff roles and what each may do. Every route names one `Permission`; `app.web` checks it.

The kernel knows a signed-in person only as a `Principal` (its role and scope), so the
request layer needs nothing from app.accounts, whose StaffUser is one.
"""

from __future__ import annotations

import enum
from typing import Protocol

from app.i18n import LazyText, lazy


class Role(enum.StrEnum):
    TOWNSHIP_ADMIN = "township_admin"
    ORGANIZER = "organizer"
    GROUP_LEADER = "group_leader"
    TELLER = "teller"
    RECORDER = "recorder"
    AUDITOR = "auditor"


ROLE_LABELS: dict[Role, LazyText] = {
    Role.TOWNSHIP_ADMIN: lazy("乡镇管理员"),
    Role.ORGANIZER: lazy("组织者"),
    Role.GROUP_LEADER: lazy("小组长"),
    Role.TELLER: lazy("监计票人"),
    Role.RECORDER: lazy("记录人"),
    Role.AUDITOR: lazy("监督审计"),
}


# Roles that act inside one village and must be bound to it.
VILLAGE_ROLES = (Role.ORGANIZER, Role.GROUP_LEADER, Role.TELLER, Role.RECORDER)


class Principal(Protocol):
    """A signed-in staff member as the kernel sees one: who, in which role and scope."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def township_id(self) -> int: ...
    @property
    def village_id(self) -> int | None: ...
    @property
    def active(self) -> bool: ...


class Permission(enum.StrEnum):
    # Minutes (package minutes). Signing is open to every role that may host or record
    # a meeting; the service checks that the signer IS that meeting's host or recorder.
    # Open to anyone: sign-in page, language switch, static files, villager QR pages.
    PUBLIC = "public"
    # Any signed-in staff member (home, own password).
    SIGNED_IN = "signed_in"
    REGISTRY_READ = "registry.read"
    REGISTRY_WRITE = "registry.write"
    STAFF_READ = "staff.read"
    STAFF_MANAGE = "staff.manage"
    AUDIT_READ = "audit.read"
    # Elections (package ballots).
    ELECTION_READ = "election.read"  # see elections, rolls, results, turnout
    ELECTION_MANAGE = "election.manage"  # create, stages, roll, nominations, slips
    ELECTION_COUNT = "election.count"  # tellers: paper issue, public count, mobile box
    ELECTION_CERTIFY = "election.certify"  # tellers confirm a result with their password
    # Art 21: a result won by fraud is void; the supervision committee or township
    # records that with a reason. The one change an auditor can make, on purpose.
    ELECTION_ANNUL = "election.annul"
    # Meetings (package meetings).
    MEETING_READ = "meeting.read"  # see meetings, agendas, attendance figures
    MEETING_MANAGE = "meeting.manage"  # create, notice, agenda, open and close
    MEETING_VOTE_COUNT = "meeting.vote_count"  # tellers: enter show-of-hands counts
    # Check-in and the live panel: the hall's staff (tellers, organizers) and whoever may
    # run a meeting (MEETING_MANAGE: organizers, the township admin who hosts).
    MEETING_ATTENDANCE = "meeting.attendance"
    MINUTES_WRITE = "minutes.write"  # recorder's notes and addenda
    # Host and recorder sign with their password. Posting the public edition is declared
    # with this permission too; minutes.signing.may_post says who (host, recorder, organizer).
    MINUTES_SIGN = "minutes.sign"
    # Compacts (package compacts).
    COMPACT_READ = "compact.read"  # versions, rounds, coverage, history
    COMPACT_MANAGE = "compact.manage"  # draft, version, rounds, answers, adoption, delivery
    COMPACT_LEAD = "compact.lead"  # group leaders: paper opinions and votes, group summary
    COMPACT_FILE = "compact.file"  # township: acknowledge a filing or order a correction
    # Surveys (package surveys).
    SURVEY_READ = "survey.read"  # surveys, response counts, results
    SURVEY_MANAGE = "survey.manage"  # create, edit questions, open, close, paper entry
    # Assessment (package assessment) and the read-only JSON API (app.api).
    ASSESSMENT_READ = "assessment.read"  # village report, township overview, exports
    ASSESSMENT_MANAGE = "assessment.manage"  # township: standards, thresholds, API tokens


_READ_EVERYTHING = frozenset(
    {
        Permission.SIGNED_IN,
        Permission.REGISTRY_READ,
        Permission.STAFF_READ,
        Permission.AUDIT_READ,
        Permission.ELECTION_READ,
        Permission.MEETING_READ,
        Permission.COMPACT_READ,
        Permission.SURVEY_READ,
        Permission.ASSESSMENT_READ,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TOWNSHIP_ADMIN: _READ_EVERYTHING
    | {
        Permission.MEETING_ATTENDANCE,
        Permission.MINUTES_SIGN,
        Permission.REGISTRY_WRITE,
        Permission.STAFF_MANAGE,
        Permission.ELECTION_MANAGE,
        Permission.ELECTION_ANNUL,
        Permission.MEETING_MANAGE,
        Permission.COMPACT_MANAGE,
        Permission.COMPACT_FILE,
        Permission.SURVEY_MANAGE,
        Permission.ASSESSMENT_MANAGE,
    },
    Role.ORGANIZER: frozenset(
        {
            Permission.MINUTES_WRITE,
            Permission.MINUTES_SIGN,
            Permission.SIGNED_IN,
            Permission.REGISTRY_READ,
            Permission.REGISTRY_WRITE,
            Permission.STAFF_READ,
            Permission.ELECTION_READ,
            Permission.ELECTION_MANAGE,
            Permission.MEETING_READ,
            Permission.MEETING_MANAGE,
            Permission.MEETING_ATTENDANCE,
            Permission.COMPACT_READ,
            Permission.COMPACT_MANAGE,
            Permission.SURVEY_READ,
            Permission.SURVEY_MANAGE,
            Permission.ASSESSMENT_READ,
        }
    ),
    Role.GROUP_LEADER: frozenset(
        {
            Permission.MINUTES_SIGN,
            Permission.SIGNED_IN,
            Permission.REGISTRY_READ,
            Permission.ELECTION_READ,
            Permission.MEETING_READ,
            Permission.COMPACT_READ,
            Permission.COMPACT_LEAD,
        }
    ),
    Role.TELLER: frozenset(
        {
            Permission.MINUTES_SIGN,
            Permission.SIGNED_IN,
            Permission.REGISTRY_READ,
            Permission.ELECTION_READ,
            Permission.ELECTION_COUNT,
            Permission.ELECTION_CERTIFY,
            Permission.MEETING_READ,
            Permission.MEETING_VOTE_COUNT,
            Permission.MEETING_ATTENDANCE,
            Permission.COMPACT_READ,
        }
    ),
    Role.RECORDER: frozenset(
        {
            Permission.MINUTES_WRITE,
            Permission.MINUTES_SIGN,
            Permission.SIGNED_IN,
            Permission.REGISTRY_READ,
            Permission.ELECTION_READ,
            Permission.MEETING_READ,
            Permission.COMPACT_READ,
        }
    ),
    # Auditors read everything in their scope and change nothing, except that they may
    # record an Art 21 annulment of a result, with its reason.
    Role.AUDITOR: _READ_EVERYTHING | {Permission.ELECTION_ANNUL},
}

# Permissions that only read. The route test checks that read-only permissions are
# only ever declared on GET routes, so an auditor can never reach a state change.
READ_ONLY_PERMISSIONS = frozenset(
    {
        Permission.REGISTRY_READ,
        Permission.STAFF_READ,
        Permission.AUDIT_READ,
        Permission.ELECTION_READ,
        Permission.MEETING_READ,
        Permission.COMPACT_READ,
        Permission.SURVEY_READ,
        Permission.ASSESSMENT_READ,
    }
)


def allows(user: Principal | None, permission: Permission) -> bool:
    if permission is Permission.PUBLIC:
        return True
    if user is None or not user.active:
        return False
    return permission in ROLE_PERMISSIONS[user.role]


def can_see_village(user: Principal, village_id: int, village_township_id: int) -> bool:
    """Township-bound staff see every village of their township; others only their own."""
    if user.village_id is not None:
        return user.village_id == village_id
    return user.township_id == village_township_id
