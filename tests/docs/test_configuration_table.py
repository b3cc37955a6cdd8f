"""The README's configuration table names every option of the clients' constructor and
every environment variable the package reads, each once."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from orq_images import AsyncOrq, Orq

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "overlays" / "orq_images"


def _table() -> list[list[str]]:
    section = README[README.index("## Configuration") :]
    section = section[: section.index("\n## ", 5)]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


def test_every_constructor_option_is_in_the_table() -> None:
    listed = [name for row in _table() for name in re.findall(r"`(\w+)`", row[0])]
    for client in (Orq, AsyncOrq):
        options = [p for p in inspect.signature(client.__init__).parameters if p != "self"]
        assert sorted(listed) == sorted(options)


def test_every_environment_variable_read_is_in_the_table() -> None:
    read = set()
    for module in PACKAGE.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        read |= set(re.findall(r"\"(ORQ_[A-Z_]+)\"", text))
    listed = {name for row in _table() for name in re.findall(r"`(ORQ_\w+)`", row[1])}
    assert read == listed
