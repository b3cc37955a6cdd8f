"""scripts/release, on clones of this repository (never the tree itself): which
version it picks from the tags and the API change report, what it refuses before
building, and a dry run down to the smoke test of the wheel in a fresh venv. The
whole loop, uploads included, is test_release_loop.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import twine.auth
import yaml
from releasing import release
from releasing.changelog import add_release, has_release
from releasing.index import Index, Login
from releasing.version import (
    VERSION_FILE,
    bump,
    level_for,
    read_version,
    tagged,
    write_version,
)

ROOT = Path(__file__).resolve().parents[2]
Spec = dict[str, Any]


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=Release Test", "-c", "user.email=release@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def clone(source: Path, destination: Path, *, tags: bool = True) -> Path:
    """A clone of `source`; without its tags when the tests set up releases of their own."""
    no_tags = [] if tags else ["--no-tags"]
    git(source.parent, "clone", "--quiet", *no_tags, str(source), str(destination))
    return destination


def commit_spec_change(repo: Path, edit: Callable[[Spec], None], message: str) -> None:
    """Edit the clone's openapi.yaml, regenerate with the clone's own generator, commit."""
    spec_path = repo / "openapi.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    edit(spec)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    generated = subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--report", str(repo / "build" / "r.md")],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo / "scripts")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode in (0, 3), generated.stdout + generated.stderr
    git(repo, "add", "-A", "openapi.yaml", "generated")
    git(repo, "commit", "--quiet", "-m", message)


def set_version(repo: Path, version: str) -> None:
    write_version(repo / VERSION_FILE, version)
    git(repo, "commit", "--quiet", "-am", f"Version {version}")


def variation_props(spec: Spec) -> Spec:
    props: Spec = spec["components"]["schemas"]["CreateImageVariationRequest"]["properties"]
    return props


def add_style(spec: Spec) -> None:
    variation_props(spec)["style"] = {"type": "string", "description": "The drawing style."}


def remove_user(spec: Spec) -> None:
    variation_props(spec).pop("user")


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HEAD of this repository, untagged."""
    return clone(ROOT, tmp_path_factory.mktemp("origin") / "repo", tags=False)


@pytest.fixture(scope="module")
def after_release(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """0.1.0 tagged, then an optional field added to variations."""
    repo = clone(origin, tmp_path_factory.mktemp("after") / "repo")
    git(repo, "tag", "v0.1.0")
    commit_spec_change(repo, add_style, "Variations take a style")
    return repo


def plan(repo: Path, tmp_path: Path) -> release.Plan:
    tree = release.export_head(repo, tmp_path / "tree")
    return release.plan_release(repo, tree, tmp_path)


@pytest.mark.parametrize(
    ("version", "breaking", "changed", "expected"),
    [
        ("0.1.0", True, True, "0.2.0"),  # 0.x: a break bumps the minor version
        ("1.4.2", True, True, "2.0.0"),
        ("1.4.2", False, True, "1.5.0"),
        ("1.4.2", False, False, "1.4.3"),
        ("0.1.0", False, False, "0.1.1"),
    ],
)
def test_semver_step(version: str, breaking: bool, changed: bool, expected: str) -> None:
    assert bump(version, level_for(breaking, changed)) == expected


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("v1.2.3", (1, 2, 3)),
        ("v0.10.0", (0, 10, 0)),
        ("r9.9.9", None),
        ("v1.2", None),
        ("v1.2.3rc1", None),
        ("foo-v1.2.3", None),
        ("v01.2.3", None),
        ("1.2.3", None),
    ],
)
def test_release_tags_are_v_major_minor_patch_only(
    tag: str, version: tuple[int, int, int] | None
) -> None:
    assert tagged(tag) == version


def test_the_release_commit_takes_the_files_the_release_changed() -> None:
    assert release.release_commands("0.2.0", [Path("CHANGELOG.md")]) == [
        'git commit -m "Release 0.2.0" -- CHANGELOG.md',
        'git tag -a v0.2.0 -m "Release 0.2.0"',
        "git push --atomic origin main v0.2.0",
    ]
    assert release.release_commands("0.1.0", [])[0].startswith("git tag")


@pytest.fixture
def pypirc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ~/.pypirc with a `private` section, and no keyring installed: twine then
    reads credentials without it, and so does scripts/release."""
    (tmp_path / ".pypirc").write_text(
        "[distutils]\nindex-servers = private\n\n[private]\n"
        "repository = http://127.0.0.1:9/\nusername = maintainer\npassword = from-pypirc\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(twine.auth, "keyring", None)
    return "private"


def test_the_login_comes_from_pypirc_without_keyring(pypirc: str) -> None:
    index = Index.resolve(pypirc, None, environ={})
    assert (index.upload_url, index.login) == (
        "http://127.0.0.1:9/",
        Login("maintainer", "from-pypirc"),
    )
    assert "from-pypirc" not in repr(index)


def test_the_environment_wins_over_pypirc(pypirc: str) -> None:
    index = Index.resolve(pypirc, None, environ={"TWINE_PASSWORD": "from-env"})
    assert index.login == Login("maintainer", "from-env")


def test_the_login_in_a_repository_url(pypirc: str) -> None:
    index = Index.resolve(pypirc, "http://user:secret@127.0.0.1:9/", environ={})
    assert (index.upload_url, index.login) == ("http://127.0.0.1:9/", Login("user", "secret"))
    assert Index.resolve(pypirc, "http://127.0.0.1:9/", environ={}).login is None


def test_a_bad_index_name_or_url_is_one_line_without_the_password(pypirc: str) -> None:
    with pytest.raises(
        SystemExit, match=r"^--repository testing: Missing 'testing' section [^\n]*$"
    ):
        Index.resolve("testing", None, environ={})
    with pytest.raises(
        SystemExit, match=r"^--repository-url ftp://\*+@host/: Invalid repository URL"
    ) as refused:
        Index.resolve(pypirc, "ftp://user:secret@host/", environ={})
    assert "secret" not in str(refused.value)


def test_the_unreleased_notes_become_the_releases_section() -> None:
    text = "# Changelog\n\n## Unreleased\n\n- written by hand\n\n## 0.1.0\n\n- first\n"
    updated = add_release(text, "0.2.0", "- from the API report\n")
    assert updated == (
        "# Changelog\n\n## 0.2.0\n\n- written by hand\n\n- from the API report\n\n"
        "## 0.1.0\n\n- first\n"
    )


def test_changelog_section_goes_on_top() -> None:
    text = "# Changelog\n\n## 0.1.0\n\nFirst release.\n"
    updated = add_release(text, "0.2.0", "- one change\n")
    assert updated == "# Changelog\n\n## 0.2.0\n\n- one change\n\n## 0.1.0\n\nFirst release.\n"
    assert has_release(updated, "0.2.0")
    assert not has_release(updated, "0.2")


def test_untagged_version_is_a_first_release(origin: Path, tmp_path: Path) -> None:
    current = read_version(ROOT / VERSION_FILE)
    planned = plan(origin, tmp_path)
    assert (planned.version, planned.since, planned.notes()) == (current, None, "First release.")


def test_tag_at_head_is_built_as_it_stands(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "repo")
    git(repo, "tag", "v0.1.0")
    assert plan(repo, tmp_path).version == "0.1.0"


def test_additions_since_the_tag_bump_the_minor_version(
    after_release: Path, tmp_path: Path
) -> None:
    planned = plan(after_release, tmp_path)
    assert (planned.current, planned.version, planned.since) == ("0.1.0", "0.2.0", "v0.1.0")
    assert planned.notes() == (
        "- **Non-breaking:** `CreateImageVariationRequest.style`: optional field added "
        "(createImageVariation request)\n"
    )


def test_release_tag_at_head_is_built_as_tagged(after_release: Path, tmp_path: Path) -> None:
    """What the release workflow does: HEAD is the tagged release commit."""
    repo = clone(after_release, tmp_path / "repo")
    set_version(repo, "0.2.0")
    git(repo, "tag", "v0.2.0")
    planned = plan(repo, tmp_path)
    assert (planned.current, planned.version, planned.since) == ("0.2.0", "0.2.0", "v0.1.0")


def test_breaking_change_after_1_0_bumps_the_major_version(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "repo")
    set_version(repo, "1.0.0")
    git(repo, "tag", "v1.0.0")
    commit_spec_change(repo, remove_user, "Variations lose user")
    planned = plan(repo, tmp_path)
    assert (planned.version, planned.since) == ("2.0.0", "v1.0.0")
    assert planned.report is not None
    assert planned.report.breaking


def test_hand_set_version_too_low_for_a_break_is_refused(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "repo")
    git(repo, "tag", "v0.1.0")
    commit_spec_change(repo, remove_user, "Variations lose user")
    set_version(repo, "0.1.1")
    with pytest.raises(
        SystemExit, match=r"0\.1\.1 .* too low: .* since v0\.1\.0 call for at least 0\.2\.0"
    ):
        plan(repo, tmp_path)


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--ignored")


def test_dry_run_builds_and_smoke_tests_without_touching_the_tree(
    after_release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = clone(after_release, tmp_path / "repo")
    before = status(repo)
    dist = tmp_path / "dist"
    assert release.main(["--dry-run", "--repo", str(repo), "--dist", str(dist)]) == 0
    printed = capsys.readouterr().out
    assert sorted(path.name for path in dist.iterdir()) == [
        "orq_images-0.2.0-py3-none-any.whl",
        "orq_images-0.2.0.tar.gz",
    ]
    assert "smoke test passed: orq-images 0.2.0" in printed
    assert "version 0.1.0 -> 0.2.0 (API changes since v0.1.0)" in printed
    assert status(repo) == before
    assert read_version(repo / VERSION_FILE) == "0.1.0"


def test_upload_refuses_a_dirty_tree_before_anything_else(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "repo")
    (repo / "README.md").write_text("edited\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="clean tree"):
        release.main(["--upload", "--repo", str(repo), "--dist", str(tmp_path / "dist")])
    assert not (tmp_path / "dist").exists()


def test_a_release_tag_naming_another_version_is_refused(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "repo")
    git(repo, "tag", "-a", "v0.1.1", "-m", "Release 0.1.1")
    with pytest.raises(
        SystemExit,
        match=r"^tag v0\.1\.1 does not match overlays/.*/_version\.py, which says 0\.1\.0: ",
    ):
        release.main(["--dry-run", "--repo", str(repo), "--dist", str(tmp_path / "dist")])
    assert not (tmp_path / "dist").exists()


def test_the_tag_being_released_must_be_at_head(origin: Path, tmp_path: Path) -> None:
    """The release workflow passes the tag it was started for."""
    repo = clone(origin, tmp_path / "repo")
    with pytest.raises(SystemExit, match=r"^tag v0\.1\.0 is not at HEAD"):
        release.main(["--dry-run", "--tag", "v0.1.0", "--repo", str(repo)])
    git(repo, "tag", "-a", "v0.2.0", "-m", "Release 0.2.0")
    with pytest.raises(SystemExit, match=r"^tag v0\.2\.0 does not match"):
        release.main(["--dry-run", "--tag", "v0.2.0", "--repo", str(repo)])


def test_dry_run_and_upload_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        release.main(["--dry-run", "--upload"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_release_keeps_uncommitted_changelog_edits(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "repo")
    (repo / "CHANGELOG.md").write_text("# Changelog\n\nNotes in progress.\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"uncommitted edits to .*CHANGELOG\.md"):
        release.main(["--repo", str(repo), "--dist", str(tmp_path / "dist")])
    assert "Notes in progress." in (repo / "CHANGELOG.md").read_text(encoding="utf-8")
