"""Display names for the registry's enum values, translated when shown."""

from __future__ import annotations

from app.i18n import LazyText, lazy
from app.registry.models import GroupKind, Residence, Sex

GROUP_KIND_LABELS: dict[GroupKind, LazyText] = {
    GroupKind.VILLAGERS: lazy("村民小组"),
    GroupKind.WOMEN: lazy("育龄妇女小组"),
    GroupKind.ASSOCIATION: lazy("协会联户组"),
}

SEX_LABELS: dict[Sex, LazyText] = {Sex.MALE: lazy("男"), Sex.FEMALE: lazy("女")}

RESIDENCE_LABELS: dict[Residence, LazyText] = {
    Residence.REGISTERED_RESIDENT: lazy("户籍在本村居住"),
    Residence.REGISTERED_AWAY: lazy("户籍在本村外出"),
    Residence.RESIDENT_ADMITTED: lazy("非户籍居住满一年"),
}
