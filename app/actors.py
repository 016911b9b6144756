"""Who did something, as audit entries name them: a staff member, a villager, the system.

In the kernel because every layer acts: the request layer builds the actor of a request,
and app.audit records it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.permissions import Principal


@dataclass(frozen=True)
class Actor:
    """Who did it: a staff user, a villager through a QR link, or the system."""

    label: str
    user_id: int | None = None
    township_id: int | None = None
    village_id: int | None = None


SYSTEM = Actor(label="system")


def actor_for(user: Principal) -> Actor:
    """A signed-in staff user as audit entries name them, wherever the action starts."""
    return Actor(
        label=f"{user.display_name} ({user.username})",
        user_id=user.id,
        township_id=user.township_id,
        village_id=user.village_id,
    )
