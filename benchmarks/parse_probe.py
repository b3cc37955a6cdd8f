"""Child process of the parse case: one client's 15 MB call, alternating with json.loads.

    python -m benchmarks.parse_probe CONTENDER ROUNDS

The parent starts it with fixed allocator settings (see parse.py), so that how fast a
15 MB allocation is does not depend on what ran before in some other process. The
client answers from memory; each round times one whole call and one json.loads of
the same bytes, in alternating order, and the child prints both lists as JSON.
CONTENDER `json.loads` times json.loads against itself: the case's self-check.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable

from benchmarks import payloads, timing
from benchmarks.contenders import BY_NAME

SELF_CHECK = "json.loads"


def _cpu_ms(call: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    call()
    return (time.process_time() - start) * 1000


def main(argv: list[str]) -> None:
    name, rounds = argv[0], int(argv[1])
    body = payloads.large_generation_response()
    if name == SELF_CHECK:
        call: Callable[[], object] = lambda: json.loads(body)  # noqa: E731
    else:
        contender = BY_NAME[name]("http://bench.invalid", mock_body=body)
        call = lambda: contender.generate(payloads.GENERATION)  # noqa: E731
    calls = {"client": call, "json.loads": lambda: json.loads(body)}
    for each in calls.values():  # untimed: imports, first allocations
        each()
    times: dict[str, list[float]] = {key: [] for key in calls}
    for round_number in range(rounds):
        for key in timing.round_order(list(calls), round_number):
            times[key].append(_cpu_ms(calls[key]))
    print(json.dumps(times))


if __name__ == "__main__":
    main(sys.argv[1:])
