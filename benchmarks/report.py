"""The results: one row per (case, client), printed as a table and saved as JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

BASELINE = "raw httpx2"


@dataclass
class Row:
    case: str
    client: str
    value: float
    unit: str
    detail: str = ""
    ratio: float | None = None  # value / the same figure of the case's baseline
    target: str = ""
    passed: bool | None = None

    @property
    def figure(self) -> str:
        return (
            f"{self.value:.3g} {self.unit}" if self.value < 100 else f"{self.value:.0f} {self.unit}"
        )

    @property
    def result(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "FAIL")

    def cells(self) -> list[str]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}x"
        return [self.case, self.client, self.figure, self.detail, ratio, self.target, self.result]


HEADER = ["case", "client", "figure", "detail", "vs baseline", "target", "result"]


def ratio_target(row: Row, limit: float) -> Row:
    row.target = f"<= {limit:g}x"
    row.passed = row.ratio is not None and row.ratio <= limit
    return row


def absolute_target(row: Row, limit: float) -> Row:
    row.target = f"<= {limit:g} {row.unit}"
    row.passed = row.value <= limit
    return row


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> float | None:
    """The 1-minute load average: above the CPU count, other work competed with the run."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def machine(load_before: float | None) -> dict[str, object]:
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": _cpu_model(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average": [load_before, load_average()],  # when the run started, and ended
        "versions": {
            name: _version(name)
            for name in (
                "orq-images",
                "httpx2",
                "aiohttp",
                "pyreqwest",
                "urllib3",
                "orq-ai-sdk",
                "openai",
            )
        },
    }


def table(rows: list[Row], *, markdown: bool) -> str:
    lines = [row.cells() for row in rows]
    if markdown:
        out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        out += ["| " + " | ".join(cells) + " |" for cells in lines]
        return "\n".join(out)
    widths = [max(len(cells[i]) for cells in [HEADER, *lines]) for i in range(len(HEADER))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*cells).rstrip() for cells in [HEADER, *lines])


def _machine_line(info: dict[str, object]) -> str:
    versions = info["versions"]
    assert isinstance(versions, dict)
    shown = ", ".join(f"{name} {version}" for name, version in versions.items() if version)
    loads = info.get("load_average")
    load = ""
    if isinstance(loads, list) and None not in loads:
        load = f"; load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end"
    return (
        f"{info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, {info['platform']}; "
        f"{shown}{load}"
    )


def write(
    rows: list[Row], notes: list[str], info: dict[str, object], directory: Path, seconds: float
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    failed = [row for row in rows if row.passed is False]
    verdict = f"{len(failed)} target(s) missed" if failed else "every target met"
    document = {
        "machine": info,
        "seconds": round(seconds, 1),
        "all_targets_met": not failed,
        "rows": [asdict(row) | {"figure": row.figure, "result": row.result} for row in rows],
        "notes": notes,
    }
    (directory / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    markdown = [
        "# Benchmark results",
        "",
        f"Machine: {_machine_line(info)}.",
        f"Run time {seconds:.0f} s; {verdict}.",
        "",
        table(rows, markdown=True),
        "",
        *[f"- {note}" for note in notes],
        "",
    ]
    (directory / "latest.md").write_text("\n".join(markdown))


README_START = "<!-- benchmark summary: written by `python -m benchmarks` -->"
README_END = "<!-- end of benchmark summary -->"
_FLOORS = ("raw aiohttp", "raw pyreqwest", "raw urllib3")
_SDKS = ("openai", "orq-ai-sdk")
AIOHTTP = "aiohttp"


def _summary_lines(rows: list[Row]) -> list[list[str]]:
    """One line per orq_images row: raw httpx2, the SDK and its ratio, the other floors,
    the other SDKs (openai on aiohttp beside the SDK's aiohttp path)."""
    lines = []
    for row in rows:
        if not row.client.startswith("orq_images"):
            continue
        case_rows = {other.client: other for other in rows if other.case == row.case}
        variant = row.client.removeprefix("orq_images").removeprefix(", ")
        floor = case_rows.get(f"{BASELINE}, {variant}") if variant else case_rows.get(BASELINE)
        ratio = "" if row.ratio is None else f" ({row.ratio:.2f}x)"
        if variant == AIOHTTP:
            floor = case_rows.get(BASELINE)
            ratio = "" if row.ratio is None else f" ({row.ratio:.2f}x raw aiohttp)"
        elif floor is not None and variant:  # HTTP/1.1 or HTTP/2: raw httpx2 in the same
            ratio = f" ({row.value / floor.value:.2f}x)"
        elif floor is None:
            floor = next((o for o in case_rows.values() if o.ratio == 1.0), None)
        sdks = [f"{name}, {AIOHTTP}" if variant == AIOHTTP else name for name in _SDKS]
        others = [case_rows[name].figure if name in case_rows else "" for name in _FLOORS]
        others += [case_rows[name].figure if name in case_rows else "" for name in sdks]
        lines.append(
            [
                row.case + (f" ({variant})" if variant else ""),
                "" if floor is None else f"{floor.figure} ({floor.client})",
                row.figure + ratio,
                *others,
            ]
        )
    return lines


def readme_summary(rows: list[Row], info: dict[str, object]) -> str:
    """The README's performance table: every orq_images row beside the floors and other
    SDKs, with the machine it ran on.

    Targets and verdicts are for maintainers: they stay in results/latest.md.
    """
    header = ["case", "raw httpx2 (or floor)", "orq_images", *_FLOORS, *_SDKS]
    lines = [
        README_START,
        f"Run on {_machine_line(info)}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *["| " + " | ".join(cells) + " |" for cells in _summary_lines(rows)],
        README_END,
    ]
    return "\n".join(lines)


def update_readme(readme: Path, rows: list[Row], info: dict[str, object]) -> bool:
    """Replace the summary between the README's markers; False if it has none."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    summary = readme_summary(rows, info)
    readme.write_text(text[:start] + summary + text[end + len(README_END) :], encoding="utf-8")
    return True


def show(rows: list[Row], notes: list[str], info: dict[str, object]) -> None:
    print(f"\nMachine: {_machine_line(info)}\n")
    print(table(rows, markdown=False))
    for note in notes:
        print(f"- {note}")
