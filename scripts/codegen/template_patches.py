"""Fixes to openapi-python-client's own templates, applied at generation time.

Most of what the generator renders comes from the project's own templates
(templates/generator: models, shared types, the package's __init__), used in
place of the stock ones; a stock template that is right but for one piece is
patched here instead. Each patch copies one stock template of the pinned generator, replaces an exact
piece of its text, and names the defect it fixes. If the generator's text has
moved (a new release), the patch fails loudly instead of silently emitting the
old, broken code.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import openapi_python_client

STOCK_TEMPLATES = Path(openapi_python_client.__file__).parent / "templates"


class TemplatePatchError(RuntimeError):
    """A stock template no longer contains the text a patch relies on."""


@dataclass(frozen=True)
class Patch:
    template: str
    defect: str
    old: str
    new: str
    count: int = 1


_STOCK_MODELS_IMPORTS = """{% for import in imports | sort %}
{{ import }}
{% endfor %}
"""

_LAZY_MODELS_IMPORTS = """from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
{% for import in imports | sort %}
    {{ import }}
{% endfor %}

_MODULE_OF = {
{% for import in imports | sort %}
{% set words = import.split(" ") %}
    "{{ words[3] }}": "{{ words[1] }}",
{% endfor %}
}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
"""

PATCHES: tuple[Patch, ...] = (
    Patch(
        template="models_init.py.jinja",
        defect="the models package imports every model up front, so using one model (or "
        "importing the package for one response type) costs all of them at start-up; "
        "models now load on first use (PEP 562), with static imports for type checkers",
        old=_STOCK_MODELS_IMPORTS,
        new=_LAZY_MODELS_IMPORTS,
    ),
)


OWN_TEMPLATES = Path(__file__).parent / "templates" / "generator"


def write_patched_templates(destination: Path) -> None:
    """Write the project's own generator templates and every patched stock template
    into `destination`, for `--custom-template-path`."""
    shutil.copytree(OWN_TEMPLATES, destination, dirs_exist_ok=True)
    patched: dict[str, str] = {}
    for patch in PATCHES:
        text = patched.get(patch.template)
        if text is None:
            text = (STOCK_TEMPLATES / patch.template).read_text(encoding="utf-8")
        found = text.count(patch.old)
        if found != patch.count:
            raise TemplatePatchError(
                f"{patch.template}: expected the text this patch replaces {patch.count} time(s), "
                f"found it {found} time(s). The generator's template has moved; "
                f"re-check the fix for: {patch.defect}"
            )
        patched[patch.template] = text.replace(patch.old, patch.new)
    for name, text in patched.items():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
