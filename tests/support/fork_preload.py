"""Preloaded by the fork server of tests/support/fork_rounds.py: busy clients to fork from."""

import os

from tests.support import fork_rounds

fork_rounds.make_clients(os.environ["FORK_ROUNDS_URL"])
fork_rounds.start_busy_threads()
