"""The native package under the real engine: Pulumi YAML programs (the bootstrapped YAML language host) with
the plugin ``pulumi-resource-ims-record``, against a local IMS.

The lifecycle runs examples/yaml-quickstart itself; the bad inputs are the dynamic resources' table
(tests/e2e/test_bad_inputs.py) said in YAML, refused at preview with the camelCase property named."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_ims_record.provider import _native_values
from tests.conftest import REPO_ROOT

from .conftest import Engine
from .programs import BUCKET
from .test_bad_inputs import BAD_INPUTS, SAID_IN_FULL

EXAMPLE = REPO_ROOT / "examples" / "yaml-quickstart"


def example_program() -> dict[str, Any]:
    program: dict[str, Any] = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    return program


def project(engine: Engine, name: str, program: dict[str, Any], config: dict[str, str]) -> Path:
    directory = engine.root / "yaml" / name
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump({**program, "name": name}, sort_keys=False))
    engine.init_project_stack(directory, "dev", config)
    return directory


def calls(engine: Engine, action: str) -> int:
    return engine.ims.stats().get(action, 0)


def test_the_yaml_quickstart_lifecycle(engine: Engine) -> None:
    directory = engine.root / "yaml-quickstart"
    shutil.copytree(EXAMPLE, directory)
    engine.init_project_stack(
        directory, "dev", {"streamUrl": "rtmp://127.0.0.1:1/live/yaml-a", "bucketName": BUCKET}
    )
    run = lambda *args: engine.cli([*args, "--stack", "dev"], cwd=directory)  # noqa: E731

    engine.ims.reset_stats()
    preview = run("preview")
    assert "+ 3 to create" in preview.stdout, preview.stdout
    assert engine.ims.total_calls() == 0, engine.ims.stats()

    run("up", "--yes", "--skip-preview")
    assert (calls(engine, "CreateLiveRecordTemplate"), calls(engine, "SubmitLiveRecordJob")) == (1, 1)
    job_id = run("stack", "output", "jobId").stdout.strip()
    resources = engine.export(directory, "dev")["deployment"]["resources"]
    job_state = next(item for item in resources if item["type"] == "ims-record:index:LiveRecordJob")
    assert job_state["id"] == job_id and [job.job_id for job in engine.jobs()] == [job_id]
    assert job_state["outputs"]["streamInput"]["url"] == "rtmp://127.0.0.1:1/live/yaml-a"

    engine.ims.reset_stats()
    run("preview", "--expect-no-changes")
    assert engine.ims.total_calls() == 0, engine.ims.stats()

    run("config", "set", "sliceDuration", "20")
    update = run("preview", "--diff")
    assert "~ 1 to update" in update.stdout and "sliceDuration: 10 => 20" in update.stdout, update.stdout
    # With --diff the CLI prints diagnostics on stderr.
    assert "keep the settings they were submitted with" in update.stdout + update.stderr, update
    engine.ims.reset_stats()
    run("up", "--yes", "--skip-preview")
    assert (calls(engine, "UpdateLiveRecordTemplate"), calls(engine, "SubmitLiveRecordJob")) == (1, 0)

    run("config", "set", "streamUrl", "rtmp://127.0.0.1:1/live/yaml-b")
    replace = run("preview", "--diff")
    assert "+-1 to replace" in replace.stdout, replace.stdout
    assert "~ streamInput: {" in replace.stdout and "~ url: " in replace.stdout, replace.stdout
    said = replace.stdout + replace.stderr  # at preview
    assert "will be replaced (streamInput changed)" in said and "keeps recording" in said, said
    engine.ims.reset_stats()
    replaced = run("up", "--yes", "--skip-preview")
    assert calls(engine, "SubmitLiveRecordJob") == 1
    assert "keeps recording" in replaced.stdout, replaced.stdout  # the replaced job cannot be stopped
    new_job_id = run("stack", "output", "jobId").stdout.strip()
    assert new_job_id != job_id

    refreshed = run("refresh", "--yes", "--skip-preview")
    assert "unchanged" in refreshed.stdout, refreshed.stdout
    run("preview", "--expect-no-changes")

    engine.ims.reset_stats()
    destroyed = run("destroy", "--yes", "--skip-preview")
    assert calls(engine, "DeleteLiveRecordTemplate") == 1
    assert "keeps recording" in destroyed.stdout and new_job_id in destroyed.stdout, destroyed.stdout
    assert engine.export(directory, "dev")["deployment"].get("resources") in (None, [])


# The dynamic table's cases, as overrides of the example's YAML: (resource, property, bad value).
HLS = {
    "format": "m3u8",
    "ossObjectPrefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    "sliceOssObjectPrefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
}
YAML_BAD_INPUTS: dict[str, tuple[str, str, Any]] = {
    "unknown format": ("hls", "recordFormats", [{**HLS, "format": "avi"}]),
    "slice too short": ("hls", "recordFormats", [{**HLS, "sliceDuration": 2}]),
    "object prefix without time variables": (
        "hls",
        "recordFormats",
        [{"format": "mp4", "ossObjectPrefix": "record/{JobId}"}],
    ),
    "no formats": ("hls", "recordFormats", []),
    "stream is not rtmp": ("stage", "streamInput", {"url": "http://127.0.0.1/live/stream.flv"}),
    "invalid bucket name": ("stage", "recordOutput", {"bucket": "Not_A_Bucket"}),
    "notify URL is not a URL": ("stage", "notifyUrl", "not a url"),
}


def test_the_yaml_table_is_the_dynamic_table() -> None:
    assert sorted(YAML_BAD_INPUTS) == sorted(BAD_INPUTS)


@pytest.mark.parametrize("case", sorted(YAML_BAD_INPUTS))
def test_bad_input_in_yaml_fails_at_preview_naming_the_camel_case_property(engine: Engine, case: str) -> None:
    resource, prop, bad = YAML_BAD_INPUTS[case]
    program = copy.deepcopy(example_program())
    program["resources"][resource]["properties"][prop] = bad
    directory = project(engine, engine.unique_name("yaml-bad-"), program, {})
    engine.ims.reset_stats()

    result = engine.cli(["preview", "--stack", "dev"], cwd=directory, check=False)

    # record_formats[0].slice_duration → recordFormats[0].sliceDuration, in the path and in the words said
    expected = _native_values.camel_path(BAD_INPUTS[case][1])
    assert result.returncode != 0, result.stdout
    assert f"{expected}: " in result.stdout, result.stdout
    assert "<nil>" not in result.stdout, result.stdout
    said_in_full = SAID_IN_FULL.get(case, "").replace("'template'", f"'{resource}'")
    assert _native_values.camel_path(said_in_full) in result.stdout, result.stdout
    assert engine.ims.total_calls() == 0, engine.ims.stats()


def test_custom_timeouts_bound_the_wait_and_the_next_up_adopts_the_job(engine: Engine) -> None:
    """The engine passes customTimeouts but does not enforce them: the provider stops waiting for a stream
    that never comes when the create timeout runs out, says so, and the job it submitted is not lost."""
    program = copy.deepcopy(example_program())
    stage = program["resources"]["stage"]
    stage["properties"]["waitForStatus"] = "started"
    stage["options"] = {"customTimeouts": {"create": "5s"}}
    config = {"streamUrl": "rtmp://127.0.0.1:1/live/never", "bucketName": BUCKET}
    directory = project(engine, "yaml-timeouts", program, config)
    engine.ims.reset_stats()

    failed = engine.cli(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=directory, check=False)

    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    said = "waited 5 s for status 'started' until the create timeout of customTimeouts (5 s) ran out"
    assert said in output, output
    assert "LiveRecordJob 'yaml-quickstart-stage'" in output and 'File "' not in output, output  # no stack
    assert calls(engine, "SubmitLiveRecordJob") == 1
    [submitted] = engine.jobs()
    assert submitted.job_id in output

    del stage["properties"]["waitForStatus"]
    (directory / "Pulumi.yaml").write_text(
        yaml.safe_dump({**program, "name": "yaml-timeouts"}, sort_keys=False)
    )
    engine.cli(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=directory)
    assert calls(engine, "SubmitLiveRecordJob") == 1  # adopted, not submitted again
    assert (
        engine.cli(["stack", "output", "jobId", "--stack", "dev"], cwd=directory).stdout.strip()
        == submitted.job_id
    )


def test_a_yaml_program_looks_up_a_system_template_by_name(engine: Engine) -> None:
    """``fn::invoke`` of getLiveRecordTemplate feeds a job's templateId, and getLiveRecordJob reads the job
    back (its stream a secret); a template name nothing has fails the preview in one line with the count."""
    program: dict[str, Any] = {
        "runtime": "yaml",
        "variables": {
            "hls": {
                "fn::invoke": {
                    "function": "ims-record:index:getLiveRecordTemplate",
                    "arguments": {"name": "${templateName}"},
                }
            }
        },
        "config": {"templateName": {"type": "string", "default": "System: HLS (m3u8, 30 s slices)"}},
        "resources": {
            "stage": {
                "type": "ims-record:index:LiveRecordJob",
                "properties": {
                    "streamInput": {"url": "rtmp://127.0.0.1:1/live/lookup"},
                    "recordOutput": {"bucket": BUCKET},
                    "templateId": "${hls.templateId}",
                },
            }
        },
        "outputs": {
            "templateType": "${hls.type}",
            "jobTemplate": "${stage.templateId}",
            "jobName": "${job.name}",
            "jobStream": "${job.streamInput.url}",
        },
    }
    program["variables"]["job"] = {
        "fn::invoke": {
            "function": "ims-record:index:getLiveRecordJob",
            "arguments": {"jobId": "${stage.jobId}"},
        }
    }
    directory = project(engine, "lookup", program, {})
    run = lambda *args, **kw: engine.cli([*args, "--stack", "dev"], cwd=directory, **kw)  # noqa: E731

    run("up", "--yes")
    outputs = json.loads(run("stack", "output", "--json").stdout)
    # getLiveRecordJob's stream is a secret output, and Pulumi YAML keeps the whole answer secret then.
    assert outputs == {
        "templateType": "system",
        "jobTemplate": "ims-system-m3u8",
        "jobName": "[secret]",
        "jobStream": "[secret]",
    }
    shown = json.loads(run("stack", "output", "--json", "--show-secrets").stdout)
    assert (shown["jobName"], shown["jobStream"]) == ("stage", "rtmp://127.0.0.1:1/live/lookup")
    assert [(job.name, job.template_id) for job in engine.jobs()] == [("stage", "ims-system-m3u8")]

    run("config", "set", "templateName", "no-such-template")
    refused = run("preview", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "getLiveRecordTemplate name 'no-such-template': 0 templates have this name" in said, said
