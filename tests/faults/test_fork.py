"""After os.fork(), a child uses connections of its own: no answer crosses processes.

Fifty children per start method are forked while threads of the parent (or of the
fork server) are mid-call on the same clients, sync, `create_async` and AsyncOrq;
each child calls through the clients it inherited. Every call's prompt is a token
the server echoes back, so an answer read by the wrong process fails its check.
A child stuck on a pool lock it inherited from a thread that does not exist in it
would outlive its calls' timeout. See tests/support/fork_rounds.py.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PNG_1X1
from tests.support.server import LoopbackServer, RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 50
# Not `-m`: the children's target must come from the module the fork server preloads.
RUN = "import sys; from tests.support.fork_rounds import main; sys.exit(main(*sys.argv[1:]))"


def echo(request: RecordedRequest) -> Reply:
    try:
        prompt = request.json()["prompt"]
    except (ValueError, KeyError):
        return Reply(400, {"message": "not a generations request"})
    image = {
        "b64_json": base64.b64encode(PNG_1X1).decode(),
        "revised_prompt": prompt,
    }
    # A short wait keeps the parent's calls in flight while children are forked.
    return Reply(200, {"created": 1, "data": [image]}, delay=0.02)


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_children_forked_mid_call_get_their_own_answers_in_time(method: str) -> None:
    with LoopbackServer(respond=echo) as server:
        run = subprocess.run(
            [sys.executable, "-c", RUN, method, server.url, str(ROUNDS)],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
        )
        calls = len(server.requests)
    assert "FAILED" not in run.stderr, run.stderr[-3000:]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert f"{ROUNDS} of {ROUNDS} children got their own answers" in run.stdout
    assert calls >= ROUNDS * 4  # every child's calls reached the server, and the busy threads'
