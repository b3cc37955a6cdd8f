"""One change to the SDK's public surface, as the API change report lists it."""

from __future__ import annotations

import re
from dataclasses import dataclass


def normalized(name: str) -> str:
    """A name with case and separators dropped, so that the spec's `output_format`,
    the class `CreateImageRequest` and the module `create_image_request` can be
    matched against the schema `CreateImageRequest` and the operation `createImage`."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


@dataclass(frozen=True)
class Change:
    """`subject` names what changed, `description` says how.

    `key` holds the normalized names of the schema (or operation, or Python class)
    and member the change is about. A break in the Python API whose key matches a
    breaking spec change is the same change seen from the generated code, so the
    report lists it once.
    """

    breaking: bool
    subject: str
    description: str
    key: tuple[str, ...]

    def line(self) -> str:
        marker = "**Breaking:**" if self.breaking else "**Non-breaking:**"
        return f"- {marker} `{self.subject}`: {self.description}"
