"""Every difference between our openapi.yaml and one of orq's sources, in users' terms.

The comparison is schemadiff's, ours as the old side and orq's as the new one (so a
verdict says whether following orq would break our users). Here each difference is
worded as one report line that names the field by its path as users write it
(`orq.fallback_on_codes`, `plugins[].entities`, `metadata.*` for the values of a
map) and says what is here and what is at orq.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from schemadiff.compare import Difference, compare
from schemadiff.shape import Document

SCOPE = "/v2/router/images"
"""orq's operations under here that we lack are reported; the rest of its API is not ours."""


@dataclass(frozen=True)
class Finding:
    """One difference from one of orq's sources."""

    source: str
    """Which source: `orq OpenAPI (Aug 2026)`, `orq-ai-sdk 4.17.13`."""
    difference: Difference

    @property
    def where(self) -> str:
        return self.difference.where

    @property
    def kind(self) -> str:
        return self.difference.kind

    @property
    def ours(self) -> str:
        return self.difference.old

    @property
    def theirs(self) -> str:
        return self.difference.new

    def line(self) -> str:
        return f"{self.where}: {says(self.difference)}"


def _operation(difference: Difference) -> str:
    o, t = difference.old, difference.new
    if "present" not in (o, t):  # the same operationId at another path
        return f"{o} here, {t} at orq"
    if t == "absent":
        return "operation only here"
    op_id = difference.place.operation_id
    named = op_id if op_id != difference.place.operation else ""
    return f"operation only at orq ({named})" if named else "operation only at orq"


def _required(difference: Difference) -> str:
    body = difference.place.part == "request" and not difference.place.path
    return f"{'body ' if body else ''}{difference.old} here, {difference.new} at orq"


def _field(difference: Difference) -> str:
    o, t = difference.old, difference.new
    if "parameter" in difference.place.part and not difference.place.path:
        return f"parameter only {'here' if t == 'absent' else 'at orq'}"
    return f"field only here ({o})" if t == "absent" else f"field only at orq ({t})"


def _enum(difference: Difference) -> str:
    o, t = difference.old, difference.new
    if not o:
        return f"values only at orq: {t}"
    if not t:
        return f"values only here: {o}"
    return f"values {o} here, {t} at orq"


def _template(text: str) -> Callable[[Difference], str]:
    return lambda difference: text.format(o=difference.old, t=difference.new)


_SAYS: dict[str, Callable[[Difference], str]] = {
    "server": _template("{o} here, {t} at orq"),
    "security": _template("{o} here, {t} at orq"),
    "variants": _template("{o} here, {t} at orq"),
    "deprecated": _template("{o} here, {t} at orq"),
    "operation": _operation,
    "media": lambda d: (
        f"media type {d.old} only here" if d.new == "absent" else f"media type {d.new} only at orq"
    ),
    "response": lambda d: (
        "declared here, not at orq" if d.new == "absent" else "declared at orq, not here"
    ),
    "required": _required,
    "field": _field,
    "type": _template("type {o} here, {t} at orq"),
    "nullable": _template("null {o} here, {t} at orq"),
    "enum": _enum,
    "range": lambda d: f"{d.old} here, {d.new.partition(' ')[2]} at orq",
    "rule": lambda d: f"{d.old} here, {d.new.partition(' ')[2]} at orq",
    "default": _template("default {o} here, {t} at orq"),
    "closed": _template("unknown fields {o} here, {t} at orq"),
}


def says(difference: Difference) -> str:
    """The sentence after `where:` in the report."""
    return _SAYS[difference.kind](difference)


def differences(source: str, ours: Document, theirs: Document) -> list[Finding]:
    """What differs between our document and `theirs` (from `source`): everything about
    our operations, and of orq's other operations those under SCOPE."""
    return [
        Finding(source, difference)
        for difference in compare(ours, theirs, ("openapi.yaml", source))
        if not (
            difference.kind == "operation"
            and difference.old == "absent"
            and not difference.place.operation.split(" ", 1)[-1].startswith(SCOPE)
        )
    ]
