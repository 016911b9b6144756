"""The token form: a label (what the token is for) and an optional village."""

from __future__ import annotations

from collections.abc import Collection

from app.errors import InvalidInput
from app.forms import whole_number
from app.i18n import gettext_

LABEL_MAX = 100


def parse_token_form(
    purpose: str, village: str, village_ids: Collection[int]
) -> tuple[str, int | None]:
    """The label and the village id (None: the whole township); InvalidInput says what to fix."""
    errors: dict[str, str] = {}
    label = purpose.strip()
    if not label:
        errors["label"] = gettext_("请填写令牌的用途，例如“县民政局数据平台”。")
    elif len(label) > LABEL_MAX:
        errors["label"] = gettext_("用途最多 %(n)s 个字，请写短一些。", n=LABEL_MAX)
    village_id: int | None = None
    if village:
        chosen = whole_number(village)
        if chosen is None or chosen not in village_ids:
            errors["village_id"] = gettext_("请从列表中选择本乡镇的一个村，或选择“全乡镇”。")
        else:
            village_id = chosen
    if errors:
        raise InvalidInput(errors)
    return label, village_id
