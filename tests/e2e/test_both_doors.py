"""The two front doors submit the same jobs: the template, job and job set of ``stacks_before/`` (a named and
an unnamed entry) through the Python resources and through Pulumi YAML send the same SubmitLiveRecordJob
parameters. Stacks of those programs made by an earlier version keep their jobs under today's code:
``pulumi preview --expect-no-changes`` passes, and an update that adds an entry submits that one job and
replaces none."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import Engine

BEFORE = Path(__file__).parent / "stacks_before"
NEW_ENTRY = {"key": "cam-c", "streamInput": {"url": "rtmp://127.0.0.1:1/live/cam-c"}}


def import_stack(engine: Engine, door: str) -> Path:
    project = engine.root / door
    shutil.copytree(BEFORE / door, project)
    exported = project / "dev.json"
    exported.write_text(exported.read_text().replace("IMS_ENDPOINT", engine.ims.endpoint))
    engine.init_project_stack(project, "dev")
    engine.cli(["stack", "import", "--stack", "dev", "--file", str(exported)], cwd=project)
    return project


def set_jobs(engine: Engine, project: Path) -> dict[str, Any]:
    """The set's entries in state: key → entry (name, job id, ...), whatever the door's property case."""
    resources = engine.export(project, "dev")["deployment"]["resources"]
    job_set = next(item for item in resources if item["type"].endswith("LiveRecordJobSet"))
    jobs: dict[str, Any] = job_set["outputs"]["jobs"]
    return {key: {**entry, "id": entry.get("jobId") or entry.get("job_id")} for key, entry in jobs.items()}


@pytest.mark.parametrize("door", ["yaml", "python"])
def test_a_stack_made_before_keeps_its_jobs(engine: Engine, door: str) -> None:
    project = import_stack(engine, door)
    before = set_jobs(engine, project)
    run = lambda *args: engine.cli([*args, "--stack", "dev"], cwd=project)  # noqa: E731

    engine.ims.reset_stats()
    run("preview", "--expect-no-changes")
    assert engine.ims.total_calls() == 0, engine.ims.stats()

    if door == "yaml":
        program = yaml.safe_load((project / "Pulumi.yaml").read_text())
        program["resources"]["cams"]["properties"]["jobs"].append(NEW_ENTRY)
        (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    else:
        run("config", "set", "addEntry", "true")
    update = run("up", "--yes")

    assert "~ 1 to update" in update.stdout and "replace" not in update.stdout, update.stdout
    after = set_jobs(engine, project)
    assert {key: (entry["name"], entry["id"]) for key, entry in after.items() if key != "cam-c"} == {
        key: (entry["name"], entry["id"]) for key, entry in before.items()
    }
    assert after["cam-c"]["name"] == "cams-cam-c"  # the one naming rule: <set resource name>-<key>
    assert [job.name for job in engine.jobs()] == ["cams-cam-c"]  # the only job submitted


def submitted(engine: Engine) -> dict[str, tuple[Any, ...]]:
    """Each job on the local IMS by name: what its SubmitLiveRecordJob sent, the template by its name (each
    door made its own template, so the ids differ)."""
    return {
        job.name: (job.stream_input, job.record_output, job.template_name, job.notify_url)
        for job in engine.jobs()
    }


def test_both_doors_submit_the_same_jobs(make_engine: Callable[..., Engine]) -> None:
    jobs = {}
    for door in ("python", "yaml"):
        engine = make_engine(name=door)
        project = engine.root / door
        shutil.copytree(BEFORE / door, project, ignore=shutil.ignore_patterns("dev.json"))
        engine.init_project_stack(project, "dev")
        engine.cli(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=project)
        jobs[door] = submitted(engine)

    assert sorted(jobs["python"]) == ["cam-a-named", "cams-cam-b", "stage"]
    assert jobs["yaml"] == jobs["python"]
