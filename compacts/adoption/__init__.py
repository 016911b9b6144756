"""After deliberation: answers to every comment, adoption by the assembly, filing with the
township, publication and delivery to every household. Pages in `compacts.adoption.views`."""

from __future__ import annotations

from compacts.adoption.answers import (
    MAX_REASON,
    AnsweredComment,
    StruckOrder,
    answer,
    answers_for_person,
    comments_to_answer,
    ready_for_adoption,
    standing_answers,
    unanswered_count,
)
from compacts.adoption.delivery import publication_of, publish, published_versions, record_delivery
from compacts.adoption.services import (
    acknowledged,
    adopted,
    decide_filing,
    put_to_assembly,
    record_adoption,
    submit_filing,
)
from compacts.adoption.views import routes

__all__ = [
    "MAX_REASON",
    "AnsweredComment",
    "StruckOrder",
    "acknowledged",
    "adopted",
    "answer",
    "answers_for_person",
    "comments_to_answer",
    "decide_filing",
    "publication_of",
    "publish",
    "published_versions",
    "put_to_assembly",
    "ready_for_adoption",
    "record_adoption",
    "record_delivery",
    "routes",
    "standing_answers",
    "submit_filing",
    "unanswered_count",
]
