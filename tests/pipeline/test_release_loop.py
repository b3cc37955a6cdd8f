"""The whole release loop, as CONTRIBUTING.md tells a maintainer to run it, on a
throwaway clone with a bare git remote and a real package index that needs a login
to read or upload (pypiserver on 127.0.0.1, with an htpasswd file):

first release tagged -> a non-breaking spec change -> scripts/release picks 0.2.0
-> the documented commit (of the two files it wrote, nothing else), tag and push
-> upload with the login from the environment -> the re-upload guard reads the
index with the login from ~/.pypirc and from keyring -> a breaking spec change ->
0.3.0 -> the same -> the install line CONTRIBUTING.md shows, in a fresh venv: the
private index holds only orq-images, a second index the dependencies -> a call
against LocalRouter.

Beside it, each refusal of scripts/release is one line and leaves the tree as it
was: a release off an up-to-date main, --upload of a tag whose CHANGELOG.md lacks
its section, --upload with no login or a wrong one.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from passlib.apache import HtpasswdFile
from releasing.version import VERSION_FILE

from tests.pipeline.test_release import (
    add_style,
    clone,
    commit_spec_change,
    git,
    remove_user,
    set_version,
)

ROOT = Path(__file__).resolve().parents[2]
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
DOCUMENTED_VERSION = "0.2.0"  # the version CONTRIBUTING.md's example commands name
# No user or machine pip configuration: what a venv gets comes from the local indexes
# or the dependencies' wheels named on the command line, nothing else.
ISOLATED_PIP = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
USER, PASSWORD = "maintainer", "index-password-for-tests"
# No keyring of the machine's: each run gets an empty one, or the test's own file.
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
FILE_KEYRING = "tests.support.file_keyring.FileKeyring"
RELEASE_TAG_LOOKALIKES = ["r9.9.9", "v1.2", "v1.2.3rc1", "foo-v1.2.3"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def without_pip_settings() -> dict[str, str]:
    """This environment without the machine's PIP_* settings (its wheel folders)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}


@dataclass(frozen=True)
class Served:
    url: str
    packages: Path


@contextlib.contextmanager
def serve(packages: Path, *access: str) -> Iterator[str]:
    """A pypiserver on 127.0.0.1 serving `packages`, with no fallback to PyPI; `access`
    is its -a/-P options (who must log in for what)."""
    port = free_port()
    command = [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port)]
    command += [*access, "--disable-fallback", str(packages)]
    log = packages.parent / f"pypiserver-{port}.log"  # a file: a pipe nobody reads fills up
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}health", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "pypiserver did not start within 30 s"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The maintainers' private index: listing, reading and uploading need the login."""
    folder = tmp_path_factory.mktemp("index")
    logins = HtpasswdFile(str(folder / "htpasswd"), new=True, default_scheme="sha256_crypt")
    logins.set_password(USER, PASSWORD)
    logins.save()
    packages = folder / "packages"
    packages.mkdir()
    with serve(packages, "-a", "download,update,list", "-P", str(folder / "htpasswd")) as url:
        yield Served(url, packages)


@pytest.fixture(scope="module")
def dependency_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime dependencies' wheels and theirs, at the dev venv's pins."""
    wheels = tmp_path_factory.mktemp("wheels")
    pins = ROOT / "requirements" / "dev.txt"
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
    subprocess.run(
        [*download, "--dest", str(wheels), "--constraint", str(pins), "httpx2", "attrs"],
        capture_output=True,
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return wheels


@pytest.fixture(scope="module")
def public_index(dependency_wheels: Path) -> Iterator[str]:
    """What PyPI is to a user: an index anyone reads, with the dependencies and no
    orq-images."""
    with serve(dependency_wheels, "-a", ".", "-P", ".") as url:
        yield url


@dataclass
class Maintainer:
    """A maintainer's clone of main with its remote, their home (for ~/.pypirc and
    keyring) and the private index. Their pip installs the runtime dependencies from
    local wheels alone: the smoke test of every release runs offline, and fast."""

    repo: Path
    remote: Path
    home: Path
    index: Served
    dependency_wheels: Path

    def release(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """scripts/release in the clone, with the clone's own code (the dev venv stands
        in for the .venv that scripts/release would bootstrap), and no login but what
        the test gives it."""
        offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.dependency_wheels)}
        own = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "TWINE_"))}
        return subprocess.run(
            [sys.executable, "-m", "releasing.release", *args],
            cwd=self.repo,
            env={
                **own,
                "HOME": str(self.home),
                "PYTHONPATH": os.pathsep.join([str(self.repo / "scripts"), str(ROOT)]),
                **ISOLATED_PIP,
                **offline,
                **NO_KEYRING,
                **env,
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def upload(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.release("--upload", *args, **env)

    def publish(self, version: str, *args: str, commit: bool = True) -> None:
        """scripts/release, then the documented commands, which it prints too."""
        result = self.release(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        commands = documented_commands(version, commit=commit)
        printed = [line.strip() for line in result.stdout.splitlines() if line.startswith("  git")]
        assert printed == commands
        for command in commands:
            git(self.repo, *shlex.split(command)[1:])
        tag = f"v{version}"
        # The tag arrived, annotated, on main, and the release workflow's trigger takes it.
        assert git(self.remote, "cat-file", "-t", tag).strip() == "tag"
        git(self.remote, "merge-base", "--is-ancestor", tag, "main")
        workflow = yaml.load(
            (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"),
            yaml.BaseLoader,
        )
        assert any(fnmatch.fnmatchcase(tag, glob) for glob in workflow["on"]["push"]["tags"])

    def tag_release(self, version: str) -> None:
        """Tag HEAD as the release of `version` and push it with main."""
        git(self.repo, "tag", "-a", f"v{version}", "-m", f"Release {version}")
        git(self.repo, "push", "--quiet", "--atomic", "origin", "main", f"v{version}")

    def write_pypirc(self) -> str:
        """A ~/.pypirc section for the private index, with the login; its name."""
        (self.home / ".pypirc").write_text(
            "[distutils]\nindex-servers = private\n\n"
            f"[private]\nrepository = {self.index.url}\n"
            f"username = {USER}\npassword = {PASSWORD}\n",
            encoding="utf-8",
        )
        return "private"

    def keyring(self) -> dict[str, str]:
        """The environment of a keyring that holds the login for the private index."""
        logins = self.home / "keyring.json"
        logins.write_text(json.dumps({self.index.url: {USER: PASSWORD}}), encoding="utf-8")
        return {"PYTHON_KEYRING_BACKEND": FILE_KEYRING, "FILE_KEYRING": str(logins)}


@pytest.fixture
def maintainer(index: Served, dependency_wheels: Path, tmp_path: Path) -> Maintainer:
    """A clone of HEAD, untagged, on main, which tracks a bare remote's main."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    repo = clone(ROOT, tmp_path / "repo", tags=False)
    git(repo, "checkout", "--quiet", "-B", "main")
    git(repo, "remote", "set-url", "origin", str(remote))
    git(repo, "push", "--quiet", "--set-upstream", "origin", "main")
    home = tmp_path / "home"
    home.mkdir()
    return Maintainer(repo, remote, home, index, dependency_wheels)


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refusal prints, with no traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def status(repo: Path) -> str:
    """Everything git sees in the tree, ignored files (dist/, build/) included."""
    return git(repo, "status", "--porcelain", "--ignored")


def documented_commands(version: str, *, commit: bool) -> list[str]:
    """The commit, tag and push commands CONTRIBUTING.md shows, for `version`."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    block = next(
        body for body in re.findall(r"```sh\n(.*?)```", text, re.DOTALL) if "git tag" in body
    )
    commands = [line.replace(DOCUMENTED_VERSION, version) for line in block.splitlines()]
    return [line for line in commands if commit or not line.startswith("git commit")]


def documented_install() -> list[str]:
    """The install line CONTRIBUTING.md shows for a release on TestPyPI."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    (line,) = re.findall(r"^pip install --index-url .*$", text, re.MULTILINE)
    return shlex.split(line)


def already_on(index: Served, version: str) -> str:
    return (
        f"orq-images {version} is already on {index.url}simple/orq-images/: an index takes "
        "a version once; release the next one"
    )


def shipped(packages: Path, version: str) -> dict[str, str]:
    """CHANGELOG.md and _version.py as the index holds them, in the sdist and the wheel."""
    with tarfile.open(packages / f"orq_images-{version}.tar.gz") as sdist:
        files = {}
        for path in ("CHANGELOG.md", VERSION_FILE.as_posix()):
            member = sdist.extractfile(f"orq_images-{version}/{path}")
            assert member is not None, path
            files[path] = member.read().decode()
    with zipfile.ZipFile(packages / f"orq_images-{version}-py3-none-any.whl") as wheel:
        files["wheel"] = wheel.read(f"orq_images/{VERSION_FILE.name}").decode()
    return files


def at_tag(repo: Path, tag: str) -> dict[str, str]:
    """The same files as the tag has them."""
    version_file = git(repo, "show", f"{tag}:{VERSION_FILE.as_posix()}")
    changelog = git(repo, "show", f"{tag}:CHANGELOG.md")
    return {"CHANGELOG.md": changelog, VERSION_FILE.as_posix(): version_file, "wheel": version_file}


@pytest.mark.timeout(300)
def test_release_loop_through_a_real_index(
    maintainer: Maintainer, public_index: str, tmp_path: Path
) -> None:
    repo, index = maintainer.repo, maintainer.index
    # Tags that only look like release tags neither name a version to check _version.py
    # against nor count as releases.
    for lookalike in RELEASE_TAG_LOOKALIKES:
        git(repo, "tag", lookalike)
    maintainer.publish("0.1.0", commit=False)  # the first release: 0.1.0 as it stands

    commit_spec_change(repo, add_style, "Variations take a style")
    git(repo, "push", "--quiet", "origin", "main")
    assert refused(maintainer.upload()) == (
        "--upload ships a tagged release commit, and HEAD is not tagged v0.1.0: "
        "run scripts/release and the commands it prints first"
    )
    # Work in progress beside the release stays out of the release commit.
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nA draft.\n", encoding="utf-8")
    (repo / "NOTES.md").write_text("staged, not released\n", encoding="utf-8")
    git(repo, "add", "NOTES.md")
    maintainer.publish("0.2.0")
    released_files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert released_files == ["CHANGELOG.md", VERSION_FILE.as_posix()]
    assert git(repo, "status", "--porcelain").splitlines() == ["A  NOTES.md", " M README.md"]
    git(repo, "rm", "--quiet", "--cached", "NOTES.md")
    (repo / "NOTES.md").unlink()
    git(repo, "checkout", "--", "README.md")
    # The notes written under Unreleased became 0.2.0's, the API report's lines after them.
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    release_notes = changelog.split("## 0.2.0\n\n", 1)[1].split("\n## ", 1)[0]
    assert "## Unreleased" not in changelog
    assert "- **Non-breaking:** `CreateImageVariationRequest.style`" in release_notes

    # The login from the environment, the index too; the tag ships as tagged, and
    # nothing is written into the tree.
    before = status(repo)
    login = {"TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD}
    uploaded = maintainer.upload(TWINE_REPOSITORY_URL=index.url, **login)
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert git(repo, "status", "--porcelain") == ""
    assert status(repo) == before
    assert shipped(index.packages, "0.2.0") == at_tag(repo, "v0.2.0")
    # The re-upload guard reads the index with the login from ~/.pypirc, or keyring.
    private = maintainer.write_pypirc()
    assert refused(maintainer.upload("--repository", private)) == already_on(index, "0.2.0")
    from_keyring = maintainer.upload("--repository-url", index.url, **maintainer.keyring())
    assert refused(from_keyring) == already_on(index, "0.2.0")

    commit_spec_change(repo, remove_user, "Variations lose user")
    assert refused(maintainer.release()) == (
        "main is 1 commit(s) ahead of and 0 behind origin/main: a release commit goes on main "
        "as the remote has it; pull and push until they are equal, or pass --allow-off-main"
    )
    # Overridden: the release's push takes the change along.
    maintainer.publish("0.3.0", "--allow-off-main")  # breaking, while 0.x: the minor version
    assert "## 0.3.0\n\n- **Breaking:**" in (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    uploaded = maintainer.upload("--repository", private)
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert shipped(index.packages, "0.3.0") == at_tag(repo, "v0.3.0")

    # A user, with the install line CONTRIBUTING.md shows: orq-images from the private
    # index, which has nothing else; its dependencies from the public one.
    command = documented_install()
    assert command[:2] == ["pip", "install"]
    indexes = {
        "https://test.pypi.org/simple/": index.url.replace("//", f"//{USER}:{PASSWORD}@", 1)
        + "simple/",
        "https://pypi.org/simple/": f"{public_index}simple/",
    }
    assert set(indexes) <= set(command)
    venv = tmp_path / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-cache-dir"]
    installed = subprocess.run(
        [*pip, *(indexes.get(part, part) for part in command[2:])],
        env={**without_pip_settings(), **ISOLATED_PIP},
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    call = subprocess.run(
        [str(python), "-I", "-c", FIRST_CALL],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert call.returncode == 0, call.stderr
    assert call.stdout.split() == [DOCUMENTED_VERSION, "site-packages", "1"]


def test_a_release_is_made_on_an_up_to_date_main(maintainer: Maintainer, tmp_path: Path) -> None:
    repo, remote = maintainer.repo, maintainer.remote
    before = status(repo)
    git(repo, "switch", "--quiet", "-c", "feature")
    assert refused(maintainer.release()) == (
        "HEAD is branch feature, not main: a release commit goes on main; git switch main, "
        "or pass --allow-off-main"
    )
    # A release tagged on a branch is not uploaded either.
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "Work on a branch")
    git(repo, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")
    head = git(repo, "rev-parse", "--short=10", "HEAD").strip()
    uploaded = maintainer.upload("--repository-url", maintainer.index.url)
    assert refused(uploaded) == (
        f"HEAD ({head}) is not on origin/main: upload a release tagged on main and pushed, "
        "or pass --allow-off-main"
    )
    git(repo, "switch", "--quiet", "main")
    # Someone else pushes to main: the release sees it through a fetch.
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", "--branch", "main", str(remote), str(other))
    git(other, "commit", "--quiet", "--allow-empty", "-m", "Someone else's change")
    git(other, "push", "--quiet", "origin", "main")
    assert refused(maintainer.release()) == (
        "main is 0 commit(s) ahead of and 1 behind origin/main: a release commit goes on main "
        "as the remote has it; pull and push until they are equal, or pass --allow-off-main"
    )
    git(repo, "branch", "--quiet", "--unset-upstream", "main")
    assert refused(maintainer.release()) == (
        "main tracks no remote branch, so nothing says it is up to date: "
        "git branch --set-upstream-to=origin/main main, or pass --allow-off-main"
    )
    assert status(repo) == before


def test_an_upload_ships_the_tag_as_tagged(maintainer: Maintainer) -> None:
    """A version set by hand and tagged, without its CHANGELOG.md section: refused,
    not completed with a section nobody reviewed."""
    repo = maintainer.repo
    set_version(repo, "0.1.1")
    maintainer.tag_release("0.1.1")
    before = status(repo)
    expected = (
        "CHANGELOG.md at v0.1.1 has no `## 0.1.1` section, and a tagged release ships as "
        "tagged: scripts/release writes it, before the tag"
    )
    login = {"TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD}
    assert refused(maintainer.upload("--repository-url", maintainer.index.url, **login)) == (
        expected
    )
    # The release workflow's build of that tag too.
    assert refused(maintainer.release("--dry-run", "--tag", "v0.1.1")) == expected
    assert git(repo, "status", "--porcelain") == ""
    assert status(repo) == before


def test_an_upload_needs_a_login_the_index_takes(maintainer: Maintainer) -> None:
    maintainer.tag_release("0.1.0")
    url = maintainer.index.url
    assert refused(maintainer.upload("--repository-url", url)) == (
        f"no login for {url}: set TWINE_USERNAME and TWINE_PASSWORD, a ~/.pypirc section or keyring"
    )
    wrong = maintainer.upload(
        "--repository-url", url, TWINE_USERNAME=USER, TWINE_PASSWORD="not-the-password"
    )
    assert refused(wrong) == (
        f"cannot read {url}simple/orq-images/ (HTTP 403) with the login from TWINE_USERNAME "
        "and TWINE_PASSWORD, a ~/.pypirc section or keyring"
    )
    assert "not-the-password" not in wrong.stdout + wrong.stderr


FIRST_CALL = """
import orq_images
from orq_images import Orq
from orq_images.testing import LocalRouter

with LocalRouter() as router, Orq(api_key="k", server_url=router.url) as orq:
    res = orq.router.images.generations.create(prompt="a fox", model="openai/dall-e-2")
installed = "site-packages" in orq_images.__file__
print(orq_images.__version__, installed and "site-packages", len(res.data))
"""
