"""What a villager needs to check a round on the public results: the rule each figure was
measured against, with the numbers (pure: reads the announced result only).

A result carries the rule profile's parameters it was counted with, so the sentences say
what the count applied, even if the profile changes later.
"""

from __future__ import annotations

from typing import Any

from app.i18n import gettext_
from app.thresholds import check_threshold, in_words


def _base_words(basis: str) -> str:
    return {
        "registered": gettext_("登记选民"),
        "cast": gettext_("投票人数"),
        "present": gettext_("到会人数"),
    }.get(basis, basis)


def _base_value(basis: str, result: dict[str, Any]) -> int | None:
    turnout = result.get("turnout") or {}
    if basis == "cast":
        return int(result["ballots_cast"])
    value = turnout.get(basis)
    return None if value is None else int(value)


def rule_sentences(result: dict[str, Any]) -> list[str]:
    """The round's validity rule and winning rule in words, each with the figures it was
    measured on (older results without the registered number give the rule alone)."""
    parameters = result.get("parameters") or {}
    sentences: list[str] = []
    if parameters.get("validity_basis") == "registered" and "validity" in parameters:
        rule = check_threshold("validity", parameters["validity"])
        words = in_words(rule, _base_words("registered"))
        registered = _base_value("registered", result)
        if registered is None:
            sentences.append(gettext_("本轮有效的条件：参加投票的人数%(rule)s。", rule=words))
        else:
            sentences.append(
                gettext_(
                    "本轮有效的条件：参加投票的人数%(rule)s。登记选民 %(registered)s 人，至少要 %(needed)s 人投票；实际 %(cast)s 人投票。",
                    rule=words,
                    registered=registered,
                    needed=rule.minimum(registered),
                    cast=result["ballots_cast"],
                )
            )
    first = int(result.get("round", 1)) == 1
    key = "first_round" if first else "further_round"
    if key in parameters and result.get("valid"):
        rule = check_threshold(key, parameters[key])
        basis = str(parameters.get(f"{key}_basis", "cast"))
        base = _base_value(basis, result)
        words = in_words(rule, _base_words(basis))
        if base is None:
            sentences.append(gettext_("当选的条件：得票%(rule)s。", rule=words))
        else:
            sentences.append(
                gettext_(
                    "当选的条件：得票%(rule)s，即至少 %(needed)s 票（%(base_name)s %(base)s）。",
                    rule=words,
                    needed=rule.minimum(base),
                    base_name=_base_words(basis),
                    base=base,
                )
            )
    return sentences
