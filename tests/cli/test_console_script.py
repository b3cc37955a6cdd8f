"""The installed console script, run as a real process: spinner on a terminal, serve and Ctrl-C."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from orq_images.testing import LocalRouter
from tests.router.pngcheck import read_png

SCRIPT = Path(sys.executable).with_name("orq-images")


def _read_all(fd: int, deadline: float) -> bytes:
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_generate_on_a_terminal_shows_a_spinner_and_prints_paths(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    with LocalRouter(latency=0.4) as router:
        process = subprocess.Popen(
            [SCRIPT, "generate", "a fox", "--size", "16x16", "--out", tmp_path],
            stdout=subprocess.PIPE,
            stderr=slave,
            env={**os.environ, "ORQ_BASE_URL": router.url},
        )
        os.close(slave)
        terminal = _read_all(master, time.monotonic() + 20)
        stdout, _ = process.communicate(timeout=20)
    os.close(master)
    assert process.returncode == 0
    assert b"generating with openai/gpt-image-1" in terminal
    assert b"\x1b[K" in terminal
    (path,) = stdout.decode().splitlines()
    assert read_png(Path(path).read_bytes()).width == 16


@pytest.mark.parametrize(
    "command", [[SCRIPT], [sys.executable, "-m", "orq_images"]], ids=["script", "python -m"]
)
def test_an_error_in_a_real_process_is_one_line_without_traceback(
    command: list[str | Path], tmp_path: Path
) -> None:
    result = subprocess.run(
        [*command, "variation", tmp_path / "missing.png"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"orq-images: error: image: no such file: {tmp_path / 'missing.png'}"
    ]


def test_serve_answers_until_interrupted() -> None:
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", "0", "--fail-model", "openai/broken"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("LocalRouter listening on http://127.0.0.1:")
        url = first.split()[3]
        headers = {"Authorization": "Bearer k"}
        body = {"prompt": "p", "model": "openai/broken", "size": "8x8"}
        assert (
            httpx2.post(
                f"{url}/v2/router/images/generations", json=body, headers=headers
            ).status_code
            == 503
        )
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "LocalRouter stopped" in out
    assert "POST /v2/router/images/generations -> 503" in err
    assert "Traceback" not in err


def test_serve_with_an_api_key_answers_401_in_orqs_shape_to_any_other_key() -> None:
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", "0", "--api-key", "sk-the-right-one"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split()[3]
        hint = process.stdout.readline()
        body = {"prompt": "p", "model": "m", "size": "8x8"}
        answers = {
            key: httpx2.post(
                f"{url}/v2/router/images/generations",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
            )
            for key in ("sk-the-right-one", "sk-another")
        }
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "sk-the-right-one" not in hint
    assert answers["sk-the-right-one"].status_code == 200
    refused = answers["sk-another"]
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "authentication_error"
    assert "sk-another" not in refused.text


def test_serve_on_a_port_in_use_is_one_line() -> None:
    with LocalRouter() as running:
        port = running.port
        result = subprocess.run(
            [SCRIPT, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        f"orq-images: error: 127.0.0.1:{port}: Address already in use"
    ]
