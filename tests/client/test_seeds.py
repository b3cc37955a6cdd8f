"""orq's published Python examples run with only the import line changed."""

from __future__ import annotations

import json
import runpy
import warnings
from pathlib import Path

import pytest

from tests.conftest import PNG_1X1
from tests.support.server import LoopbackServer

EXAMPLES = Path(__file__).parent / "seed_examples"


_VARIATION_CALL = "orq.router.images.variations.create("


def run_example(
    name: str,
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *,
    with_image: bool = True,
) -> None:
    """Run a seed with its import line changed. The variation seeds send no image, which
    the live API refuses with a 400 (orq_images refuses it before sending); with_image
    adds one to the call, as a working program has."""
    source = (EXAMPLES / name).read_text()
    assert source.count("from orq_ai_sdk import Orq") == 1
    source = source.replace("from orq_ai_sdk import Orq", "from orq_images import Orq")
    if with_image and _VARIATION_CALL in source:
        (tmp_path / "photo.png").write_bytes(PNG_1X1)
        image = repr(str(tmp_path / "photo.png"))
        source = source.replace(_VARIATION_CALL, f"{_VARIATION_CALL}image={image}, ")
    script = tmp_path / name
    script.write_text(source)
    monkeypatch.setenv("ORQ_BASE_URL", server.url)
    runpy.run_path(str(script), run_name="__main__")


ROUTING_ORQ = {
    "retry": {"on_codes": [429, 500, 502, 503, 504]},
    "fallbacks": [{"model": "openai/gpt-4o-mini"}],
    "identity": {
        "id": "contact_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "display_name": "Jane Doe",
        "email": "jane.doe@example.com",
        "metadata": [{"department": "Engineering", "role": "Senior Developer"}],
        "logo_url": "https://example.com/avatars/jane-doe.jpg",
        "tags": ["hr", "engineering"],
    },
    "cache": {"ttl": 3600, "type": "exact_match"},
    "load_balancer": {
        "type": "weight_based",
        "models": [
            {"model": "openai/gpt-4o", "weight": 0.7},
            {"model": "anthropic/claude-3-5-sonnet", "weight": 0.3},
        ],
    },
    "timeout": {"call_timeout": 30000},
}


def test_seed_001_generations_sends_the_documented_json(
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the current shapes raise no deprecation warning
        run_example("seed_001_generations.py", server, monkeypatch, tmp_path)

    (request,) = server.requests
    assert request.path == "/v2/router/images/generations"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "prompt": "<value>",
        "model": "2",
        "n": 1,
        "retry": {"on_codes": [429, 500, 502, 503, 504]},
        "cache": {"ttl": 3600, "type": "exact_match"},
        "load_balancer": {"type": "weight_based", "models": []},
        "timeout": {"call_timeout": 30000},
        "orq": ROUTING_ORQ,
    }
    assert b'"n":1,' in request.body  # a whole number, never 1.0
    assert "ImageResponse(created=1732233600" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["seed_000_variations.py", "seed_002_variations_legacy.py"])
def test_a_variation_seed_without_its_image_is_refused_before_sending(
    name: str, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match=r"^image: is required"):
        run_example(name, server, monkeypatch, tmp_path, with_image=False)
    assert server.requests == []


def test_seed_000_variations_sends_one_json_field_per_object(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_example("seed_000_variations.py", server, monkeypatch, tmp_path)

    (request,) = server.requests
    assert request.path == "/v2/router/images/variations"
    form = request.form()
    routing = {"retry", "cache", "load_balancer", "timeout", "orq"}
    assert set(form) == {"image", "model", "n", "response_format", "size", *routing}
    assert form["model"].text == "Altima"
    assert form["n"].text == "1"
    assert form["size"].text == "1024x1024"
    assert json.loads(form["retry"].value) == {"on_codes": [429, 500, 502, 503, 504]}
    assert json.loads(form["load_balancer"].value) == {"type": "weight_based", "models": []}
    orq = json.loads(form["orq"].value)
    assert orq["prompt"] == {"id": "prompt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "version": "latest"}
    assert orq["fallbacks"] == [{"model": "openai/gpt-4o-mini"}]
    assert form["image"].filename == "photo.png"
    assert all(part.filename is None for name, part in form.items() if name != "image")


def test_seed_002_legacy_shapes_are_upgraded_with_warnings(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.warns(DeprecationWarning) as caught:
        run_example("seed_002_variations_legacy.py", server, monkeypatch, tmp_path)

    messages = [str(w.message) for w in caught]
    assert any("orq.contact is deprecated; use orq.identity" in m for m in messages)
    assert any("orq.load_balancer as a list" in m for m in messages)
    # The warnings point at the example's own line, not into the SDK.
    assert {Path(w.filename).name for w in caught} == {"seed_002_variations_legacy.py"}

    orq = json.loads(server.requests[0].form()["orq"].value)
    assert orq["load_balancer"] == {
        "type": "weight_based",
        "models": [
            {"model": "openai/gpt-4o", "weight": 0.7},
            {"model": "openai/gpt-4o", "weight": 0.7},
        ],
    }
    assert orq["contact"]["id"] == "contact_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert orq["identity"]["email"] == "jane.doe@example.com"
