"""Organizer pages for the village's households and groups."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.i18n import gettext_
from app.permissions import Permission
from app.registry import forms, structure
from app.registry.exceptions import InvalidRegistryInput
from app.registry.labels import GROUP_KIND_LABELS
from app.registry.models import Group, GroupKind
from app.registry.paths import GROUP, HOUSEHOLD, VILLAGE, route
from app.web import Ctx

# Households ---------------------------------------------------------------------------


def households(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    q = ctx.request.query_params.get("q", "").strip()[:50]
    found = structure.search_households(
        ctx.db, village.id, q, forms.page_number(ctx.request.query_params)
    )
    return ctx.render(
        "registry/households.html",
        village=village,
        households=found.households,
        paging=found.paging,
        query={"q": q},
        representative_of=structure.representative_of,
    )


def _household_page(ctx: Ctx, errors: dict[str, str], status: int = 200) -> Response:
    village = VILLAGE.of(ctx)
    household = HOUSEHOLD.of(ctx)
    representative = structure.representative_of(household)
    return ctx.render(
        "registry/household.html",
        status,
        village=village,
        household=household,
        representative=representative,
        candidates=[(p.id, f"{p.name}（{p.roll_number}）") for p in household.members if p.active],
        form={"person_id": str(representative.id) if representative else ""},
        errors=errors,
    )


def household(ctx: Ctx) -> Response:
    return _household_page(ctx, {})


def household_representative(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    target = HOUSEHOLD.of(ctx)
    result = forms.parse_representative(ctx.field("person_id"))
    changed = False
    if result.ok:
        try:
            changed = structure.set_representative(
                ctx.db, ctx.actor, village, target, result.values["person_id"]
            )
        except InvalidRegistryInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return _household_page(ctx, result.errors, 422)
    if changed:
        ctx.flash(gettext_("已更新 %(number)s 户的户代表。", number=target.number))
    else:
        ctx.flash(gettext_("户代表没有变化。"))
    return ctx.redirect("registry:household", village_id=village.id, household_id=target.id)


# Groups -------------------------------------------------------------------------------


def groups(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    all_groups = structure.village_groups(ctx.db, village.id)
    return ctx.render(
        "registry/groups.html",
        village=village,
        sections=[
            (kind, GROUP_KIND_LABELS[kind], [g for g in all_groups if g.kind is kind])
            for kind in GroupKind
        ],
        counts=structure.member_counts(ctx.db, village.id),
    )


def _group_form(ctx: Ctx, group: Group | None, **context: Any) -> Response:
    status = context.pop("status", 200)
    return ctx.render(
        "registry/group_form.html",
        status,
        village=VILLAGE.of(ctx),
        group=group,
        kind_options=[(kind.value, label) for kind, label in GROUP_KIND_LABELS.items()],
        **context,
    )


def group_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    if ctx.request.method == "GET":
        kind = ctx.request.query_params.get("kind", "")
        return _group_form(ctx, None, form={"kind": kind}, errors={})
    result = forms.parse_group(ctx.field("kind"), ctx.field("name"))
    created: Group | None = None
    if result.ok:
        try:
            kind = result.values["kind"]
            created = structure.create_group(
                ctx.db, ctx.actor, village, kind, result.values["name"]
            )
        except InvalidRegistryInput as error:
            result.errors.update(error.errors)
    if created is None:
        return _group_form(ctx, None, form=result.raw, errors=result.errors, status=422)
    ctx.flash(gettext_("已添加小组“%(name)s”。", name=created.name))
    return ctx.redirect("registry:groups", village_id=village.id)


def group(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    found = GROUP.of(ctx)
    return ctx.render(
        "registry/group.html",
        village=village,
        group=found,
        kind_label=GROUP_KIND_LABELS[found.kind],
        members=structure.group_members(ctx.db, found),
    )


def group_rename(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    target = GROUP.of(ctx)
    if ctx.request.method == "GET":
        return _group_form(ctx, target, form={"name": target.name}, errors={})
    old_name = target.name
    result = forms.parse_group(None, ctx.field("name"))
    changed = False
    if result.ok:
        try:
            changed = structure.rename_group(
                ctx.db, ctx.actor, village, target, result.values["name"]
            )
        except InvalidRegistryInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return _group_form(ctx, target, form=result.raw, errors=result.errors, status=422)
    if changed:
        ctx.flash(gettext_("已把“%(old)s”改名为“%(new)s”。", old=old_name, new=target.name))
    return ctx.redirect("registry:group", village_id=village.id, group_id=target.id)


# Routes -------------------------------------------------------------------------------

_VILLAGE = "/villages/{village_id:int}"
_READ = Permission.REGISTRY_READ
_WRITE = Permission.REGISTRY_WRITE
_FORM = ("GET", "POST")

routes: list[BaseRoute] = [
    route(f"{_VILLAGE}/households", households, name="registry:households", permission=_READ),
    route(
        f"{_VILLAGE}/households/{{household_id:int}}",
        household,
        name="registry:household",
        permission=_READ,
    ),
    route(
        f"{_VILLAGE}/households/{{household_id:int}}/representative",
        household_representative,
        name="registry:household_representative",
        permission=_WRITE,
        methods=["POST"],
    ),
    route(f"{_VILLAGE}/groups", groups, name="registry:groups", permission=_READ),
    route(
        f"{_VILLAGE}/groups/new",
        group_new,
        name="registry:group_new",
        permission=_WRITE,
        methods=_FORM,
    ),
    route(f"{_VILLAGE}/groups/{{group_id:int}}", group, name="registry:group", permission=_READ),
    route(
        f"{_VILLAGE}/groups/{{group_id:int}}/rename",
        group_rename,
        name="registry:group_rename",
        permission=_WRITE,
        methods=_FORM,
    ),
]
