"""The key and base URLs are checked when the client is made; neither ever shows up in output.

Every test uses its own key or password and searches everything it can see for
it: the error, its repr and cause, every log record (DEBUG included, httpx2's and
httpcore2's too) and what the command line printed.
"""

from __future__ import annotations

import logging

import pytest

from orq_images import AsyncOrq, InvalidRequestError, Orq, OrqError
from orq_images.cli import main
from tests.conftest import AsyncHttpFactory, image_response
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), repr(error.args), str(error.__cause__), repr(error.__cause__)]


@pytest.mark.parametrize("stray", ["\n", "\r\n", " ", "\t", "  \n"])
def test_whitespace_around_the_key_is_stripped(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture, stray: str
) -> None:
    key = "sk-strip-7c1d0e"
    with caplog.at_level(logging.DEBUG), Orq(api_key=key + stray, server_url=server.url) as orq:
        orq.router.images.generations.create(**PARAMS)
    assert server.requests[0].headers["authorization"] == f"Bearer {key}"
    assert key not in caplog.text
    assert "httpcore2" in {record.name.split(".")[0] for record in caplog.records}


@pytest.mark.parametrize("inner", ["\n", "\r", "\x00", "\x1b", "\x7f", "é"])
def test_a_key_with_an_inner_control_character_is_refused_without_showing_it(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture, inner: str
) -> None:
    head, tail = "sk-inner-93af", "5e21-tail"
    with caplog.at_level(logging.DEBUG), pytest.raises(OrqError) as caught:
        Orq(api_key=head + inner + tail, server_url=server.url)
    assert "API key" in str(caught.value)
    for text in [*_texts(caught.value), caplog.text]:
        assert head not in text
        assert tail not in text
    assert server.requests == []


def test_the_cli_strips_the_key_from_the_environment(
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: object,
) -> None:
    monkeypatch.setenv("ORQ_API_KEY", "sk-cli-0b5e8a\r\n")
    monkeypatch.setenv("ORQ_BASE_URL", server.url + "\n")
    assert main(["generate", "a fox", "--out", str(tmp_path)]) == 0
    assert server.requests[0].headers["authorization"] == "Bearer sk-cli-0b5e8a"


def test_the_cli_never_prints_a_bad_key(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORQ_API_KEY", "sk-cli-77e2\n41f0")
    monkeypatch.setenv("ORQ_BASE_URL", server.url)
    assert main(["generate", "a fox"]) == 3  # bad input or configuration, not "unreachable"
    output = capsys.readouterr()
    assert "API key" in output.err
    for text in (output.out, output.err):
        assert "sk-cli-77e2" not in text
        assert "41f0" not in text
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://user:pw-{secret}@127.0.0.1:9", "credentials"),
        ("http://:pw-{secret}@127.0.0.1:9", "credentials"),
        ("http://127.0.0.1:9/?token=pw-{secret}", "query"),
        ("http://127.0.0.1:9/#pw-{secret}", "fragment"),
        ("ftp://127.0.0.1:9", "http:// or https://"),
    ],
)
@pytest.mark.parametrize("where", ["server_url", "ORQ_BASE_URL", "per call"])
def test_base_urls_with_credentials_a_query_or_a_fragment_are_refused(
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    url: str,
    problem: str,
    where: str,
) -> None:
    secret = "5d0c-unique"
    bad = url.format(secret=secret)

    def attempt() -> None:
        if where == "server_url":
            Orq(server_url=bad)
        elif where == "ORQ_BASE_URL":
            monkeypatch.setenv("ORQ_BASE_URL", bad)
            Orq()
        else:
            with Orq(server_url=server.url) as orq:
                orq.router.images.generations.create(**PARAMS, server_url=bad)

    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidRequestError) as caught:
        attempt()
    assert problem in str(caught.value)
    assert caught.value.field == ("ORQ_BASE_URL" if where == "ORQ_BASE_URL" else "server_url")
    if problem != "http:// or https://":
        for text in [*_texts(caught.value), caplog.text]:
            assert secret not in text
    assert server.requests == []


def test_base_urls_are_stripped_and_a_trailing_slash_is_fine(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORQ_BASE_URL", f"  {server.url}/\n")
    with Orq() as orq:
        assert repr(orq) == f"Orq(server_url={server.url!r})"
        orq.router.images.generations.create(**PARAMS)
        orq.router.images.generations.create(**PARAMS, server_url=f"{server.url}/\n")
    assert [r.path for r in server.requests] == ["/v2/router/images/generations"] * 2


async def test_the_async_client_checks_the_same(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    with pytest.raises(InvalidRequestError, match="credentials"):
        AsyncOrq(server_url="http://a:b@127.0.0.1:9", http_client=async_http_factory())
    with pytest.raises(OrqError, match="control character"):
        AsyncOrq(api_key="sk-a\nb", http_client=async_http_factory())
    async with AsyncOrq(
        api_key="sk-async-1f\n", server_url=server.url, http_client=async_http_factory()
    ) as orq:
        await orq.router.images.generations.create(**PARAMS)
    assert server.requests[0].headers["authorization"] == "Bearer sk-async-1f"


def test_a_server_echoing_nothing_secret(server: LoopbackServer) -> None:
    # The default reply is a valid image response: the stripped key works end to end.
    server.queue(Reply(200, image_response()))
    with Orq(api_key=" sk-e2e-4b \n", server_url=server.url) as orq:
        assert orq.router.images.generations.create(**PARAMS).created == 1_732_233_600
