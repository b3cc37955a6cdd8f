"""scripts/demo in a fresh copy of the repository: it installs the package, not
editable, with its runtime dependencies and nothing else into .demo-venv, needs no
npm and no development tools, and runs `orq-images demo`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The runtime dependencies (pyproject.toml) and everything they require.
RUNTIME = {"orq-images", "httpx2", "httpcore2", "anyio", "h11", "idna", "truststore"}
RUNTIME |= {"attrs", "typing-extensions", "sniffio", "certifi", "exceptiongroup"}


def fresh_copy(target: Path) -> Path:
    """The files a clone holds: every file git tracks, as it is in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).symlink_to(os.readlink(source))
        elif source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def installed(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python*/site-packages")
    names = {p.name.split("-")[0] for p in site.glob("*.dist-info")}
    return {name.lower().replace("_", "-") for name in names}


def test_the_demo_installs_only_the_package_and_its_runtime_dependencies(tmp_path: Path) -> None:
    repo = fresh_copy(tmp_path / "clone")
    # No npm on the PATH: the demo must not need it.
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHON": sys.executable,
        "HOME": os.environ.get("HOME", str(tmp_path)),
    }
    result = subprocess.run(
        ["scripts/demo"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lighthouse-variation-2.png  256x256 PNG" in result.stdout
    assert installed(repo / ".demo-venv") <= RUNTIME | {"pip"}
    assert "orq-images" in installed(repo / ".demo-venv")
    assert not (repo / ".venv").exists()
    assert not (repo / "node_modules").exists()
    # Not editable: the package runs from the environment, not from the copy's sources.
    where = subprocess.run(
        [
            str(repo / ".demo-venv/bin/python"),
            "-c",
            "import orq_images; print(orq_images.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in where
