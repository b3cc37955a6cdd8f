"""examples/: a program written for orq-ai-sdk and its port to orq_images run against
the same LocalRouter and do the same thing: same output, same requests on the wire
(the custom client's header on each, retries included); the port differs from the
original only in the lines the README's "Coming from orq-ai-sdk" table names."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orq_images.testing import LocalRouter, ModelFailure

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PROGRAMS = ("orq_ai_sdk_program.py", "ported_program.py")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _run(program: str, folder: Path) -> tuple[str, list[tuple[str, int | None, str | None]]]:
    failing = {"openai/flaky": ModelFailure(503, times=1)}
    with LocalRouter(api_key="sk-example", failing_models=failing) as router:
        env = {**os.environ, "ORQ_API_KEY": "sk-example", "ORQ_SERVER_URL": router.url}
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / program)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        requests = [(r.path, r.status, r.headers.get("x-app")) for r in router.requests]
        bodies = [r.body for r in router.requests]
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert bodies[2]["fallback_on_codes"] == [429, 503]
    assert (folder / "orq-example" / "fox.png").read_bytes().startswith(b"\x89PNG")
    return re.sub(r"req_[0-9a-f]+", "req_ID", result.stdout), requests


def test_the_program_and_its_port_do_the_same(tmp_path: Path) -> None:
    runs = {}
    for program in PROGRAMS:
        (tmp_path / program).mkdir()
        runs[program] = _run(program, tmp_path / program)
    original, ported = runs.values()
    assert original == ported
    output, requests = ported
    assert output.splitlines() == [
        "generation: 1 image(s)",
        "variation: 2 image(s)",
        "edit: 1 image(s)",
        "after a retry: 1 image(s)",
        "error: 400 request id req_ID",
    ]
    assert [status for _, status, _ in requests] == [200, 200, 200, 503, 200, 400]
    assert {app for _, _, app in requests} == {"example-program"}


@pytest.fixture(scope="module")
def changed_lines() -> list[tuple[str, str]]:
    """Each line of the original that the port changes, with its replacement."""
    original, ported = ((EXAMPLES / p).read_text().splitlines() for p in PROGRAMS)
    matcher = difflib.SequenceMatcher(a=original, b=ported, autojunk=False)
    pairs = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag != "equal" and a1 > 2:  # the docstring's first lines say what each file is
            pairs.append(("\n".join(original[a1:a2]).strip(), "\n".join(ported[b1:b2]).strip()))
    return pairs


def test_each_change_of_the_port_is_in_the_migration_table(
    changed_lines: list[tuple[str, str]],
) -> None:
    table = README[README.index("## Coming from orq-ai-sdk") :]
    table = table[: table.index("\n## ", 5)]
    words = {
        "import httpx": "httpx2",
        "httpx.Client(": "httpx2.Client(",
        "from orq_ai_sdk import Orq, models": "from orq_images import",
        "from orq_ai_sdk.utils import BackoffStrategy, RetryConfig": "orq_images.utils",
        "client=http,": "http_client=",
        "model_dump()": "to_dict()",
        "except models.OrqError": "APIStatusError",
        "raw_response": "e.response",
    }
    for before, after in changed_lines:
        hits = [want for key, want in words.items() if key in before]
        assert hits, f"a change the table does not cover: {before!r} -> {after!r}"
        for want in hits:
            assert want in table, want
