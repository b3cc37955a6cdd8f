"""The rules of the one schema comparison (scripts/schemadiff), one case per rule.

Each rule is tried in both directions where it has two (narrowing and widening)
and on both sides: in a schema users send (a request body) and in one they read (a
response). Each case states the verdict, the API change report's line and the
release that follows from it (scripts/releasing/version.py: breaking -> major, or
minor while 0.x; any other API change -> minor; none -> patch), and checks that
scripts/upstream-diff sees the same difference with the same verdict.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from releasing.version import bump, level_for
from schemadiff.compare import compare
from schemadiff.shape import SpecError
from upstream.compare import differences

from codegen.api_report import Report
from codegen.spec_diff import diff_specs

Spec = dict[str, Any]
SCHEMA = {"request": "ThingRequest", "response": "ThingResponse"}
LABEL = {"request": "createThing request", "response": "createThing response"}
# The release after 1.4.2 and after 0.4.2: breaking, other change, no change.
RELEASES = {True: ("2.0.0", "0.5.0"), False: ("1.5.0", "0.5.0"), None: ("1.4.3", "0.4.3")}


def spec(request: Spec, response: Spec) -> Spec:
    """A one-operation spec: `request` is what clients send, `response` what they read."""
    return {
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ThingRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ThingResponse"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"ThingRequest": request, "ThingResponse": response}},
    }


def holding(field: Spec | None, *, required: bool = False) -> Spec:
    """An object schema whose field `count` is `field` (None: no such field)."""
    properties = {} if field is None else {"count": field}
    schema: Spec = {"type": "object", "properties": properties}
    if required:
        schema["required"] = ["count"]
    return schema


@dataclass(frozen=True)
class Rule:
    name: str
    before: Spec
    after: Spec
    says: str
    """The report's line for it, without where it is used."""
    request: bool
    """Breaking in a request?"""
    response: bool
    """Breaking in a response?"""
    kind: str
    """The kind of difference upstream-diff reports."""


def field(before: Spec | None, after: Spec | None, **rule: Any) -> Rule:
    return Rule(before=holding(before), after=holding(after), **rule)


INT, STR = {"type": "integer"}, {"type": "string"}
ARRAY = {"type": "array", "items": STR}
OBJECT = {"type": "object", "properties": {"a": STR}}
RULES = [
    # type: a wider input breaks no sender; a wider output breaks readers.
    field(INT, {"type": ["integer", "string"]}, name="type widened",
          says="may now also be `string`", request=False, response=True, kind="type"),
    field({"type": ["integer", "string"]}, INT, name="type narrowed",
          says="may no longer be `string`", request=True, response=False, kind="type"),
    field(STR, INT, name="type changed", says="type changed from `string` to `integer`",
          request=True, response=True, kind="type"),
    field({"type": "array", "items": STR}, {"type": "array", "items": INT},
          name="items' type changed", says="type changed from `string` to `integer`",
          request=True, response=True, kind="type"),
    # nullability
    field(STR, {"type": ["string", "null"]}, name="null allowed", says="may now be `null`",
          request=False, response=True, kind="nullable"),
    field(INT, {"anyOf": [INT, {"type": "null"}]}, name="null allowed (anyOf)",
          says="may now be `null`", request=False, response=True, kind="nullable"),
    field({"type": ["string", "null"]}, STR, name="null refused",
          says="may no longer be `null`", request=True, response=False, kind="nullable"),
    # enum
    field({**STR, "enum": ["a"]}, {**STR, "enum": ["a", "b"]}, name="enum value added",
          says="enum value(s) `b` added", request=False, response=True, kind="enum"),
    field({**STR, "enum": ["a", "b"]}, {**STR, "enum": ["a"]}, name="enum value removed",
          says="enum value(s) `b` removed", request=True, response=False, kind="enum"),
    field(STR, {**STR, "enum": ["a"]}, name="enum introduced", says="now limited to `a`",
          request=True, response=False, kind="enum"),
    field({**STR, "enum": ["a"]}, STR, name="enum dropped",
          says="no longer limited to a list of values", request=False, response=True,
          kind="enum"),
    # range
    field({**INT, "maximum": 10}, {**INT, "maximum": 5}, name="maximum lowered",
          says="`maximum` changed from 10 to 5", request=True, response=False, kind="range"),
    field({**INT, "maximum": 10}, {**INT, "maximum": 20}, name="maximum raised",
          says="`maximum` changed from 10 to 20", request=False, response=True, kind="range"),
    field({**INT, "minimum": 0}, {**INT, "minimum": 1}, name="minimum raised",
          says="`minimum` changed from 0 to 1", request=True, response=False, kind="range"),
    field({**INT, "minimum": 1}, {**INT, "minimum": 0}, name="minimum lowered",
          says="`minimum` changed from 1 to 0", request=False, response=True, kind="range"),
    field(INT, {**INT, "exclusiveMinimum": 0}, name="exclusiveMinimum added",
          says="`exclusiveMinimum` changed from none to 0", request=True, response=False,
          kind="range"),
    field({**INT, "exclusiveMaximum": 9}, INT, name="exclusiveMaximum removed",
          says="`exclusiveMaximum` changed from 9 to none", request=False, response=True,
          kind="range"),
    # length
    field({**STR, "maxLength": 10}, {**STR, "maxLength": 5}, name="maxLength lowered",
          says="`maxLength` changed from 10 to 5", request=True, response=False, kind="range"),
    field({**STR, "minLength": 1}, STR, name="minLength removed",
          says="`minLength` changed from 1 to none", request=False, response=True,
          kind="range"),
    field(ARRAY, {**ARRAY, "minItems": 1}, name="minItems added",
          says="`minItems` changed from none to 1", request=True, response=False, kind="range"),
    field({**ARRAY, "maxItems": 4}, {**ARRAY, "maxItems": 16}, name="maxItems raised",
          says="`maxItems` changed from 4 to 16", request=False, response=True, kind="range"),
    # pattern
    field(STR, {**STR, "pattern": "^[a-z]+$"}, name="pattern added",
          says="`pattern` changed from none to ^[a-z]+$", request=True, response=False,
          kind="rule"),
    field({**STR, "pattern": "^[a-z]+$"}, STR, name="pattern removed",
          says="`pattern` changed from ^[a-z]+$ to none", request=False, response=True,
          kind="rule"),
    field({**STR, "pattern": "^a"}, {**STR, "pattern": "^b"}, name="pattern changed",
          says="`pattern` changed from ^a to ^b", request=True, response=True, kind="rule"),
    # uniqueItems
    field(ARRAY, {**ARRAY, "uniqueItems": True}, name="uniqueItems added",
          says="`uniqueItems` changed from none to true", request=True, response=False,
          kind="rule"),
    field({**ARRAY, "uniqueItems": True}, ARRAY, name="uniqueItems removed",
          says="`uniqueItems` changed from true to none", request=False, response=True,
          kind="rule"),
    # additionalProperties
    field(OBJECT, {**OBJECT, "additionalProperties": False},
          name="additionalProperties false added", says="unknown fields now refused",
          request=True, response=False, kind="closed"),
    field({**OBJECT, "additionalProperties": False}, OBJECT,
          name="additionalProperties false removed", says="unknown fields now allowed",
          request=False, response=True, kind="closed"),
    # required-ness, fields added and removed
    Rule("field made required", holding(INT), holding(INT, required=True),
         "field is now required", request=True, response=False, kind="required"),
    Rule("field made optional", holding(INT, required=True), holding(INT),
         "field is now optional", request=False, response=True, kind="required"),
    Rule("required field added", holding(None), holding(INT, required=True),
         "required field added", request=True, response=False, kind="field"),
    field(None, INT, name="optional field added", says="optional field added",
          request=False, response=False, kind="field"),
    field(INT, None, name="field removed", says="field removed", request=True, response=True,
          kind="field"),
    # defaults and deprecation: reported, never breaking
    field({**INT, "default": 1}, {**INT, "default": 2}, name="default changed",
          says="server default changed from `1` to `2`", request=False, response=False,
          kind="default"),
    field(INT, {**INT, "deprecated": True}, name="field deprecated", says="deprecated",
          request=False, response=False, kind="deprecated"),
    field({**INT, "deprecated": True, "x-use-instead": "total"}, INT,
          name="field undeprecated", says="undeprecated", request=False, response=False,
          kind="deprecated"),
]  # fmt: skip
CASES = [
    pytest.param(rule, side, id=f"{rule.name}, {side}")
    for rule in RULES
    for side in ("request", "response")
]


def in_spec(side: str, schema: Spec) -> Spec:
    """The spec with `schema` on `side` and a plain object on the other."""
    other = holding(INT)
    return spec(schema, other) if side == "request" else spec(other, schema)


@pytest.mark.parametrize(("rule", "side"), CASES)
def test_rule(rule: Rule, side: str) -> None:
    old, new = in_spec(side, rule.before), in_spec(side, rule.after)
    breaking = rule.request if side == "request" else rule.response

    report = Report(tuple(diff_specs(old, new).changes))
    subject = SCHEMA[side] + ".count" + ("[]" if rule.name == "items' type changed" else "")
    assert report.markdown().splitlines() == [
        f"- **{'Breaking' if breaking else 'Non-breaking'}:** `{subject}`: "
        f"{rule.says} ({LABEL[side]})"
    ]
    level = level_for(report.breaking, bool(report.changes))
    assert (bump("1.4.2", level), bump("0.4.2", level)) == RELEASES[breaking]

    # upstream-diff sees the same difference, ours being `old` and orq's `new`.
    [found] = differences("orq", old, new)
    assert (found.kind, found.difference.breaking) == (rule.kind, breaking)
    assert found.where.startswith(
        f"POST /things {'request' if side == 'request' else 'response 200'}"
    )


def test_a_description_is_no_change() -> None:
    old = in_spec("request", holding(INT))
    new = in_spec("request", holding({**INT, "description": "How many."}))
    report = Report(tuple(diff_specs(old, new).changes))
    assert report.markdown() == "No change to the public API.\n"
    level = level_for(report.breaking, bool(report.changes))
    assert (bump("1.4.2", level), bump("0.4.2", level)) == RELEASES[None]
    assert differences("orq", old, new) == []


def edited(document: Spec, edit: Any) -> Spec:
    changed = copy.deepcopy(document)
    edit(changed["paths"]["/things"]["post"])
    return changed


OPERATION_RULES = [
    pytest.param(lambda op: op.update(deprecated=True), False,
                 "`createThing`: operation deprecated", "deprecated", id="operation deprecated"),
    pytest.param(lambda op: op.update(parameters=[{"in": "query", "name": "dry", "schema": INT}]),
                 False, "`createThing query dry parameter`: optional parameter added", "field",
                 id="optional parameter added"),
    pytest.param(lambda op: op.update(parameters=[
                     {"in": "header", "name": "x-team", "required": True, "schema": STR}]),
                 True, "`createThing header x-team parameter`: required parameter added", "field",
                 id="required parameter added"),
    pytest.param(lambda op: op["responses"].pop("200"), True,
                 "`createThing response 200`: `response 200` removed", "response",
                 id="response removed"),
    pytest.param(lambda op: op["requestBody"].update(required=False), False,
                 "`createThing request body`: request body is now optional", "required",
                 id="body made optional"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "breaking", "line", "kind"), OPERATION_RULES)
def test_operation_rule(edit: Any, breaking: bool, line: str, kind: str) -> None:
    old = in_spec("request", holding(INT))
    new = edited(old, edit)
    report = Report(tuple(diff_specs(old, new).changes))
    assert report.markdown().splitlines() == [
        f"- **{'Breaking' if breaking else 'Non-breaking'}:** {line}"
    ]
    level = level_for(report.breaking, bool(report.changes))
    assert (bump("1.4.2", level), bump("0.4.2", level)) == RELEASES[breaking]
    [found] = differences("orq", old, new)
    assert (found.kind, found.difference.breaking) == (kind, breaking)


def test_operations_removed_and_added() -> None:
    old = in_spec("request", holding(INT))
    new = copy.deepcopy(old)
    new["paths"]["/others"] = new["paths"].pop("/things")
    new["paths"]["/others"]["post"]["operationId"] = "createOther"
    report = Report(tuple(diff_specs(old, new).changes))
    assert report.markdown().splitlines() == [
        "- **Breaking:** `createThing`: operation `POST /things` removed",
        "- **Non-breaking:** `createOther`: operation `POST /others` added",
    ]
    found = [(d.where, d.old, d.new, d.breaking) for d in compare(old, new)]
    assert found == [
        ("POST /things", "present", "absent", True),
        ("POST /others", "absent", "present", False),
    ]


def test_an_operation_deprecated_is_seen_by_upstream_diff() -> None:
    old = in_spec("request", holding(INT))
    new = edited(old, lambda op: op.update(deprecated=True))
    assert [f.line() for f in differences("orq", old, new)] == [
        "POST /things: not deprecated here, deprecated at orq"
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s["components"]["schemas"].update(ThingRequest={"$ref": "#/nowhere"}),
         "POST /things request application/json: cannot resolve $ref '#/nowhere'"),
        (lambda s: s["components"]["schemas"]["ThingRequest"].update(properties=["count"]),
         "#/components/schemas/ThingRequest/properties: expected a mapping"),
        (lambda s: s["components"]["schemas"]["ThingRequest"].update(required="count"),
         "#/components/schemas/ThingRequest/required: expected a list"),
        (lambda s: s["components"]["schemas"]["ThingResponse"]["properties"].update(count=3),
         "#/components/schemas/ThingResponse/properties/count: a schema must be a mapping"),
    ],
    ids=["dangling $ref", "properties as a list", "required as a string", "a number as schema"],
)  # fmt: skip
def test_a_spec_error_is_one_line_naming_the_place(edit: Any, message: str) -> None:
    good = in_spec("request", holding(INT))
    bad = copy.deepcopy(good)
    edit(bad)
    with pytest.raises(SpecError) as caught:
        compare(good, bad)
    text = str(caught.value)
    assert "\n" not in text
    prefix, _, rest = message.partition("...")
    assert text.startswith(prefix), text
    assert rest in text, text
