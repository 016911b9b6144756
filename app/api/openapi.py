"""The OpenAPI 3.1 document of the read-only JSON API, written by hand.

Each endpoint's answers, errors included, are described here; tests/api checks the live
answers against it (schemathesis). Keep it in step with app.api.data.
"""

from __future__ import annotations

from typing import Any

from app.api.auth import MAX_ID

API_VERSION = "1.0.0"


_INT = {"type": "integer"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_NULL_INT = {"type": ["integer", "null"]}
_NULL_STR = {"type": ["string", "null"]}
_NULL_BOOL = {"type": ["boolean", "null"]}
_SHARE = {
    "type": ["number", "null"],
    "minimum": 0,
    "description": "0 到 1 之间的比例，保留 4 位小数；分母为 0 时为 null（无数据，不是 0）。",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], *, extra: bool = False) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": extra,
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


RATIO_FIELDS = {"value": _SHARE, "numerator": _INT, "denominator": _INT}
EVIDENCE = _object({"label": _STR, "url": _NULL_STR})

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "status": _INT,
                    "code": _STR,
                    "message": {**_STR, "description": "说明出了什么问题、怎样改正（中文）"},
                }
            )
        }
    ),
    "Ratio": _object(RATIO_FIELDS),
    "VillageRef": _object({"id": _INT, "name": _STR, "code": _STR}),
    "Evidence": EVIDENCE,
    "Standard": _object(
        {
            "code": _STR,
            "title": _STR,
            "definition": _STR,
            **RATIO_FIELDS,
            "threshold_percent": _NULL_INT,
            "applies": _BOOL,
            "passed": _NULL_BOOL,
            "status": {"enum": ["off", "no_data", "reported", "pass", "fail"]},
            "sample": _INT,
            "respondents": _NULL_INT,
            "evidence": _array(_ref("Evidence")),
        }
    ),
    "ParticipationFigure": _object(
        {
            "code": _STR,
            "title": _STR,
            "definition": _STR,
            **RATIO_FIELDS,
            "evidence": _array(_ref("Evidence")),
        }
    ),
    "VillageAssessment": _object(
        {
            "village": _ref("VillageRef"),
            "year": _INT,
            "standards": _array(_ref("Standard")),
            "participation": _array(_ref("ParticipationFigure")),
        }
    ),
    "TownshipOverview": _object(
        {
            "township": _object({"id": _INT, "name": _STR}),
            "year": _INT,
            "villages": _array(_ref("VillageRef")),
            "standards": _array(
                _object(
                    {
                        "code": _STR,
                        "title": _STR,
                        "definition": _STR,
                        "threshold_percent": _NULL_INT,
                        "applies": _BOOL,
                        "township_value": _SHARE,
                        "passed": _INT,
                        "failed": _INT,
                        "no_data": _INT,
                        "ranking": _array(
                            _object(
                                {
                                    "rank": {
                                        **_NULL_INT,
                                        "description": "名次；无数据的村为 null，排在最后",
                                    },
                                    "village": _ref("VillageRef"),
                                    **RATIO_FIELDS,
                                    "status": _STR,
                                }
                            )
                        ),
                    }
                )
            ),
            "counts": _array(
                _object(
                    {
                        "village": _ref("VillageRef"),
                        "passed": _INT,
                        "failed": _INT,
                        "no_data": _INT,
                    }
                )
            ),
            "trends": _array(
                _object(
                    {
                        "code": _STR,
                        "title": _STR,
                        "years": _array(_INT),
                        "township": _array(_SHARE),
                        "villages": _array(
                            _object({"village": _ref("VillageRef"), "values": _array(_SHARE)})
                        ),
                    }
                )
            ),
        }
    ),
    "ElectionResults": _object(
        {
            "election": _object(
                {
                    "id": _INT,
                    "title": _STR,
                    "office": _STR,
                    "office_label": _STR,
                    "seats": _INT,
                    "election_day": {"type": "string", "format": "date"},
                    "stage": _STR,
                    "village": _ref("VillageRef"),
                }
            ),
            "rounds": _array(
                _object(
                    {
                        "number": _INT,
                        "kind": {"enum": ["first", "further", "tie_revote"]},
                        "status": {
                            "enum": [
                                "pending",
                                "open",
                                "counting",
                                "announced",
                                "certified",
                                "void",
                                "annulled",
                            ]
                        },
                        "seats": _INT,
                        "result": {"oneOf": [_ref("RoundResult"), {"type": "null"}]},
                    }
                )
            ),
        }
    ),
    "RoundResult": _object(
        {
            "outcome": {"enum": ["announced", "certified", "annulled"]},
            "recorded_at": _NULL_STR,
            "annulled_reason": _NULL_STR,
            "valid": _BOOL,
            "void_reasons": _array(_STR),
            "void_reasons_text": _STR,
            "candidates": _array(_object({"name": _STR, "votes": _INT, "elected": _BOOL})),
            "elected": _array(_STR),
            "unfilled": _INT,
            "tie": _array(_STR),
            "turnout": _object(
                {
                    "registered": _INT,
                    "voted": _INT,
                    "ballots_cast": _INT,
                    "invalid_ballots": _INT,
                    "blank_ballots": _INT,
                    "share": _ref("Ratio"),
                    "members": _NULL_INT,
                    "present": _NULL_INT,
                }
            ),
            "export_sha256": _STR,
        }
    ),
    "MeetingAttendance": _object(
        {
            "meeting": _object(
                {
                    "id": _INT,
                    "title": _STR,
                    "kind": _STR,
                    "status": {"enum": ["draft", "notified", "open", "closed", "cancelled"]},
                    "starts_at": _NULL_STR,
                    "ends_at": _NULL_STR,
                    "village": _ref("VillageRef"),
                }
            ),
            "eligible": _INT,
            "present": _INT,
            "share": _ref("Ratio"),
            "households": _INT,
            "households_present": _INT,
            "quorum": _object({"rule": _STR, "met": _BOOL, "reason": _STR}),
        }
    ),
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _id_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


YEAR = {
    "name": "year",
    "in": "query",
    "required": True,
    "description": "年份（四位数，2000–2100）",
    "schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
}
ERRORS = {
    "400": _error("参数不对（例如缺少年份）"),
    "401": _error("缺少访问令牌，或令牌无效、已撤销"),
    "403": _error("令牌或账号不能读取这个村或乡镇"),
    "404": _error("没有这条记录"),
}


def _get(summary: str, params: list[dict[str, Any]], schema: str, ok: str) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _ok(ok, schema)}
    responses.update({code: ERRORS[code] for code in ("400", "401", "403", "404")})
    if not any(p["name"] == "year" for p in params):
        responses.pop("400")
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


# Paths relative to the server URL (/api/v1), in the order the human page lists them.
PATHS: dict[str, Any] = {
    "/villages/{village_id}/assessment": _get(
        "一个村一年的考核：每项标准的实测值、门槛、是否达标和样本数，以及各项参与率",
        [_id_param("village_id", "村的编号"), YEAR],
        "VillageAssessment",
        "村的年度考核",
    ),
    "/assessment/overview": _get(
        "乡镇总览：各村在每项标准上的排名、达标数和历年趋势（只限一个村的令牌只看到该村）",
        [YEAR],
        "TownshipOverview",
        "乡镇年度总览",
    ),
    "/elections/{election_id}/results": _get(
        "选举结果：每一轮公布或确认的结果、候选人得票、当选人和参选率",
        [_id_param("election_id", "选举的编号")],
        "ElectionResults",
        "选举结果",
    ),
    "/meetings/{meeting_id}/attendance": _get(
        "会议到会情况：应到、实到、到会率、法定人数规则和是否达到",
        [_id_param("meeting_id", "会议的编号")],
        "MeetingAttendance",
        "会议到会情况",
    ),
}


def document(server_url: str = "/api/v1") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "村议（Cunyi）只读数据接口",
            "version": API_VERSION,
            "description": (
                "乡镇其他系统读取考核、选举结果和会议到会情况的只读接口。"
                "每个请求都要带上乡镇管理员发放的访问令牌：Authorization: Bearer <令牌>。"
                "令牌只能读取它所属的乡镇（或指定的一个村）。错误以 JSON 返回，说明用中文。"
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "乡镇管理员在“接口令牌”页面创建的令牌（只显示一次）",
                }
            },
        },
    }
