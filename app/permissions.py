"""What each role may do. Every route names one `Permission`; `app.web` checks it."""

from __future__ import annotations

import enum

from app.accounts.models import Role, StaffUser


class Permission(enum.StrEnum):
    # Open to anyone: sign-in page, language switch, static files, villager QR pages.
    PUBLIC = "public"
    # Any signed-in staff member (home, own password).
    SIGNED_IN = "signed_in"
    REGISTRY_READ = "registry.read"
    REGISTRY_WRITE = "registry.write"
    STAFF_READ = "staff.read"
    STAFF_MANAGE = "staff.manage"
    AUDIT_READ = "audit.read"


_READ_EVERYTHING = frozenset(
    {Permission.SIGNED_IN, Permission.REGISTRY_READ, Permission.STAFF_READ, Permission.AUDIT_READ}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TOWNSHIP_ADMIN: _READ_EVERYTHING | {Permission.REGISTRY_WRITE, Permission.STAFF_MANAGE},
    Role.ORGANIZER: frozenset(
        {
            Permission.SIGNED_IN,
            Permission.REGISTRY_READ,
            Permission.REGISTRY_WRITE,
            Permission.STAFF_READ,
        }
    ),
    Role.GROUP_LEADER: frozenset({Permission.SIGNED_IN, Permission.REGISTRY_READ}),
    Role.TELLER: frozenset({Permission.SIGNED_IN, Permission.REGISTRY_READ}),
    Role.RECORDER: frozenset({Permission.SIGNED_IN, Permission.REGISTRY_READ}),
    # Auditors read everything in their scope and change nothing.
    Role.AUDITOR: _READ_EVERYTHING,
}

# Permissions that only read. The route test checks that read-only permissions are
# only ever declared on GET routes, so an auditor can never reach a state change.
READ_ONLY_PERMISSIONS = frozenset(
    {
        Permission.REGISTRY_READ,
        Permission.STAFF_READ,
        Permission.AUDIT_READ,
    }
)


def allows(user: StaffUser | None, permission: Permission) -> bool:
    if permission is Permission.PUBLIC:
        return True
    if user is None or not user.active:
        return False
    return permission in ROLE_PERMISSIONS[user.role]


def can_see_village(user: StaffUser, village_id: int, village_township_id: int) -> bool:
    """Township-bound staff see every village of their township; others only their own."""
    if user.village_id is not None:
        return user.village_id == village_id
    return user.township_id == village_township_id
