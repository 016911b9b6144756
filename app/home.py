"""The staff home page: what this account can reach."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.responses import Response

from app.permissions import ROLE_LABELS, Permission
from app.registry.models import Household, Person, Village
from app.registry.paths import route
from app.web import Ctx


def home(ctx: Ctx) -> Response:
    user = ctx.require_user()
    stmt = select(Village).where(Village.township_id == user.township_id)
    if user.village_id is not None:
        stmt = stmt.where(Village.id == user.village_id)
    villages = list(ctx.db.scalars(stmt.order_by(Village.code)))
    ids = [v.id for v in villages]
    people = dict(
        ctx.db.execute(
            select(Person.village_id, func.count())
            .where(Person.village_id.in_(ids), Person.active)
            .group_by(Person.village_id)
        ).all()
    )
    households = dict(
        ctx.db.execute(
            select(Household.village_id, func.count())
            .where(Household.village_id.in_(ids))
            .group_by(Household.village_id)
        ).all()
    )
    return ctx.render(
        "home.html",
        villages=villages,
        people=people,
        households=households,
        role_label=ROLE_LABELS[user.role],
    )


routes = [route("/", home, name="home", permission=Permission.SIGNED_IN)]
