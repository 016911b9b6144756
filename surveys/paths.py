"""The objects this package's routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route` that declares them on each route.

A survey of a village outside the user's scope is answered like a missing one (404, not
a hint). The villager's pages under their slip (`slip_route`) load nothing: the view
checks the survey against the slip.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from app.i18n import lazy
from app.registry.models import Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading
from surveys.exceptions import SurveyNotFound
from surveys.models import Question, Survey

T = TypeVar("T")


def _survey_village(session: Session, survey: Survey) -> Village | None:
    return session.get(Village, survey.village_id)


def _question_village(session: Session, question: Question) -> Village | None:
    survey = session.get(Survey, question.survey_id)
    return None if survey is None else _survey_village(session, survey)


def _survey_id(question: Question) -> int:
    return question.survey_id


# Another village's survey or question is answered like a missing one.
SURVEY = PathObject(
    "survey_id",
    Survey,
    lazy("没有这份问卷，它可能已被删除，或链接有误。"),
    _survey_village,
    not_found=SurveyNotFound,
    hidden=True,
)
QUESTION = PathObject(
    "question_id",
    Question,
    lazy("这份问卷里没有这道题。"),
    _question_village,
    within=("survey_id", _survey_id),
    not_found=SurveyNotFound,
    hidden=True,
)

route = routes_loading(VILLAGE, SURVEY, QUESTION, unloaded=())

# The villager's pages: the survey is checked against the slip by the view.
slip_route = routes_loading(unloaded=("token", "survey_id"))
