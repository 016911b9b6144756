"""The people pages: the roll with search and filters, add, edit, move, (de)activate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.forms import FormResult
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry import forms, rules, services, structure
from app.registry.exceptions import InvalidRegistryInput
from app.registry.labels import GROUP_KIND_LABELS, RESIDENCE_LABELS, SEX_LABELS
from app.registry.models import GroupKind, Person, Residence, Village
from app.registry.paths import PERSON, VILLAGE, route
from app.registry.services import GROUP_FIELDS
from app.web import Ctx

_FLAG_ATTRIBUTES = {
    "villager_representative": "is_villager_representative",
    "cadre": "is_cadre",
    "association_member": "is_association_member",
    "household_representative": "is_household_representative",
}
FLAG_FIELD_LABELS = [(_FLAG_ATTRIBUTES[key], label) for key, label in rules.FLAG_LABELS.items()]
STATUS_LABELS = {"active": lazy("在册"), "inactive": lazy("已注销"), "all": lazy("全部")}
CHANGE_LABELS = {
    "household": lazy("户号"),
    **{field: GROUP_KIND_LABELS[kind] for kind, field in GROUP_FIELDS.items()},
    "is_household_representative": lazy("户代表"),
}


@dataclass(frozen=True)
class PersonRow:
    person: Person
    age: int
    villagers_group: str
    flags: list[str]


def _raw(ctx: Ctx, names: tuple[str, ...]) -> dict[str, str]:
    return {name: ctx.field(name) for name in names}


def _row(person: Person, names: dict[int, str], today: date) -> PersonRow:
    villagers = [m.group_id for m in person.memberships if m.kind is GroupKind.VILLAGERS]
    return PersonRow(
        person=person,
        age=rules.age(person.birth_year, person.birth_month, today),
        villagers_group=names.get(villagers[0], "") if villagers else "",
        flags=[
            str(label)
            for key, label in rules.FLAG_LABELS.items()
            if getattr(person, _FLAG_ATTRIBUTES[key])
        ],
    )


def people(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    filters = forms.parse_people_filter(dict(ctx.request.query_params))
    found = services.search_people(ctx.db, village.id, filters)
    groups = structure.village_groups(ctx.db, village.id)
    names = {g.id: g.name for g in groups}
    today = rules.today_in_china()
    query = {
        "q": filters.q,
        "group": "" if filters.group_id is None else str(filters.group_id),
        "flag": filters.flag,
        "status": filters.status,
    }
    filtered = bool(filters.q or filters.group_id is not None or filters.flag)
    return ctx.render(
        "registry/people.html",
        village=village,
        rows=[_row(p, names, today) for p in found.people],
        paging=found.paging,
        query=query,
        filtered=filtered or filters.status != "active",
        village_has_people=bool(found.people) or services.count_people(ctx.db, village.id) > 0,
        group_choices=[
            (GROUP_KIND_LABELS[kind], [(g.id, g.name) for g in groups if g.kind is kind])
            for kind in GroupKind
        ],
        flag_labels=rules.FLAG_LABELS,
        status_labels=STATUS_LABELS,
        sex_labels=SEX_LABELS,
    )


# Add and edit -------------------------------------------------------------------------


def _placement_context(ctx: Ctx, village: Village) -> dict[str, Any]:
    groups = structure.village_groups(ctx.db, village.id)
    households = structure.village_households(ctx.db, village.id)
    return {
        "village": village,
        "household_options": [(h.id, h.number) for h in households],
        "group_selects": [
            (field, GROUP_KIND_LABELS[kind], [(g.id, g.name) for g in groups if g.kind is kind])
            for kind, field in GROUP_FIELDS.items()
        ],
    }


def _person_form_context(ctx: Ctx, village: Village) -> dict[str, Any]:
    return {
        **_placement_context(ctx, village),
        "sex_options": [(s.value, label) for s, label in SEX_LABELS.items()],
        "residence_options": [(r.value, label) for r, label in RESIDENCE_LABELS.items()],
        "flag_fields": FLAG_FIELD_LABELS,
    }


def _placement_raw(person: Person) -> dict[str, str]:
    raw = {"household_id": str(person.household_id), "household_number": ""}
    groups = {m.kind: m.group_id for m in person.memberships}
    for kind, field in GROUP_FIELDS.items():
        raw[field] = str(groups[kind]) if kind in groups else ""
    return raw


def _person_raw(person: Person) -> dict[str, str]:
    raw = {
        "roll_number": person.roll_number,
        "name": person.name,
        "sex": person.sex.value,
        "birth_year": str(person.birth_year),
        "birth_month": str(person.birth_month),
        "residence": person.residence.value,
        **_placement_raw(person),
    }
    raw.update({flag: "1" for flag in forms.FLAG_FIELDS if getattr(person, flag)})
    return raw


def _person_form(
    ctx: Ctx, person: Person | None, form: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    context = _person_form_context(ctx, VILLAGE.of(ctx))
    return ctx.render(
        "registry/person_form.html", status, form=form, errors=errors, person=person, **context
    )


def person_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    if ctx.request.method == "GET":
        return _person_form(ctx, None, {"residence": Residence.REGISTERED_RESIDENT.value}, {}, 200)
    result = forms.parse_person(_raw(ctx, forms.PERSON_FIELDS), rules.today_in_china())
    person: Person | None = None
    if result.ok:
        try:
            person = services.create_person(ctx.db, ctx.actor, village, result.values["person"])
        except InvalidRegistryInput as error:
            result.errors.update(error.errors)
    if person is None:
        return _person_form(ctx, None, result.raw, result.errors, 422)
    ctx.flash(
        gettext_("已添加 %(name)s（编号 %(roll)s）。", name=person.name, roll=person.roll_number)
    )
    return ctx.redirect("registry:people", village_id=village.id)


def person_edit(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    person = PERSON.of(ctx)
    if ctx.request.method == "GET":
        return _person_form(ctx, person, _person_raw(person), {}, 200)
    result = forms.parse_person(_raw(ctx, forms.PERSON_FIELDS), rules.today_in_china())
    changed: dict[str, list[object]] | None = None
    if result.ok:
        try:
            data = result.values["person"]
            changed = services.update_person(ctx.db, ctx.actor, village, person, data)
        except InvalidRegistryInput as error:
            result.errors.update(error.errors)
    if changed is None:
        return _person_form(ctx, person, result.raw, result.errors, 422)
    if changed:
        ctx.flash(gettext_("已保存 %(name)s 的修改。", name=person.name))
    else:
        ctx.flash(gettext_("没有改动，%(name)s 的登记保持不变。", name=person.name))
    return ctx.redirect("registry:people", village_id=village.id)


# Move ---------------------------------------------------------------------------------


def _shown(value: object) -> str:
    if value is None or value == "":
        return gettext_("（无）")
    if isinstance(value, bool):
        return gettext_("是") if value else gettext_("否")
    return str(value)


def person_move(ctx: Ctx) -> Response:
    """Form → confirmation page showing from → to → apply (a second POST with confirm=1)."""
    village = VILLAGE.of(ctx)
    person = PERSON.of(ctx)
    context = {**_placement_context(ctx, village), "person": person}
    if ctx.request.method == "GET":
        form = _placement_raw(person)
        return ctx.render("registry/person_move.html", form=form, errors={}, **context)
    result = forms.parse_move(_raw(ctx, forms.PLACEMENT_FIELDS))
    placement = result.values["placement"]
    plan: services.MovePlan | None = None
    if result.ok:
        try:
            if ctx.field("confirm") == "1":
                services.move_person(ctx.db, ctx.actor, village, person, placement)
                ctx.flash(gettext_("已迁移 %(name)s。", name=person.name))
                return ctx.redirect("registry:people", village_id=village.id)
            plan = services.plan_move(ctx.db, village.id, person, placement)
        except InvalidRegistryInput as error:
            result.errors.update(error.errors)
    if plan is None:
        return ctx.render(
            "registry/person_move.html", 422, form=result.raw, errors=result.errors, **context
        )
    # Household first, then the groups, then what follows from them.
    rows = [
        (label, _shown(plan.changes[key][0]), _shown(plan.changes[key][1]))
        for key, label in CHANGE_LABELS.items()
        if key in plan.changes
    ]
    return ctx.render(
        "registry/person_move_confirm.html",
        rows=rows,
        creates_household=plan.household is None,
        household_number=plan.household_number,
        hidden=result.raw,
        **context,
    )


# Deactivate and reactivate ------------------------------------------------------------


def _status_page(
    ctx: Ctx,
    person: Person,
    deactivate: bool,
    result: FormResult | None = None,
    status: int = 200,
) -> Response:
    return ctx.render(
        "registry/person_status.html",
        status,
        village=VILLAGE.of(ctx),
        person=person,
        deactivate=deactivate,
        reasons=rules.DEACTIVATION_REASONS,
        form=result.raw if result else {},
        errors=result.errors if result else {},
    )


def person_deactivate(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    person = PERSON.of(ctx)
    if ctx.request.method == "GET":
        return _status_page(ctx, person, True)
    result = forms.parse_deactivation(ctx.field("reason"), ctx.field("note"))
    if not result.ok:
        return _status_page(ctx, person, True, result, 422)
    reason, note = result.values["reason"], result.values["note"]
    services.deactivate_person(ctx.db, ctx.actor, village, person, reason, note)
    ctx.flash(gettext_("已注销 %(name)s，登记记录仍然保留。", name=person.name))
    return ctx.redirect("registry:people", village_id=village.id)


def person_reactivate(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    person = PERSON.of(ctx)
    if ctx.request.method == "GET":
        return _status_page(ctx, person, False)
    result = forms.parse_reactivation(ctx.field("note"))
    if not result.ok:
        return _status_page(ctx, person, False, result, 422)
    services.reactivate_person(ctx.db, ctx.actor, village, person, result.values["note"])
    ctx.flash(gettext_("已恢复 %(name)s 在册。", name=person.name))
    return ctx.redirect("registry:people", village_id=village.id)


# Routes -------------------------------------------------------------------------------

_VILLAGE = "/villages/{village_id:int}"
_PERSON = _VILLAGE + "/people/{person_id:int}"
_READ = Permission.REGISTRY_READ
_WRITE = Permission.REGISTRY_WRITE
_FORM = ("GET", "POST")

routes: list[BaseRoute] = [
    route(f"{_VILLAGE}/people", people, name="registry:people", permission=_READ),
    route(
        f"{_VILLAGE}/people/new",
        person_new,
        name="registry:person_new",
        permission=_WRITE,
        methods=_FORM,
    ),
    route(
        f"{_PERSON}/edit",
        person_edit,
        name="registry:person_edit",
        permission=_WRITE,
        methods=_FORM,
    ),
    route(
        f"{_PERSON}/move",
        person_move,
        name="registry:person_move",
        permission=_WRITE,
        methods=_FORM,
    ),
    route(
        f"{_PERSON}/deactivate",
        person_deactivate,
        name="registry:person_deactivate",
        permission=_WRITE,
        methods=_FORM,
    ),
    route(
        f"{_PERSON}/reactivate",
        person_reactivate,
        name="registry:person_reactivate",
        permission=_WRITE,
        methods=_FORM,
    ),
]
