"""A release is made from `main` as the remote has it, never from a branch of one's own.

Before it writes a release, scripts/release fetches main's upstream and requires HEAD
to be main, and main to be exactly that upstream: the release commit then goes on top
of what everyone has, and the push of main and the tag is a fast-forward. Before it
uploads, it requires the tagged commit to be on that upstream. --allow-off-main skips
both checks, for the rare release that must come from elsewhere.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from releasing.process import git

BRANCH = "main"
OVERRIDE = "--allow-off-main"


def _try_git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A git command whose failure is an answer (no upstream, not an ancestor)."""
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


def fetched_upstream(repo: Path) -> str:
    """main's upstream (`origin/main`), fetched now."""
    upstream = _try_git(
        repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", f"{BRANCH}@{{upstream}}"
    )
    if upstream.returncode != 0:
        raise SystemExit(
            f"{BRANCH} tracks no remote branch, so nothing says it is up to date: "
            f"git branch --set-upstream-to=origin/{BRANCH} {BRANCH}, or pass {OVERRIDE}"
        )
    remote = git(repo, "config", f"branch.{BRANCH}.remote").strip()
    merge = git(repo, "config", f"branch.{BRANCH}.merge").strip()
    fetched = _try_git(repo, "fetch", "--quiet", remote, merge)
    if fetched.returncode != 0:
        reason = (fetched.stderr.strip().splitlines() or ["no message"])[-1]
        reason = re.sub(r"//[^/@\s]+@", "//***@", reason)  # a remote URL's user:token
        raise SystemExit(f"git fetch {remote} failed ({reason}): fix it, or pass {OVERRIDE}")
    return upstream.stdout.strip()


def check_release_commit(repo: Path) -> None:
    """HEAD is main, and main is its upstream after a fetch."""
    branch = _try_git(repo, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    if branch != BRANCH:
        where = f"branch {branch}" if branch else "a detached HEAD"
        raise SystemExit(
            f"HEAD is {where}, not {BRANCH}: a release commit goes on {BRANCH}; "
            f"git switch {BRANCH}, or pass {OVERRIDE}"
        )
    upstream = fetched_upstream(repo)
    counts = git(repo, "rev-list", "--left-right", "--count", f"{BRANCH}...{upstream}")
    ahead, behind = (int(count) for count in counts.split())
    if ahead or behind:
        raise SystemExit(
            f"{BRANCH} is {ahead} commit(s) ahead of and {behind} behind {upstream}: a release "
            f"commit goes on {BRANCH} as the remote has it; pull and push until they are "
            f"equal, or pass {OVERRIDE}"
        )


def check_upload_commit(repo: Path) -> None:
    """HEAD, the tagged release commit, is on main's upstream after a fetch."""
    upstream = fetched_upstream(repo)
    if _try_git(repo, "merge-base", "--is-ancestor", "HEAD", upstream).returncode != 0:
        head = git(repo, "rev-parse", "--short=10", "HEAD").strip()
        raise SystemExit(
            f"HEAD ({head}) is not on {upstream}: upload a release tagged on {BRANCH} and "
            f"pushed, or pass {OVERRIDE}"
        )
