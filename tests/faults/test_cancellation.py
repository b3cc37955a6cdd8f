"""A cancelled async call closes the connection it was on: no socket is left open or reused.

The client's side of each connection is read from the kernel's table (/proc/net/tcp):
a connection still ESTABLISHED towards the server after the call was cancelled is a
leak, and one handed back to the pool mid-answer would garble the next call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orq_images import AsyncOrq, RetryConfig
from tests.conftest import AsyncHttpFactory, image_response
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}
TCP_TABLE = Path("/proc/net/tcp")
ESTABLISHED = "01"

pytestmark = pytest.mark.skipif(not TCP_TABLE.exists(), reason="reads Linux's TCP table")


def _connections_to(port: int) -> int:
    """Client-side connections to 127.0.0.1:`port` that are still open."""
    count = 0
    for line in TCP_TABLE.read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if int(remote.split(":")[1], 16) == port and state == ESTABLISHED:
            count += 1
    return count


async def _settled(port: int, expected: int) -> int:
    # The kernel updates its table as the close goes through: give it a moment.
    for _ in range(50):
        if _connections_to(port) == expected:
            break
        await asyncio.sleep(0.02)
    return _connections_to(port)


async def _when_received(server: LoopbackServer, count: int) -> None:
    for _ in range(250):
        if len(server.requests) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the server got {len(server.requests)} requests, not {count}")


@pytest.mark.parametrize(
    "reply",
    [Reply(action="hang"), Reply(200, image_response(), action="drip")],
    ids=["waiting-for-headers", "reading-the-body"],
)
async def test_a_cancelled_call_closes_its_connection(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory, reply: Reply
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    server.queue(reply)
    async with AsyncOrq(
        server_url=server.url,
        retry_config=RetryConfig(max_retries=0),
        http_client=async_http_factory(),
    ) as orq:
        call = asyncio.create_task(orq.router.images.generations.create(**PARAMS))
        await _when_received(server, 1)
        await asyncio.sleep(0.1)  # the drip has sent its headers and first bytes
        assert _connections_to(port) == 1
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert await _settled(port, 0) == 0
        # The pool is sound: the next call gets a whole answer on a new connection.
        result = await orq.router.images.generations.create(**PARAMS)
        assert result.created == 1_732_233_600
        assert server.requests[-1].client_port != server.requests[0].client_port
    assert await _settled(port, 0) == 0
