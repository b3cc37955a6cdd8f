"""Prepare a release of orq-images from the last commit.

    scripts/release --dry-run   build, check and smoke-test the release; change nothing
    scripts/release             ... then write the new version and CHANGELOG.md
    scripts/release --upload    ... then upload to PyPI with twine

Which version: releases are the git tags vX.Y.Z. If the version in _version.py is
tagged, it is out, and the next one follows from the API change report against
that tag (version.py: breaking -> major, or minor while 0.x; other changes ->
minor; none -> patch). If it is not tagged yet (the first release, or a version an
earlier run wrote and you committed), or HEAD is its tag (the release workflow),
it is built as it stands, once checked to be at least what the report since the
latest earlier tag calls for.

Steps, all in a copy of HEAD, since what ships must be a commit:
1. the drift check, with HEAD's own generator code;
2. the API change report and the version, as above;
3. the version, and a CHANGELOG.md section holding the report (unless present);
4. sdist and wheel, `twine check --strict`;
5. the wheel installed into a fresh virtual environment, smoke.py run there.
Then, unless --dry-run, _version.py and CHANGELOG.md are copied into the tree, to
commit and tag; pushing the tag publishes through .github/workflows/release.yml.
The upload command is printed; only --upload runs it, and only from a clean tree.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codegen import api_report
from releasing.changelog import add_release, has_release
from releasing.version import (
    VERSION_FILE,
    Version,
    bump,
    level_for,
    parse,
    read_version,
    write_version,
)

ROOT = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).resolve().with_name("smoke.py")
CHANGELOG = Path("CHANGELOG.md")
DISTRIBUTION = "orq_images"  # the file name prefix of the sdist and the wheel
FIRST_RELEASE = "First release."


@dataclass(frozen=True)
class Plan:
    current: str
    version: str
    since: str | None
    """The tag the report compares with; None for a first release."""
    report: api_report.Report | None

    def notes(self) -> str:
        return FIRST_RELEASE if self.report is None else self.report.markdown()


def _run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
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


def export_head(repo: Path, destination: Path) -> Path:
    """The files of HEAD, without the working tree's uncommitted changes."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=repo, capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def released(repo: Path) -> dict[Version, str]:
    """Released versions (tags vX.Y.Z that HEAD contains) -> their tags."""
    tags = _run("git", "tag", "--list", "v*", "--merged", "HEAD", cwd=repo).split()
    return {version: tag for tag in tags if (version := parse(tag[1:])) is not None}


def plan_release(repo: Path, tree: Path, scratch: Path) -> Plan:
    """Which version `tree` (HEAD's files) is released as, and the API changes in it."""
    current = read_version(tree / VERSION_FILE)
    current_parsed = parse(current)
    assert current_parsed is not None  # read_version only matches X.Y.Z
    tags = released(repo)
    at_head = _run("git", "tag", "--points-at", "HEAD", cwd=repo).split()
    # A tagged version is out, unless HEAD is that very release (the release workflow
    # building the tag): then it is built as it stands, like an untagged version.
    bumping = current_parsed in tags and tags[current_parsed] not in at_head
    earlier = [v for v in tags if v < current_parsed or (bumping and v == current_parsed)]
    if not earlier:
        return Plan(current, current, None, None)
    base = max(earlier)
    since = tags[base]
    old = api_report.Snapshot.of_tree(api_report.tree_at(since, scratch / "released", cwd=repo))
    report = api_report.compare(old, api_report.Snapshot.of_tree(tree))
    needed = bump(".".join(map(str, base)), level_for(report.breaking, bool(report.changes)))
    if bumping:
        return Plan(current, needed, since, report)
    if current_parsed < (parse(needed) or current_parsed):
        raise SystemExit(
            f"version {current} in {VERSION_FILE} is too low: the API changes since {since} "
            f"call for at least {needed}"
        )
    return Plan(current, current, since, report)


def _check_drift(tree: Path) -> None:
    """The drift check as HEAD defines it: HEAD's generator code on HEAD's spec."""
    env = {**os.environ, "PYTHONPATH": str(tree / "scripts")}
    print(_run(sys.executable, "-m", "codegen.generate", "--check", cwd=tree, env=env).strip())


def _build(tree: Path, dist: Path) -> list[Path]:
    dist.mkdir(parents=True, exist_ok=True)
    for stale in dist.glob(f"{DISTRIBUTION}-*"):
        stale.unlink()
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, tree)
    built = sorted(dist.glob(f"{DISTRIBUTION}-*"))
    _run(sys.executable, "-m", "twine", "check", "--strict", *built)
    return built


def _smoke_test(wheel: Path, version: str, python: str, scratch: Path) -> None:
    venv = scratch / "venv"
    _run(python, "-m", "venv", venv)
    venv_python = venv / "bin" / "python"
    _run(venv_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    print(_run(venv_python, SMOKE, "--version", version, cwd=scratch).strip())


def _write_release(tree: Path, plan: Plan) -> None:
    write_version(tree / VERSION_FILE, plan.version)
    changelog = (tree / CHANGELOG).read_text(encoding="utf-8")
    if not has_release(changelog, plan.version):
        changelog = add_release(changelog, plan.version, plan.notes())
        (tree / CHANGELOG).write_text(changelog, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="change nothing in the tree")
    mode.add_argument("--upload", action="store_true", help="upload to PyPI at the end")
    parser.add_argument("--dist", type=Path, help="where the sdist and wheel go")
    parser.add_argument("--python", default=sys.executable, help="Python for the fresh venv")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git checkout to release")
    args = parser.parse_args(argv)
    repo: Path = args.repo.resolve()
    dist: Path = args.dist or repo / ("build/release-dry-run" if args.dry_run else "dist")

    if args.upload and _run("git", "status", "--porcelain", "--untracked-files=no", cwd=repo):
        raise SystemExit("--upload needs a clean tree: commit first, so what ships is a commit")
    written = [str(VERSION_FILE), str(CHANGELOG)]
    if not args.dry_run and _run("git", "status", "--porcelain", "--", *written, cwd=repo):
        raise SystemExit(f"uncommitted edits to {' or '.join(written)}: commit or drop them first")
    head = _run("git", "rev-parse", "--short=10", "HEAD", cwd=repo).strip()
    print(f"releasing HEAD ({head}); uncommitted changes are not part of a release")

    with tempfile.TemporaryDirectory(prefix="orq-release-") as scratch_dir:
        scratch = Path(scratch_dir)
        tree = export_head(repo, scratch / "tree")
        _check_drift(tree)
        plan = plan_release(repo, tree, scratch)
        since = f"API changes since {plan.since}" if plan.since else "no earlier release"
        print(f"version {plan.current} -> {plan.version} ({since}):\n{plan.notes().rstrip()}")
        _write_release(tree, plan)
        built = _build(tree, dist)
        wheel = next(path for path in built if path.suffix == ".whl")
        _smoke_test(wheel, plan.version, args.python, scratch)
        if not args.dry_run:
            for path in (VERSION_FILE, CHANGELOG):
                shutil.copyfile(tree / path, repo / path)

    upload = [sys.executable, "-m", "twine", "upload", *map(str, built)]
    print("built, checked and smoke-tested:", *(f"  {path}" for path in built), sep="\n")
    if args.dry_run:
        print("dry run: nothing in the tree changed.")
        return 0
    print(
        f"wrote {VERSION_FILE} and {CHANGELOG}: commit them and tag v{plan.version}; pushing "
        "the tag publishes through the release workflow. To upload from here instead:\n  "
        + " ".join(upload)
    )
    if args.upload:
        subprocess.run(upload, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
