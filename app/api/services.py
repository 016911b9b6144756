"""API tokens: list, create (the token is returned once), revoke. Every change is audited.

Services take a session and never commit (the request layer does).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.api.auth import new_token, token_hash
from app.api.models import ApiToken
from app.audit.services import record
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.i18n import lazy
from app.registry.models import Village

TOKEN_MISSING = lazy("没有这个访问令牌。")


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    village_name: str


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def township_villages(session: Session, township_id: int) -> list[Village]:
    return list(
        session.scalars(
            select(Village).where(Village.township_id == township_id).order_by(Village.name)
        )
    )


def list_tokens(session: Session, township_id: int) -> list[TokenRow]:
    names = {v.id: v.name for v in township_villages(session, township_id)}
    tokens = session.scalars(
        select(ApiToken)
        .where(ApiToken.township_id == township_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    )
    return [TokenRow(t, names.get(t.village_id, "") if t.village_id else "") for t in tokens]


def create_token(
    session: Session, actor: Actor, user: StaffUser, label: str, village_id: int | None
) -> CreatedToken:
    secret = new_token()
    token = ApiToken(
        township_id=user.township_id,
        village_id=village_id,
        label=label,
        token_hash=token_hash(secret),
        created_by_id=user.id,
    )
    session.add(token)
    session.flush()
    # The audit entry names the token by id and label; never the token or its hash.
    record(
        session,
        actor,
        "api.token_create",
        "api_token",
        token.id,
        {"label": label, "village_id": village_id},
        township_id=user.township_id,
    )
    return CreatedToken(token, secret)


def revoke_token(session: Session, actor: Actor, user: StaffUser, token: ApiToken) -> ApiToken:
    if token.township_id != user.township_id:
        raise NotFound(TOKEN_MISSING)
    if token.revoked_at is not None:
        raise Conflict(lazy("这个令牌已经撤销过了。"))
    token.revoked_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "api.token_revoke",
        "api_token",
        token.id,
        {"label": token.label, "village_id": token.village_id},
        township_id=token.township_id,
    )
    return token
