"""`pulumi up` SIGKILLed right after CreateLiveRecordTemplate answered (issue 34): the state has no id for
the template (a pending create at most). The next `up` adopts the template the killed run made instead of
making a second one under the same name, and after the documented recovery the service has one template, the
stack holds it, and nothing is pending.

The local IMS answers each call a second late while the killed run goes: the create reads the template back
after making it, so the kill lands in that second, before the engine could save the id."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML, a dependency of pulumi

from bench.sweep import NEXT_STEP, PYTHON_JOBS_PROGRAM, kill_tree, yaml_jobs_program

from .conftest import Engine

CREATE = "CreateLiveRecordTemplate"
JOBS = 2
ATTEMPTS = 3  # a run whose state got the id before the kill shows nothing: then another stack


def project(engine: Engine, door: str) -> Path:
    if door == "python":
        return engine.project("ims-kill-template", PYTHON_JOBS_PROGRAM)
    directory = engine.root / "yaml-kill-template"
    directory.mkdir(parents=True)
    program = yaml_jobs_program("yaml-kill-template", "unused", JOBS)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    return directory


def killed_right_after_create(engine: Engine, directory: Path, stack: str) -> None:
    creates_before = engine.ims.stats().get(CREATE, 0)
    engine.ims.set_faults({"latency_ms": 1000})
    up = engine.spawn(
        ["up", "--yes", "--skip-preview", "--stack", stack], cwd=directory, log=engine.root / "up.log"
    )
    try:
        engine.ims.wait_for_calls(CREATE, creates_before + 1, timeout=120)
    finally:
        kill_tree(up)  # the CLI and its plugins, as a lost machine would
        engine.ims.clear_faults()


@pytest.mark.parametrize("door", ["python", "yaml"])
def test_a_template_created_just_before_the_kill_is_adopted_by_the_next_up(engine: Engine, door: str) -> None:
    directory = project(engine, door)
    for attempt in range(ATTEMPTS):
        stack, prefix = f"t{attempt}", f"killtpl{attempt}"
        config = {"prefix": prefix, "jobs": str(JOBS)} if door == "python" else {}
        engine.init_project_stack(directory, stack, config)
        if door == "yaml":  # the YAML program has no config: its names are per stack here
            program = yaml_jobs_program("yaml-kill-template", prefix, JOBS)
            (directory / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        killed_right_after_create(engine, directory, stack)
        resources = engine.export(directory, stack)["deployment"].get("resources") or []
        if not any(resource["type"].endswith("LiveRecordTemplate") for resource in resources):
            break  # made on the service, and the state has no id for it (at most a pending create)
    else:
        pytest.fail(f"in {ATTEMPTS} runs the state always got the template before the kill")

    engine.cli(["cancel", "--yes", "--stack", stack], cwd=directory)
    up = engine.cli(["up", "--yes", "--skip-preview", "--stack", stack], cwd=directory)
    engine.cli(["refresh", "--clear-pending-creates", "--yes", "--stack", stack], cwd=directory)

    output = up.stdout + up.stderr
    assert "adopting template" in output and NEXT_STEP in output, output[-3000:]
    with engine.client() as client:
        templates = [
            item for item in client.iter_live_record_templates(type="custom") if item.name == f"{prefix}-hls"
        ]
    assert len(templates) == 1, templates
    deployment = engine.export(directory, stack)["deployment"]
    assert not deployment.get("pending_operations")
    held = [r["id"] for r in deployment["resources"] if r["type"].endswith("LiveRecordTemplate")]
    assert held == [templates[0].template_id]
    engine.cli(["preview", "--expect-no-changes", "--stack", stack], cwd=directory)
