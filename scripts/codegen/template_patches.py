"""Fixes to openapi-python-client's own templates, applied at generation time.

Each patch copies one stock template of the pinned generator, replaces an exact
piece of its text, and names the defect it fixes. If the generator's text has
moved (a new release), the patch fails loudly instead of silently emitting the
old, broken code.
"""

from __future__ import annotations

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


_STOCK_PARSE_RESPONSE = """{% if endpoint.responses.default %}
    {% set return_type = return_string | as_unembedded_code %}
{% else %}
    {% set return_type = (return_string | as_unembedded_code) + " | None" %}
{% endif %}


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> {{return_type}}:
    {% for response in endpoint.responses.patterns %}
    {% set code_range = response.status_code.range %}
    {% if code_range[0] == code_range[1] %}
    if response.status_code == {{ code_range[0] }}:
    {% else %}
    if {{ code_range[0] }} <= response.status_code <= {{ code_range[1] }}:
    {% endif %}
        {{ parse_response(parsed_responses, response) | indent(8) }}
    {% endfor %}
    {% if endpoint.responses.default %}
    {{ parse_response(parsed_responses, endpoint.responses.default) | indent(4) }}
    {% else %}
    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None
    {% endif %}
"""

_RAISING_PARSE_RESPONSE = """{% set return_type = return_string | as_unembedded_code %}
{% set code_range = success_response.status_code.range %}


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> {{return_type}}:
    if {{ code_range[0] }} <= response.status_code <= {{ code_range[1] }}:
        try:
            {{ parse_response(parsed_responses, success_response) | indent(12) }}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise errors.UnexpectedBody(response.status_code, response.content, exc) from exc
    raise errors.UnexpectedStatus(response.status_code, response.content)
"""

_STOCK_UNEXPECTED_STATUS = '''class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\\n\\nResponse content:\\n{content.decode(errors='ignore')}"
        )

__all__ = ["UnexpectedStatus"]'''

_ERRORS = '''_EXCERPT_CHARS = 500


def _excerpt(content: bytes) -> str:
    text = content[: _EXCERPT_CHARS * 4].decode(errors="replace")
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "..."


class UnexpectedStatus(Exception):
    """Raised by api functions for any status other than the documented success."""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(f"Unexpected status code: {status_code}\\n\\nResponse content:\\n{_excerpt(content)}")


class UnexpectedBody(Exception):
    """Raised by api functions when a success response's body is not the documented JSON."""

    def __init__(self, status_code: int, content: bytes, reason: Exception):
        self.status_code = status_code
        self.content = content
        self.reason = reason

        super().__init__(
            f"Response with status {status_code} does not match the documented body "
            f"({type(reason).__name__}: {reason})\\n\\nResponse content:\\n{_excerpt(content)}"
        )

__all__ = ["UnexpectedBody", "UnexpectedStatus"]'''


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

_LAZY_CLIENT_IMPORT = """from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import AuthenticatedClient, Client


def __getattr__(name: str) -> object:
    if name not in ("AuthenticatedClient", "Client"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(".client", __name__), name)
    globals()[name] = value
    return value

"""


PATCHES: tuple[Patch, ...] = (
    Patch(
        template="endpoint_module.py.jinja",
        defect="multipart requests carry the fixed boundary `+++`, so a field value "
        "containing `\\r\\n--+++` injects a part; httpx picks a random one when left alone",
        old='        headers["Content-Type"] = "multipart/form-data; boundary=+++"\n',
        new="",
    ),
    Patch(
        template="endpoint_module.py.jinja",
        defect="(same as above, single-body form)",
        old='    headers["Content-Type"] = "multipart/form-data; boundary=+++"\n',
        new="",
    ),
    Patch(
        template="endpoint_module.py.jinja",
        defect="declared 4XX/5XX bodies are returned as values, so callers treat errors "
        "as results; the return type becomes the success model alone",
        old="{% set return_string = endpoint.response_type() %}",
        new='{% set success_response = endpoint.responses.patterns | selectattr("status_code.range.0", "lt", 300) | first %}\n'
        "{% set return_string = success_response.prop.get_type_string() %}",
    ),
    Patch(
        template="endpoint_module.py.jinja",
        defect="error statuses are parsed as values (an HTML 502 raises JSONDecodeError, "
        "an error body missing a key raises KeyError); a malformed success body raises "
        "bare KeyError/TypeError. Now: any non-success status raises UnexpectedStatus, "
        "a malformed success body raises UnexpectedBody",
        old=_STOCK_PARSE_RESPONSE,
        new=_RAISING_PARSE_RESPONSE,
    ),
    Patch(
        template="errors.py.jinja",
        defect="UnexpectedStatus puts the whole body (megabytes) in its message and there "
        "is no error for a malformed success body",
        old=_STOCK_UNEXPECTED_STATUS,
        new=_ERRORS,
    ),
    Patch(
        template="endpoint_macros.py.jinja",
        defect="(docstrings) say what the endpoint functions raise after the fixes above",
        old="    errors.UnexpectedStatus: If the server returns an undocumented status code "
        "and Client.raise_on_unexpected_status is True.\n",
        new="    errors.UnexpectedStatus: If the server answers with any status other than success.\n"
        "    errors.UnexpectedBody: If a success response's body is not the documented JSON.\n",
    ),
    Patch(
        template="client.py.jinja",
        defect="no default timeout: a silent server makes a call wait forever",
        old='_timeout: httpx.Timeout | None = field(default=None, kw_only=True, alias="timeout")',
        new="_timeout: httpx.Timeout | None = field(\n"
        '        factory=lambda: httpx.Timeout(600.0, connect=5.0), kw_only=True, alias="timeout"\n'
        "    )",
    ),
    Patch(
        template="types.py.jinja",
        defect="a File without file_name goes out as a text field, not a file part",
        old="        return self.file_name, self.payload, self.mime_type\n",
        new='        return self.file_name or "upload", self.payload, self.mime_type or "application/octet-stream"\n',
    ),
    Patch(
        template="property_templates/boolean_property.py.jinja",
        defect="booleans go into multipart fields as `True`/`False` instead of `true`/`false`",
        old='files.append(({{ name }}, (None, str({{source}}).encode(), "text/plain")))',
        new='files.append(({{ name }}, (None, ("true" if {{source}} else "false").encode(), "text/plain")))',
    ),
    Patch(
        template="model.py.jinja",
        defect="None goes into multipart fields as the text `None`; an unset or None "
        "field is now left out",
        old="{% if not property.required %}\nif not isinstance({{source}}, Unset):\n"
        "    {{ prop_template.multipart(property, source, destination) | indent(4) }}",
        new="{% if not property.required %}\nif {{source}} is not None and not isinstance({{source}}, Unset):\n"
        "    {{ prop_template.multipart(property, source, destination) | indent(4) }}",
    ),
    Patch(
        template="models_init.py.jinja",
        defect="the models package imports every model up front, so using one model (or "
        "importing the package for one response type) costs all of them at start-up; "
        "models now load on first use (PEP 562), with static imports for type checkers",
        old=_STOCK_MODELS_IMPORTS,
        new=_LAZY_MODELS_IMPORTS,
    ),
    Patch(
        template="package_init.py.jinja",
        defect="importing any generated module imported the HTTP client classes too; "
        "they now load on first use",
        old="from .client import AuthenticatedClient, Client\n",
        new=_LAZY_CLIENT_IMPORT,
    ),
    Patch(
        template="property_templates/list_property.py.jinja",
        defect="an array of objects (`fallbacks`) goes out as repeated parts, so a server "
        "that keeps the last value sees one element; it is now one JSON part",
        old="for {{ inner_source }} in {{ source }}:\n"
        "    {{ inner_template.multipart(inner_property, inner_source, destination) | indent(4) }}\n",
        new='{% if inner_property.template == "model_property.py.jinja" %}\n'
        "files.append(({{ destination }}, (None, json.dumps([{{ inner_source }}.to_dict() "
        'for {{ inner_source }} in {{ source }}]).encode(), "application/json")))\n'
        "{% else %}\n"
        "for {{ inner_source }} in {{ source }}:\n"
        "    {{ inner_template.multipart(inner_property, inner_source, destination) | indent(4) }}\n"
        "{% endif %}\n",
    ),
)


def write_patched_templates(destination: Path) -> None:
    """Write every patched template into `destination`, for `--custom-template-path`."""
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
