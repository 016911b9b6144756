"""The built-in questionnaires: the satisfaction survey and the awareness quiz (a cadre
and a villager variant), in plain words for an elderly villager.

The facts the quiz asks about come from the Organic Law as summarized in RULES.md. A new
survey copies these questions in Chinese (the villagers' language, whatever language the
organizer's pages are shown in); the organizer can change them while the survey is a draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import LazyText, lazy
from surveys.models import Measure, QuestionType, SurveyKind

SCALE_LABELS = (
    lazy("很不满意"),
    lazy("不满意"),
    lazy("一般"),
    lazy("满意"),
    lazy("很满意"),
)


@dataclass(frozen=True)
class TemplateQuestion:
    text: LazyText
    qtype: QuestionType
    measure: Measure
    options: tuple[tuple[LazyText, bool], ...] = ()


@dataclass(frozen=True)
class Template:
    kind: SurveyKind
    label: LazyText
    title: LazyText
    intro: LazyText
    questions: tuple[TemplateQuestion, ...]


S, M = QuestionType.SINGLE, QuestionType.MULTIPLE
A = Measure.AWARENESS


def _scale(text: str, measure: Measure) -> TemplateQuestion:
    return TemplateQuestion(lazy(text), QuestionType.SCALE, measure)


def _quiz(text: str, qtype: QuestionType, *options: tuple[str, bool]) -> TemplateQuestion:
    return TemplateQuestion(lazy(text), qtype, A, tuple((lazy(t), ok) for t, ok in options))


SATISFACTION = Template(
    SurveyKind.SATISFACTION,
    lazy("满意度调查（知情权、参与权、监督权）"),
    lazy("村民自治满意度调查"),
    lazy("请按您自己的感受打分：1 分是很不满意，5 分是很满意。不写名字，没人知道您怎么答的。"),
    (
        _scale(
            "村里的事，比如村务公开、开会通知，您能及时知道吗？您对这方面满意吗？", Measure.KNOW
        ),
        _scale(
            "村里选举、开会、商量村规民约，您能参加、能说上话吗？您对这方面满意吗？",
            Measure.TAKE_PART,
        ),
        _scale("村干部办事、村里花钱，村民能不能监督？您对这方面满意吗？", Measure.SUPERVISE),
        _scale("总的来说，您对村里大家自己管好自己的事满意吗？", Measure.OVERALL),
    ),
)

AWARENESS_VILLAGER = Template(
    SurveyKind.AWARENESS_VILLAGER,
    lazy("知晓率问卷（村民）"),
    lazy("村民自治知识问答（村民）"),
    lazy("每题选您认为对的答案。不写名字，答错了也没关系。"),
    (
        _quiz(
            "多大年纪的村民可以在村里的选举中投票？",
            S,
            ("满16周岁", False),
            ("满18周岁", True),
            ("满20周岁", False),
            ("只有户主才能投票", False),
        ),
        _quiz(
            "开村民会议，要有多少人到会才算数？",
            S,
            ("来多少人都算数", False),
            ("村里18岁以上的人过半数到会，或者三分之二以上的户代表到会", True),
            ("村干部到齐就行", False),
        ),
        _quiz(
            "村规民约应该由谁来通过？",
            S,
            ("村干部商量好就行", False),
            ("村民会议讨论通过", True),
            ("乡镇直接定下来", False),
        ),
        _quiz(
            "村务公开的内容，至少要贴出来多少天？",
            S,
            ("3天", False),
            ("7天", False),
            ("15天", True),
            ("不用贴出来", False),
        ),
        _quiz(
            "下面哪些内容不能写进村规民约？（可以选多个）",
            M,
            ("违反法律的罚款", True),
            ("扣掉村民应该得到的补助或待遇", True),
            ("尊老爱幼、邻里和睦", False),
            ("红白喜事从简办", False),
        ),
        _quiz(
            "计生协会的会长是怎么产生的？",
            S,
            ("上级指定", False),
            ("由村民选举产生", True),
            ("谁年纪大谁当", False),
        ),
        _quiz(
            "村民对村里的事有哪些权利？（可以选多个）",
            M,
            ("知道村里的事（知情权）", True),
            ("参加选举和商量村里的事（参与权）", True),
            ("监督村干部办事（监督权）", True),
            ("不用委托就替别人投票", False),
        ),
    ),
)

AWARENESS_CADRE = Template(
    SurveyKind.AWARENESS_CADRE,
    lazy("知晓率问卷（村干部）"),
    lazy("村民自治知识问答（村干部）"),
    lazy("每题选您认为对的答案。不写名字。"),
    (
        _quiz(
            "选民名单至少要在选举日前多少天公布？",
            S,
            ("5天", False),
            ("10天", False),
            ("20天", True),
            ("30天", False),
        ),
        _quiz(
            "第一轮选举中，候选人得多少票才能当选？",
            S,
            ("超过全村人口的一半", False),
            ("超过参加投票的选民的一半", True),
            ("得票最多就当选，不论多少", False),
            ("参加投票的选民的三分之一", False),
        ),
        _quiz(
            "另行选举时，得票最多的人至少还要得到多少票才能当选？",
            S,
            ("参加投票人数的三分之一", True),
            ("参加投票人数的一半以上", False),
            ("一票就够", False),
        ),
        _quiz(
            "关于委托投票，下面哪些说法是对的？（可以选多个）",
            M,
            ("一个选民最多接受3人的委托", True),
            ("候选人不能接受别人的委托", True),
            ("委托人和受委托人的名单要公布", True),
            ("口头说一声就可以委托", False),
        ),
        _quiz(
            "村民代表会议要有多少组成人员到会才能开？",
            S,
            ("过半数", False),
            ("三分之二以上", True),
            ("全部到齐", False),
        ),
        _quiz(
            "村规民约通过以后，要报哪里备案？",
            S,
            ("乡镇人民政府", True),
            ("县公安局", False),
            ("不用备案", False),
        ),
        _quiz(
            "下面哪些内容不能写进村规民约？（可以选多个）",
            M,
            ("与法律、法规相抵触的规定", True),
            ("侵犯村民人身权利、民主权利或财产权利的规定", True),
            ("罚款、扣发待遇这类处罚", True),
            ("村民共同遵守的文明新风", False),
        ),
    ),
)

BUILTIN: dict[str, Template] = {
    "satisfaction": SATISFACTION,
    "awareness_villager": AWARENESS_VILLAGER,
    "awareness_cadre": AWARENESS_CADRE,
}
BLANK_LABEL = lazy("空白问卷（自己出题）")
