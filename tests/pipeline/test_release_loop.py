"""The whole release loop, as CONTRIBUTING.md tells a maintainer to run it, on a
throwaway clone with a bare git remote and a real package index (pypiserver on
127.0.0.1):

first release tagged -> a non-breaking spec change -> scripts/release picks 0.2.0
-> the documented commit, tag and push -> upload -> a breaking spec change -> 0.3.0
-> the same -> `pip install orq-images==0.2.0` in a fresh venv from that index alone
(plus the dependencies' wheels) -> a call against LocalRouter.

Along the way, each refusal of scripts/release is one line: --upload from a commit
that is not a tagged release, and --upload of a version the index already has.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.pipeline.test_release import add_style, clone, commit_spec_change, git, remove_user

ROOT = Path(__file__).resolve().parents[2]
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
DOCUMENTED_VERSION = "0.2.0"  # the version CONTRIBUTING.md's example commands name
# No user or machine pip configuration: what a venv gets comes from the local index
# and the dependencies' wheels named on the command line, nothing else.
ISOLATED_PIP = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A pypiserver on 127.0.0.1 taking uploads without a password; no fallback to PyPI."""
    packages = tmp_path_factory.mktemp("index")
    port = free_port()
    command = [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port)]
    command += ["-a", ".", "-P", ".", "--disable-fallback", str(packages)]
    log = packages.parent / "pypiserver.log"  # a file: a pipe nobody reads fills up
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}simple/", timeout=2):
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
def dependency_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime dependencies' wheels, at the dev venv's pins: the dependencies' index."""
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


@dataclass
class Maintainer:
    """A maintainer's clone with its remote and the index it uploads to. Their pip
    installs the runtime dependencies from local wheels alone: the smoke test of every
    release runs offline, and fast."""

    repo: Path
    remote: Path
    index: str
    dependency_wheels: Path

    def release(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """scripts/release in the clone, with the clone's own code (the dev venv stands
        in for the .venv that scripts/release would bootstrap)."""
        offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.dependency_wheels)}
        return subprocess.run(
            [sys.executable, "-m", "releasing.release", *args],
            cwd=self.repo,
            env={
                **os.environ,
                "PYTHONPATH": str(self.repo / "scripts"),
                **ISOLATED_PIP,
                **offline,
                **env,
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def publish(self, version: str, *, commit: bool = True) -> None:
        """scripts/release, then the documented commands, which it prints too."""
        result = self.release()
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

    def upload(self) -> subprocess.CompletedProcess[str]:
        # The index takes any credentials (-a . -P .); twine still asks for some.
        upload = ["--upload", "--repository-url", self.index]
        return self.release(*upload, TWINE_USERNAME="ci", TWINE_PASSWORD="ci")


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refusal prints, with no traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def documented_commands(version: str, *, commit: bool) -> list[str]:
    """The commit, tag and push commands CONTRIBUTING.md shows, for `version`."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    block = next(
        body for body in re.findall(r"```sh\n(.*?)```", text, re.DOTALL) if "git tag" in body
    )
    commands = [line.replace(DOCUMENTED_VERSION, version) for line in block.splitlines()]
    return [line for line in commands if commit or not line.startswith("git commit")]


@pytest.mark.timeout(300)
def test_release_loop_through_a_real_index(
    index: str, dependency_wheels: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    repo = clone(ROOT, tmp_path / "repo", tags=False)
    git(repo, "checkout", "--quiet", "-B", "main")
    git(repo, "remote", "set-url", "origin", str(remote))
    git(repo, "push", "--quiet", "--set-upstream", "origin", "main")
    maintainer = Maintainer(repo, remote, index, dependency_wheels)

    maintainer.publish("0.1.0", commit=False)  # the first release: 0.1.0 as it stands

    commit_spec_change(repo, add_style, "Variations take a style")
    assert refused(maintainer.upload()) == (
        "--upload ships a tagged release commit, and HEAD is not tagged v0.1.0: "
        "run scripts/release and the commands it prints first"
    )
    maintainer.publish("0.2.0")
    assert "## 0.2.0\n\n- **Non-breaking:** `CreateImageVariationRequest.style`" in (
        repo / "CHANGELOG.md"
    ).read_text(encoding="utf-8")
    uploaded = maintainer.upload()
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert refused(maintainer.upload()) == (
        f"orq-images 0.2.0 is already on {index}simple/orq-images/: an index takes a version "
        "once; release the next one"
    )

    commit_spec_change(repo, remove_user, "Variations lose user")
    maintainer.publish("0.3.0")  # breaking, while 0.x: the minor version
    assert "## 0.3.0\n\n- **Breaking:**" in (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    uploaded = maintainer.upload()
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr

    # A user: a fresh venv, the exact version from that index, the dependencies' wheels.
    venv = tmp_path / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    install += ["--no-cache-dir", "--index-url", f"{index}simple/"]
    subprocess.run(
        [*install, "--find-links", str(dependency_wheels), "orq-images==0.2.0"],
        env={**os.environ, **ISOLATED_PIP},
        capture_output=True,
        check=True,
    )
    call = subprocess.run(
        [str(python), "-I", "-c", FIRST_CALL],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert call.returncode == 0, call.stderr
    assert call.stdout.split() == ["0.2.0", "site-packages", "1"]


FIRST_CALL = """
import orq_images
from orq_images import Orq
from orq_images.testing import LocalRouter

with LocalRouter() as router, Orq(api_key="k", server_url=router.url) as orq:
    res = orq.router.images.generations.create(prompt="a fox", model="openai/dall-e-2")
installed = "site-packages" in orq_images.__file__
print(orq_images.__version__, installed and "site-packages", len(res.data))
"""
