"""Imports every model so `Base.metadata` is complete (Alembic, tests)."""

import app.sealed_box.models  # noqa: F401  (sealed ballot boxes)
import assessment.models  # noqa: F401  (assessment settings)
import ballots.models  # noqa: F401  (elections: registers its tables)
import compacts.models  # noqa: F401  (compacts)
import meetings.models  # noqa: F401  (meetings)
import minutes.models  # noqa: F401  (minutes)
import slips.models  # noqa: F401  (assemblies and QR slips)
import surveys.models  # noqa: F401  (surveys)
from app.accounts.models import SigninFailure, StaffUser
from app.api.models import ApiToken  # noqa: F401  (API tokens)
from app.audit.models import AuditEntry
from app.db import Base
from app.registry.models import (
    Group,
    GroupMembership,
    Household,
    Person,
    RollImport,
    Township,
    Village,
)

__all__ = [
    "AuditEntry",
    "Base",
    "Group",
    "GroupMembership",
    "Household",
    "Person",
    "RollImport",
    "SigninFailure",
    "StaffUser",
    "Township",
    "Village",
]
