"""The GitHub Actions workflows run on the forge, not here, so their shape is checked
here: valid YAML, the keys Actions requires, every action pinned to a version,
tests on every supported Python, and publishing through trusted publishing."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
# A full commit hash, with the release it is in a comment: tags, branches and bare
# majors can be moved to other code.
PINNED = re.compile(
    r"^\s*(- )?uses: (?P<action>[\w.-]+/[\w./-]+)@(?P<pin>[0-9a-f]{40} # v\d+\.\d+\.\d+)$"
)
SUPPORTED = ["3.11", "3.12", "3.13", "3.14"]
WORKFLOW_FILES = ["api-changes.yml", "ci.yml", "release.yml", "upstream.yml"]
Workflow = dict[str, Any]


def load(name: str) -> Workflow:
    # YAML 1.1 reads a bare `on:` key as True; the forge reads it as "on".
    loaded: Workflow = yaml.load((WORKFLOWS / name).read_text(encoding="utf-8"), yaml.BaseLoader)
    return loaded


def steps(workflow: Workflow) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_structure(name: str) -> None:
    workflow = load(name)
    assert {"name", "on", "jobs"} <= workflow.keys()
    assert workflow["jobs"]
    for job_id, job in workflow["jobs"].items():
        assert re.fullmatch(r"[A-Za-z_][\w-]*", job_id)
        assert job["runs-on"].startswith("ubuntu-")
        assert job["steps"], job_id
        needs = job.get("needs", [])
        assert set([needs] if isinstance(needs, str) else needs) <= workflow["jobs"].keys()
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_action_is_pinned_to_a_commit(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    used = [line for line in lines if re.match(r"^\s*(- )?uses:", line)]
    assert len(used) == sum("uses" in step for step in steps(load(name)))
    assert [line for line in used if not PINNED.match(line)] == []


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_jobs_that_install_the_tools_cache_pip_and_npm(name: str) -> None:
    for job_id, job in load(name)["jobs"].items():
        commands = " ".join(step.get("run", "") for step in job["steps"])
        if not re.search(r"\.ci/run|scripts/(bootstrap|test|generate|release)", commands):
            continue
        uses = {step.get("uses", "").split("@")[0]: step for step in job["steps"]}
        assert uses["actions/setup-python"]["with"]["cache"] == "pip", job_id
        if re.search(r"\.ci/run|scripts/(bootstrap|test|release)", commands):
            assert uses["actions/cache"]["with"]["path"] == "~/.npm", job_id


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_scripts_the_workflows_run_exist(name: str) -> None:
    commands = " ".join(step["run"] for step in steps(load(name)) if "run" in step)
    for script in re.findall(r"(?:^|\s)((?:scripts|\.ci)/[\w./-]+)", commands):
        assert (ROOT / script).is_file(), script


def test_ci_runs_the_test_command_on_every_supported_python() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    test = ci["jobs"]["test"]
    assert test["strategy"]["matrix"]["python-version"] == SUPPORTED
    setup = next(
        step for step in test["steps"] if step.get("uses", "").startswith("actions/setup-python@")
    )
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert [step["run"] for step in test["steps"] if "run" in step] == [".ci/run"]
    classifiers = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "classifiers"
    ]
    declared = [c.rsplit(" :: ", 1)[1] for c in classifiers if re.search(r"Python :: 3\.\d+$", c)]
    assert declared == SUPPORTED


def test_ci_runs_the_drift_check() -> None:
    jobs = load("ci.yml")["jobs"]
    assert [step["run"] for step in jobs["drift"]["steps"] if "run" in step] == [
        "scripts/generate --check"
    ]


def test_pull_requests_get_the_api_change_report_and_a_label_gate() -> None:
    workflow = load("api-changes.yml")
    # Adding or removing the label must run the gate again.
    assert {"labeled", "unlabeled", "opened", "synchronize"} <= set(
        workflow["on"]["pull_request"]["types"]
    )
    (job,) = workflow["jobs"].values()
    report, gate = (
        step
        for step in job["steps"]
        if "codegen" in step.get("run", "") or "breaking-change" in step.get("if", "")
    )
    assert "codegen.report_since" in report["run"]
    assert '--since "origin/$BASE_REF"' in report["run"]
    assert "contains(github.event.pull_request.labels.*.name, 'breaking-change')" in gate["if"]
    # The report regenerates from the spec: nothing reads the generated copy.
    assert "generated/" not in (WORKFLOWS / "api-changes.yml").read_text(encoding="utf-8")
    # In 0.x a break bumps the minor version: the message names the real next version.
    assert "releasing.version --next-breaking" in gate["run"]
    assert "major" not in gate["run"]


def test_release_tests_checks_the_tag_then_publishes_through_trusted_publishing() -> None:
    release = load("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    test, build, publish = (release["jobs"][job] for job in ("test", "build", "publish"))
    assert [step["run"] for step in test["steps"] if "run" in step] == [".ci/run"]
    assert build["needs"] == "test"
    assert publish["needs"] == "build"
    commands = [step.get("run", "") for step in build["steps"]]
    on_main = next(i for i, run in enumerate(commands) if "merge-base --is-ancestor" in run)
    assert '"$GITHUB_SHA" origin/main' in commands[on_main]
    built = next(i for i, run in enumerate(commands) if "scripts/release --dry-run" in run)
    assert on_main < built
    assert '--tag "$TAG"' in commands[built]
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == "0"  # origin/main and the tags
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    uses = [step["uses"] for step in publish["steps"]]
    assert uses[-1].startswith("pypa/gh-action-pypi-publish@")
    # Trusted publishing: no stored token or password anywhere.
    assert "secrets." not in (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert "id-token" not in str(build.get("permissions", {}))


def test_dependabot_moves_the_action_pins_and_the_tool_pins() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"github-actions", "pip"}
    # For github-actions, "/" is where Dependabot finds .github/workflows.
    assert updates["github-actions"]["directory"] == "/"
    assert updates["pip"]["directory"] == "/requirements"
    assert sorted(path.name for path in (ROOT / "requirements").iterdir()) == ["dev.in", "dev.txt"]
    for update in updates.values():
        assert update["schedule"]["interval"] == "weekly"
        # One pull request per kind: the pins move together, and CI tests them together.
        [group] = update["groups"].values()
        assert group["patterns"] == ["*"]


def test_each_action_has_one_pin_that_dependabot_moves() -> None:
    """Dependabot moves a commit pin and the release in its comment together (the test
    above checks every `uses:` has that form); it cannot move a local or docker action,
    a branch or a bare tag. An action pinned differently in two places has been edited
    by hand, and one update would leave them apart."""
    pins: dict[str, set[str]] = {}
    for name in WORKFLOW_FILES:
        for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
            if re.match(r"^\s*(- )?uses:", line):
                pinned = PINNED.match(line)
                assert pinned is not None, f"{name}: {line.strip()}"
                pins.setdefault(pinned["action"], set()).add(pinned["pin"])
    assert {action: len(pin) for action, pin in pins.items() if len(pin) > 1} == {}
    assert "actions/checkout" in pins


def test_every_workflow_is_checked_here() -> None:
    assert sorted(path.name for path in WORKFLOWS.glob("*.yml")) == sorted(WORKFLOW_FILES)


def test_upstream_diff_runs_weekly_and_on_demand_and_fails_with_its_report() -> None:
    upstream = load("upstream.yml")
    assert set(upstream["on"]) == {"schedule", "workflow_dispatch"}
    [schedule] = upstream["on"]["schedule"]
    minute, hour, day_of_month, month, day_of_week = schedule["cron"].split()
    assert (day_of_month, month) == ("*", "*")
    assert day_of_week.isdigit()
    assert minute.isdigit()
    assert hour.isdigit()
    source = upstream["on"]["workflow_dispatch"]["inputs"]["source"]["default"]
    assert source.startswith("https://")
    assert upstream["permissions"] == {"contents": "read"}
    [job] = upstream["jobs"].values()
    [step] = [step for step in job["steps"] if "scripts/upstream-diff" in step.get("run", "")]
    # The scheduled run (no inputs) reads the same document as the on-demand default.
    assert f"inputs.source || '{source}'" in step["env"]["SOURCE"]
    # Both sources: the document, and the newest orq-ai-sdk unless asked for another.
    assert 'scripts/upstream-diff "$SOURCE" --sdk "$SDK"' in step["run"]
    assert upstream["on"]["workflow_dispatch"]["inputs"]["sdk"]["default"] == "newest"
    assert "inputs.sdk || 'newest'" in step["env"]["SDK"]
    assert "$GITHUB_STEP_SUMMARY" in step["run"]
    assert step["run"].rstrip().endswith('exit "$status"')
    assert "secrets." not in (WORKFLOWS / "upstream.yml").read_text(encoding="utf-8")
