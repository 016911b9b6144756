"""What the audit log calls the codes the registry's entries store (app.audit.labels names
the registry's actions and fields; the values need the registry's own labels, so they are
named here, and app.registry.views imports this module)."""

from __future__ import annotations

from app.audit.labels import by_value, register_summary_values
from app.registry.labels import GROUP_KIND_LABELS
from app.registry.rules import DEACTIVATION_REASONS

register_summary_values("reason", DEACTIVATION_REASONS, action="person.deactivate")
register_summary_values("kind", by_value(GROUP_KIND_LABELS), action="group.create")
register_summary_values("kind", by_value(GROUP_KIND_LABELS), action="group.rename")
