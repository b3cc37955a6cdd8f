"""The API change report: what changed for users between two versions of the SDK.

Each version is a Snapshot: its spec and the folders its packages load from, the
hand-written `orq_images` as well as the generated package, so the report covers
everything a user can import or call. The report joins two views of the change:

- the spec diff (spec_diff.py, on schemadiff's one comparison): operations,
  parameters, bodies, responses and their fields, each marked breaking or not by
  the rule that narrowing what users send, or widening what they read, breaks them;
- the Python API diff (surface_diff.py, griffe): breaks in the packages' public
  API, listed only where no spec change already names the same thing, so that
  what the generator alone changed (a class renamed in generator-config.yaml,
  renumbered enum members) is reported without repeating the spec's lines, and a
  spec change keeps the spec's verdict (a request enum's new value changes its
  Python type, yet breaks no caller).

The report is a Markdown list, one line per change, usable as a changelog entry.

Exit status (of `scripts/generate` and of report_since.py's command line):
    0  nothing changed, or only non-breaking changes
    3  at least one breaking change
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from codegen import layout, spec_diff, surface_diff
from codegen.api_change import Change

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "build" / "api-changes.md"
BREAKING_EXIT = 3
RUNTIME_SPEC = "openapi.json"
SPEC = "openapi.yaml"
CONFIG = "generator-config.yaml"
# The public package, and the folders of a tree it is read from: overlays/ holds it
# (its _generated part through a symlink into generated/); trees from before the one
# package layout also had a top-level orq_images_generated under generated/.
PACKAGES = (layout.PACKAGE, "orq_images_generated")
TREE_FOLDERS = ("overlays", "generated")
# The generated code is compared on its own (griffe does not follow the wildcard
# re-exports into it) and reported under the public modules that re-export it.
GENERATED = "generated code"
PUBLIC_NAMES = {
    "models": f"{layout.PACKAGE}.models",
    "params": f"{layout.PACKAGE}.types",
    "router": f"{layout.PACKAGE}.Orq.router",
}
NO_CHANGE = "No change to the public API."


@dataclass(frozen=True)
class Snapshot:
    """One version of the SDK: the spec it was generated from and its package folders."""

    spec: Mapping[str, Any]
    search_paths: tuple[Path, ...]

    @classmethod
    def with_generated(cls, generated_package: Path, scratch: Path) -> Snapshot:
        """This tree's engine with `generated_package` as its generated part, and the
        spec that part carries."""
        view = layout.assemble(scratch, generated_package)
        return cls(read_spec(generated_package / RUNTIME_SPEC), (view,))

    @classmethod
    def of_tree(cls, root: Path) -> Snapshot:
        """A project tree (a checkout, or a ref extracted by `tree_at`) as committed:
        its spec and its package, generated/ as it holds them."""
        return cls(read_spec(root / SPEC), tuple(root / folder for folder in TREE_FOLDERS))


def read_spec(path: Path) -> Mapping[str, Any]:
    """A spec: openapi.yaml, or the JSON copy a generated package carries."""
    try:
        text = path.read_text(encoding="utf-8")
        spec = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise SystemExit(f"{path}: cannot read the spec: {exc}") from exc
    if not isinstance(spec, dict):
        raise SystemExit(f"{path}: not an OpenAPI document")
    return spec


@dataclass(frozen=True)
class Report:
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> bool:
        return any(change.breaking for change in self.changes)

    @property
    def exit_code(self) -> int:
        return BREAKING_EXIT if self.breaking else 0

    def markdown(self) -> str:
        if not self.changes:
            return NO_CHANGE + "\n"
        ordered = sorted(self.changes, key=lambda change: not change.breaking)
        return "".join(change.line() + "\n" for change in ordered)


def compare(old: Snapshot, new: Snapshot) -> Report:
    """What changed from `old` to `new`."""
    try:
        specs = spec_diff.diff_specs(old.spec, new.spec, ("the earlier spec", "the spec"))
    except spec_diff.SpecError as exc:
        raise SystemExit(f"API change report: {exc}") from None
    # The spec's line, and verdict, stand for what the generated code shows of it.
    explained = {change.key for change in specs.changes}
    # A keyword of `create` is a request field: a field's spec change explains it.
    explained |= {change.key[-1:] for change in specs.changes if change.breaking}
    changes = list(specs.changes)
    before = _packages(surface_diff.load(list(PACKAGES), old.search_paths))
    after = _packages(surface_diff.load(list(PACKAGES), new.search_paths))
    surface = surface_diff.SurfaceDiff(specs.renames)
    generated_names = _public_generated_names(after.get(GENERATED))
    for package, old_package in before.items():
        new_package = after.get(package)
        if new_package is None:
            changes.append(Change(True, package, "package removed", (package,)))
            continue
        # Additions to the generated code follow from the spec's, listed above,
        # unless the spec did not change (a new generator or generator config).
        additions = package != GENERATED or not specs.changes
        for found in surface.package(old_package, new_package, additions):
            if package != GENERATED and found.subject in generated_names:
                continue  # a re-export of the generated code, compared there
            change = _publicly_named(found, old_package.path) if package == GENERATED else found
            # One line per thing: a removed class also shows as its module and its
            # re-export, a removed field as its attribute and its __init__ argument.
            if change.key not in explained:
                explained.add(change.key)
                changes.append(change)
    return Report(tuple(changes))


def _packages(loaded: Mapping[str, Any]) -> dict[str, Any]:
    """The engine package and, apart, its generated code, in either layout: the
    subpackage orq_images._generated, or the top-level orq_images_generated of
    trees from before the one-package layout. The generated code comes first, so
    that what the engine reaches of it (`Orq.router`) is compared there, once."""
    found: dict[str, Any] = {}
    engine = loaded.get(layout.PACKAGE)
    if "orq_images_generated" in loaded:
        found[GENERATED] = loaded["orq_images_generated"]
    elif engine is not None and layout.SUBPACKAGE in engine.members:
        found[GENERATED] = engine[layout.SUBPACKAGE]
    if engine is not None:
        found[layout.PACKAGE] = engine
    return found


def _public_generated_names(generated: Any) -> set[str]:
    """`orq_images.models.Retry` and the like: the generated code's public names."""
    if generated is None:
        return set()
    return {
        f"{public}.{name}"
        for module, public in PUBLIC_NAMES.items()
        if module in generated.members
        for name in generated[module].members
    }


def _publicly_named(change: Change, generated_path: str) -> Change:
    """`orq_images._generated.models.Retry` as users import it: `orq_images.models.Retry`."""
    relative = change.subject.removeprefix(generated_path + ".")
    module, _, rest = relative.partition(".")
    public = PUBLIC_NAMES.get(module)
    if public is None or relative == change.subject:
        return change
    subject = f"{public}.{rest}" if rest else public
    return Change(change.breaking, subject, change.description, change.key)


def publish(report: Report, path: Path) -> int:
    """Write the report to `path`, print it, and return the exit status it calls for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = report.markdown()
    path.write_text(text, encoding="utf-8")
    if report.changes:
        summary = "breaking" if report.breaking else "not breaking"
        print(f"API changes, {summary} (also in {path}):")
    print(text, end="")
    return report.exit_code


def tree_at(ref: str, destination: Path, cwd: Path = ROOT) -> Path:
    """Extract the spec and package folders of git `ref` into `destination`; return it."""
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, SPEC, CONFIG, *TREE_FOLDERS],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        raise SystemExit(f"git ref {ref!r}: {listed.stderr.strip()}")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, *listed.stdout.split()],
        cwd=cwd,
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination
