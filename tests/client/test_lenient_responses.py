"""Success bodies are read leniently by default, as openai-python reads them; strict
checking against the spec is a client option (on in the project's other tests)."""

from __future__ import annotations

import pytest

from orq_images import APIResponseValidationError, Orq
from tests.support.server import LoopbackServer, Reply


@pytest.fixture
def lenient(server: LoopbackServer) -> Orq:
    return Orq(server_url=server.url, strict_response_validation=False)


def test_a_null_field_beside_a_valid_one_reads_as_none(
    lenient: Orq, server: LoopbackServer
) -> None:
    server.queue(Reply(200, {"created": 1, "data": [{"b64_json": None, "url": "http://x/1.png"}]}))
    res = lenient.router.images.generations.create(prompt="p", model="m")
    image = res.data[0]
    assert image.b64_json is None
    assert image.url == "http://x/1.png"
    assert image.revised_prompt is None  # missing: None too
    assert res.usage is None


def test_unknown_fields_are_kept(lenient: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(200, {"created": 1, "data": [{"url": "u", "seed": 7}], "trace": "t"}))
    res = lenient.router.images.generations.create(prompt="p", model="m")
    assert res.additional_properties == {"trace": "t"}
    assert res.data[0]["seed"] == 7


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html>maintenance</html>", "not JSON"),
        ({"created": 1}, "data: is required"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_a_body_that_is_not_json_or_lacks_data_is_still_refused(
    lenient: Orq, server: LoopbackServer, body: object, words: str
) -> None:
    server.queue(Reply(200, body))
    with pytest.raises(APIResponseValidationError, match=words):
        lenient.router.images.generations.create(prompt="p", model="m")


def test_strict_checking_is_an_option(server: LoopbackServer) -> None:
    server.queue(Reply(200, {"created": 1, "data": [{"b64_json": None, "url": "u"}]}))
    with (
        Orq(server_url=server.url, strict_response_validation=True) as strict,
        pytest.raises(APIResponseValidationError, match=r"data\[0\]\.b64_json"),
    ):
        strict.router.images.generations.create(prompt="p", model="m")


def test_lenient_is_the_default(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORQ_STRICT_RESPONSE_VALIDATION")
    server.queue(Reply(200, {"created": 1, "data": [{"b64_json": None, "url": "u"}]}))
    with Orq(server_url=server.url) as orq:
        assert orq.router.images.generations.create(prompt="p", model="m").data[0].url == "u"
