"""Commands the release runs: their output, or one line saying which one failed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """The command's standard output; on failure its output goes to stderr and the
    release stops with one line naming the command."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: {' '.join(str(part) for part in command)}")
    return result.stdout


def git(repo: Path, *args: str) -> str:
    return run("git", *args, cwd=repo)
