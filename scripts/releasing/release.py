"""Prepare a release of orq-images from the last commit (CONTRIBUTING.md, "Releasing").

    scripts/release --dry-run   build, check and smoke-test the release; change nothing
    scripts/release             ... then write the new version and CHANGELOG.md, and
                                print the commands that commit, tag and push it
    scripts/release --upload    at the tagged release commit: ... then upload it with
                                twine (--repository testpypi to try it first)

Which version: releases are the git tags vX.Y.Z. If the version in _version.py is
tagged, it is out, and the next one follows from the API change report against
that tag (version.py: breaking -> major, or minor while 0.x; other changes ->
minor; none -> patch). If it is not tagged yet (the first release), or HEAD is its
tag (the release workflow, or --upload), it is built as it stands, once checked to
be at least what the report since the latest earlier tag calls for.

Refused, each with one line, before anything is built: a release tag at HEAD (or
--tag) that names another version than _version.py; --upload from a dirty tree or
from a commit that is not the tagged release of its version; --upload of a version
the index already lists.

Steps, all in a copy of HEAD, since what ships must be a commit:
1. the drift check, with HEAD's own generator code;
2. the API change report and the version, as above;
3. the version, and a CHANGELOG.md section holding the report (unless present);
4. sdist and wheel, `twine check --strict`;
5. the wheel installed into a fresh virtual environment, smoke.py run there.
Then, unless --dry-run, _version.py and CHANGELOG.md are copied into the tree.
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
from releasing.index import Index
from releasing.version import (
    VERSION_FILE,
    Version,
    bump,
    level_for,
    parse,
    read_version,
    read_version_text,
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
        ["git", "archive", "--format=tar", "HEAD"], cwd=repo, capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive HEAD in {repo}: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def released(repo: Path) -> dict[Version, str]:
    """Released versions (tags vX.Y.Z that HEAD contains) -> their tags."""
    tags = _run("git", "tag", "--list", "v*", "--merged", "HEAD", cwd=repo).split()
    return {version: tag for tag in tags if (version := parse(tag[1:])) is not None}


def tag_for(version: str) -> str:
    return f"v{version}"


def release_commands(version: str, *, commit: bool) -> list[str]:
    """What makes `version` a release: commit what scripts/release wrote, tag the commit
    with an annotated tag, and push both by name (--follow-tags would skip a lightweight
    tag, and a tag that never arrives publishes nothing)."""
    tag = tag_for(version)
    commands = [f'git commit -am "Release {version}"'] if commit else []
    return [
        *commands,
        f'git tag -a {tag} -m "Release {version}"',
        f"git push --atomic origin main {tag}",
    ]


def check_tags_at_head(repo: Path, version: str, expected: str | None) -> None:
    """Refuse a release tag at HEAD (or `expected`, the tag being released) that names
    another version than _version.py: what is tagged is what gets built."""
    at_head = _run("git", "tag", "--points-at", "HEAD", cwd=repo).split()
    if expected is not None and expected not in at_head:
        raise SystemExit(f"tag {expected} is not at HEAD: release it from the commit it tags")
    for tag in [expected] if expected is not None else at_head:
        if (expected is not None or parse(tag[1:]) is not None) and tag != tag_for(version):
            raise SystemExit(
                f"tag {tag} does not match {VERSION_FILE}, which says {version}: "
                f"tag the release commit {tag_for(version)}, or fix {VERSION_FILE}"
            )


def check_upload(repo: Path, version: str, index: Index) -> None:
    """--upload ships the tagged release commit of a version the index does not have yet."""
    if _run("git", "status", "--porcelain", "--untracked-files=no", cwd=repo):
        raise SystemExit("--upload needs a clean tree: commit first, so what ships is a commit")
    if tag_for(version) not in _run("git", "tag", "--points-at", "HEAD", cwd=repo).split():
        raise SystemExit(
            f"--upload ships a tagged release commit, and HEAD is not tagged {tag_for(version)}: "
            "run scripts/release and the commands it prints first"
        )
    if index.has_version(version):
        raise SystemExit(
            f"orq-images {version} is already on {index.simple_url}: an index takes a version "
            "once; release the next one"
        )


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
    # The venv gets no pip of its own (seconds saved); this pip installs into it.
    _run(python, "-m", "venv", "--without-pip", venv)
    venv_python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", venv_python, "install", "--quiet"]
    _run(*install, "--disable-pip-version-check", wheel)
    # -I: the venv's own site-packages only, whatever PYTHONPATH the caller has set.
    print(_run(venv_python, "-I", SMOKE, "--version", version, cwd=scratch).strip())


def _write_release(tree: Path, plan: Plan) -> None:
    write_version(tree / VERSION_FILE, plan.version)
    changelog = (tree / CHANGELOG).read_text(encoding="utf-8")
    if not has_release(changelog, plan.version):
        changelog = add_release(changelog, plan.version, plan.notes())
        (tree / CHANGELOG).write_text(changelog, encoding="utf-8")


def _upload(built: list[Path], index: Index, version: str) -> None:
    command = [sys.executable, "-m", "twine", "upload", "--non-interactive"]
    command += ["--repository-url", index.upload_url, *map(str, built)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    print(result.stdout + result.stderr, end="")
    if result.returncode != 0:
        raise SystemExit(f"upload of orq-images {version} to {index.upload_url} failed (above)")
    print(f"uploaded orq-images {version}; its page lists it at {index.simple_url}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="change nothing in the tree")
    mode.add_argument("--upload", action="store_true", help="upload the tagged release at HEAD")
    parser.add_argument(
        "--repository", default="pypi", help="with --upload: a ~/.pypirc name (default pypi)"
    )
    parser.add_argument("--repository-url", help="with --upload: an index's upload URL")
    parser.add_argument(
        "--tag", help="the tag being released (the release workflow's): must be at HEAD and match"
    )
    parser.add_argument("--dist", type=Path, help="where the sdist and wheel go")
    parser.add_argument("--python", default=sys.executable, help="Python for the fresh venv")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git checkout to release")
    args = parser.parse_args(argv)
    repo: Path = args.repo.resolve()
    dist: Path = args.dist or repo / ("build/release-dry-run" if args.dry_run else "dist")

    committed = _run("git", "show", f"HEAD:{VERSION_FILE.as_posix()}", cwd=repo)
    version = read_version_text(committed, f"HEAD:{VERSION_FILE}")
    check_tags_at_head(repo, version, args.tag)
    index = Index.resolve(args.repository, args.repository_url) if args.upload else None
    if index is not None:
        check_upload(repo, version, index)
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

    print("built, checked and smoke-tested:", *(f"  {path}" for path in built), sep="\n")
    if args.dry_run:
        print("dry run: nothing in the tree changed.")
    elif index is not None:
        _upload(built, index, plan.version)
    elif tag_for(plan.version) not in _run("git", "tag", "--points-at", "HEAD", cwd=repo).split():
        changed = bool(_run("git", "status", "--porcelain", "--", *written, cwd=repo))
        wrote = f"wrote {VERSION_FILE} and {CHANGELOG}; " if changed else ""
        print(
            f"{wrote}to release {plan.version}, run (pushing the tag publishes it):",
            *(f"  {command}" for command in release_commands(plan.version, commit=changed)),
            sep="\n",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
