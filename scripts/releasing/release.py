"""Prepare a release of orq-images from the last commit (CONTRIBUTING.md, "Releasing").

    scripts/release --dry-run   build, check and smoke-test the release; change nothing
    scripts/release             ... then write the new version and CHANGELOG.md, and
                                print the commands that commit them, tag and push
    scripts/release --upload    at the tagged release commit: build it as tagged, check
                                and smoke-test it, and upload it with twine
                                (--repository testpypi to try it first)

Which version: releases are the git tags vX.Y.Z (nothing else: not r1.2.3, v1.2 or
v1.2.3rc1). If the version in _version.py is tagged, it is out, and the next one
follows from the API change report against that tag (version.py: breaking -> major,
or minor while 0.x; other changes -> minor; none -> patch). If it is not tagged yet
(the first release, or a version set by hand), it is built as it stands, once
checked to be at least what the report since the latest earlier tag calls for. If
HEAD is its release tag (the release workflow, or --upload), it is built exactly as
tagged: nothing is added to it, and its CHANGELOG.md must have the version's section.

Refused, each with one line, before anything is built: a release tag at HEAD (or
--tag) that names another version than _version.py; a tagged release whose
CHANGELOG.md lacks its section; a release written anywhere but on an up-to-date
main (HEAD is main, and main is its upstream after a fetch); --upload from a dirty
tree, from a commit that is not the tagged release of its version or not on main's
upstream, with no login, or of a version the index already lists. --allow-off-main
skips the checks on main.

Steps, all in a copy of HEAD, since what ships must be a commit:
1. the drift check, with HEAD's own generator code;
2. the API change report and the version, as above;
3. unless HEAD is the tagged release: the version, and a CHANGELOG.md section
   holding the report (unless present);
4. sdist and wheel, `twine check --strict` (with --upload, in a temporary folder
   unless --dist names one);
5. the wheel installed into a fresh virtual environment, smoke.py run there.
Then, without --dry-run or --upload, the files of step 3 that changed are copied into
the tree, and the printed commit takes those files and nothing else.
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
from releasing import mainline
from releasing.changelog import add_release, has_release
from releasing.index import CREDENTIALS, Index
from releasing.process import git, run
from releasing.version import (
    VERSION_FILE,
    Version,
    bump,
    level_for,
    parse,
    read_version,
    read_version_text,
    tag_for,
    tagged,
    write_version,
)

ROOT = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).resolve().with_name("smoke.py")
CHANGELOG = Path("CHANGELOG.md")
WRITTEN = (VERSION_FILE, CHANGELOG)
"""The files a release writes, and its commit takes."""
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
    """Released versions (release tags that HEAD contains) -> their tags."""
    tags = git(repo, "tag", "--list", "v*", "--merged", "HEAD").split()
    return {version: tag for tag in tags if (version := tagged(tag)) is not None}


def tags_at_head(repo: Path) -> list[str]:
    return git(repo, "tag", "--points-at", "HEAD").split()


def release_commands(version: str, changed: Sequence[Path]) -> list[str]:
    """What makes `version` a release: commit the files scripts/release changed and
    nothing else (other work in the tree stays out of the release commit), tag the commit
    with an annotated tag, and push both by name (--follow-tags would skip a lightweight
    tag, and a tag that never arrives publishes nothing)."""
    tag = tag_for(version)
    paths = " ".join(path.as_posix() for path in changed)
    commands = [f'git commit -m "Release {version}" -- {paths}'] if changed else []
    return [
        *commands,
        f'git tag -a {tag} -m "Release {version}"',
        f"git push --atomic origin {mainline.BRANCH} {tag}",
    ]


def check_tags_at_head(repo: Path, version: str, expected: str | None) -> None:
    """Refuse a release tag at HEAD (or `expected`, the tag being released) that names
    another version than _version.py: what is tagged is what gets built."""
    at_head = tags_at_head(repo)
    if expected is not None and expected not in at_head:
        raise SystemExit(f"tag {expected} is not at HEAD: release it from the commit it tags")
    for tag in [expected] if expected is not None else at_head:
        if (expected is not None or tagged(tag) is not None) and tag != tag_for(version):
            raise SystemExit(
                f"tag {tag} does not match {VERSION_FILE}, which says {version}: "
                f"tag the release commit {tag_for(version)}, or fix {VERSION_FILE}"
            )


def check_release_notes(repo: Path, version: str) -> None:
    """A tagged release ships as tagged, so its CHANGELOG.md must already tell it."""
    changelog = git(repo, "show", f"HEAD:{CHANGELOG.as_posix()}")
    if not has_release(changelog, version):
        raise SystemExit(
            f"{CHANGELOG} at {tag_for(version)} has no `## {version}` section, and a tagged "
            "release ships as tagged: scripts/release writes it, before the tag"
        )


def check_upload(repo: Path, version: str, *, off_main: bool) -> None:
    """--upload ships the tagged release commit of its version, on main's upstream."""
    if git(repo, "status", "--porcelain", "--untracked-files=no"):
        raise SystemExit("--upload needs a clean tree: commit first, so what ships is a commit")
    if tag_for(version) not in tags_at_head(repo):
        raise SystemExit(
            f"--upload ships a tagged release commit, and HEAD is not tagged {tag_for(version)}: "
            "run scripts/release and the commands it prints first"
        )
    if not off_main:
        mainline.check_upload_commit(repo)


def upload_index(repository: str, repository_url: str | None, version: str) -> Index:
    """The index --upload goes to, which has a login and not `version` yet."""
    index = Index.resolve(repository, repository_url)
    if index.login is None:
        raise SystemExit(f"no login for {index.upload_url}: set {CREDENTIALS}")
    if index.has_version(version):
        raise SystemExit(
            f"orq-images {version} is already on {index.simple_url}: an index takes a version "
            "once; release the next one"
        )
    return index


def plan_release(repo: Path, tree: Path, scratch: Path) -> Plan:
    """Which version `tree` (HEAD's files) is released as, and the API changes in it."""
    current = read_version(tree / VERSION_FILE)
    current_parsed = parse(current)
    assert current_parsed is not None  # read_version only matches X.Y.Z
    tags = released(repo)
    at_head = tags_at_head(repo)
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
    print(run(sys.executable, "-m", "codegen.generate", "--check", cwd=tree, env=env).strip())


def _build(tree: Path, dist: Path) -> list[Path]:
    dist.mkdir(parents=True, exist_ok=True)
    for stale in dist.glob(f"{DISTRIBUTION}-*"):
        stale.unlink()
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, tree)
    built = sorted(dist.glob(f"{DISTRIBUTION}-*"))
    run(sys.executable, "-m", "twine", "check", "--strict", *built)
    return built


def _smoke_test(wheel: Path, version: str, python: str, scratch: Path) -> None:
    venv = scratch / "venv"
    # The venv gets no pip of its own (seconds saved); this pip installs into it.
    run(python, "-m", "venv", "--without-pip", venv)
    venv_python = venv / "bin" / "python"
    install: list[str | Path] = [sys.executable, "-m", "pip", "--python", venv_python]
    install += ["install", "--quiet"]
    run(*install, "--disable-pip-version-check", wheel)
    # -I: the venv's own site-packages only, whatever PYTHONPATH the caller has set.
    print(run(venv_python, "-I", SMOKE, "--version", version, cwd=scratch).strip())


def _write_release(tree: Path, plan: Plan) -> None:
    write_version(tree / VERSION_FILE, plan.version)
    changelog = (tree / CHANGELOG).read_text(encoding="utf-8")
    if not has_release(changelog, plan.version):
        changelog = add_release(changelog, plan.version, plan.notes())
        (tree / CHANGELOG).write_text(changelog, encoding="utf-8")


def _upload(built: list[Path], index: Index, repository: list[str], version: str) -> None:
    """twine upload to the index the guard read, with the login the guard used."""
    assert index.login is not None  # check_upload refused the upload otherwise
    login = {"TWINE_USERNAME": index.login.username, "TWINE_PASSWORD": index.login.password}
    command = [sys.executable, "-m", "twine", "upload", "--non-interactive", *repository]
    result = subprocess.run(
        [*command, *map(str, built)],
        env={**os.environ, **login},
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout + result.stderr, end="")
    if result.returncode != 0:
        raise SystemExit(f"upload of orq-images {version} to {index.upload_url} failed (above)")
    print(f"uploaded orq-images {version}; its page lists it at {index.simple_url}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="change nothing in the tree")
    mode.add_argument("--upload", action="store_true", help="upload the tagged release at HEAD")
    parser.add_argument(
        "--repository",
        default=os.environ.get("TWINE_REPOSITORY", "pypi"),
        help="with --upload: a ~/.pypirc name (default $TWINE_REPOSITORY, else pypi)",
    )
    parser.add_argument(
        "--repository-url",
        default=os.environ.get("TWINE_REPOSITORY_URL"),
        help="with --upload: an index's upload URL, over --repository "
        "(default $TWINE_REPOSITORY_URL)",
    )
    parser.add_argument(
        "--tag", help="the tag being released (the release workflow's): must be at HEAD and match"
    )
    parser.add_argument(
        mainline.OVERRIDE,
        action="store_true",
        help="release from elsewhere than an up-to-date main (skips those checks)",
    )
    parser.add_argument(
        "--dist",
        type=Path,
        help="where the sdist and wheel go (default dist/, build/release-dry-run/ with "
        "--dry-run, a temporary folder with --upload)",
    )
    parser.add_argument("--python", default=sys.executable, help="Python for the fresh venv")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git checkout to release")
    return parser


def _upload_target(args: argparse.Namespace, repo: Path, version: str) -> tuple[Index, list[str]]:
    """The index --upload goes to, and twine's options naming it as they were given."""
    check_upload(repo, version, off_main=args.allow_off_main)
    index = upload_index(args.repository, args.repository_url, version)
    if args.repository_url:
        return index, ["--repository-url", args.repository_url]
    return index, ["--repository", args.repository]


def _check_release(args: argparse.Namespace, repo: Path) -> None:
    """A release writes _version.py and CHANGELOG.md, to be committed on main."""
    if git(repo, "status", "--porcelain", "--", *map(str, WRITTEN)):
        raise SystemExit(
            f"uncommitted edits to {VERSION_FILE} or {CHANGELOG}: commit or drop them first"
        )
    if not args.allow_off_main:
        mainline.check_release_commit(repo)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    repo: Path = args.repo.resolve()

    committed = git(repo, "show", f"HEAD:{VERSION_FILE.as_posix()}")
    version = read_version_text(committed, f"HEAD:{VERSION_FILE}")
    check_tags_at_head(repo, version, args.tag)
    at_release_tag = tag_for(version) in tags_at_head(repo)
    if at_release_tag:
        check_release_notes(repo, version)
    upload = _upload_target(args, repo, version) if args.upload else None
    if not args.upload and not args.dry_run:
        _check_release(args, repo)
    if args.allow_off_main and not args.dry_run:
        print(f"{mainline.OVERRIDE}: not checking that HEAD is on an up-to-date main")
    head = git(repo, "rev-parse", "--short=10", "HEAD").strip()
    print(f"releasing HEAD ({head}); uncommitted changes are not part of a release")

    with tempfile.TemporaryDirectory(prefix="orq-release-") as scratch_dir:
        scratch = Path(scratch_dir)
        # --upload writes nothing into the tree: what it builds lives as long as the upload.
        dist: Path = args.dist or (
            scratch / "dist"
            if args.upload
            else repo / ("build/release-dry-run" if args.dry_run else "dist")
        )
        tree = export_head(repo, scratch / "tree")
        _check_drift(tree)
        plan = plan_release(repo, tree, scratch)
        since = f"API changes since {plan.since}" if plan.since else "no earlier release"
        print(f"version {plan.current} -> {plan.version} ({since}):\n{plan.notes().rstrip()}")
        if not at_release_tag:
            _write_release(tree, plan)
        built = _build(tree, dist)
        wheel = next(path for path in built if path.suffix == ".whl")
        _smoke_test(wheel, plan.version, args.python, scratch)
        print("built, checked and smoke-tested:", *(f"  {path}" for path in built), sep="\n")
        if upload is not None:
            _upload(built, *upload, plan.version)
            return 0
        if args.dry_run:
            print("dry run: nothing in the tree changed.")
            return 0
        changed = [
            path for path in WRITTEN if (tree / path).read_bytes() != (repo / path).read_bytes()
        ]
        for path in changed:
            shutil.copyfile(tree / path, repo / path)

    if not at_release_tag:
        wrote = f"wrote {' and '.join(map(str, changed))}; " if changed else ""
        print(
            f"{wrote}to release {plan.version}, run (pushing the tag publishes it):",
            *(f"  {command}" for command in release_commands(plan.version, changed)),
            sep="\n",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
