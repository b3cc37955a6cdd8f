"""After os.fork(), a child never uses the connections it inherited.

A pooled connection copied into a child is one socket shared by two processes:
each would read answers meant for the other. And the pool's locks, copied too, may
be held by a thread that exists only in the parent, so touching them in the child
could block for ever. So a client notes the process it made its connections in,
checks that cheaply on every call (`os.getpid()`, as redis-py's pools do), and in
a new process replaces its pools wholesale, without ever touching the inherited
ones: no lock, no close, no byte sent.

What is dropped then: the SDK's sync pools, which the garbage collector frees
(closing only the child's copies of the sockets, which leaves the parent's
connections as they are). What is kept, unused, for the child's life
(`leave_untouched`): anything tied to an asyncio event loop, since finalizing it
would act on the parent's loop (its wakeup socket and selector are shared).
"""

from __future__ import annotations

import os
import threading

_inherited: list[object] = []


class _Renewal:
    lock = threading.RLock()


def _in_child() -> None:
    # A new lock in each child: the parent's copy may be held by a thread that is gone.
    _Renewal.lock = threading.RLock()


os.register_at_fork(after_in_child=_in_child)


def renewal_lock() -> threading.RLock:
    """The lock to hold while replacing what was inherited (reentrant: a renewal makes
    a TLS context too); never held by a thread that is gone."""
    return _Renewal.lock


def leave_untouched(inherited: object) -> None:
    """Keep `inherited`, made by the parent, unused and unclosed for this process's life."""
    _inherited.append(inherited)
