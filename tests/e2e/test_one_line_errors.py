"""A failed operation reads as one sentence through both front doors: the resource, what failed and what to
do, without the Python stack either SDK appends to an exception."""

from __future__ import annotations

import copy

import pytest
from pulumi import automation as auto

from pulumi_ims_record import LiveRecordJob, RecordOutputArgs, StreamInputArgs

from .conftest import Engine
from .programs import BUCKET
from .test_yaml_package import example_program, project

MISSING = "no-such-job"


def test_a_dynamic_resource_failure_is_one_sentence(engine: Engine) -> None:
    def program() -> None:
        LiveRecordJob(
            "adopter",
            stream_input=StreamInputArgs(url="rtmp://127.0.0.1:1/live/one-line"),
            record_output=RecordOutputArgs(bucket=BUCKET),
            template_id="ims-system-m3u8",
            adopt_job_id=MISSING,
        )

    with pytest.raises(auto.CommandError) as failure:
        engine.stack(program).up()

    output = str(failure.value)
    assert f"LiveRecordJob 'adopter': adopt_job_id: no job '{MISSING}' exists" in output, output
    assert "Traceback" not in output and 'File "' not in output, output


def test_a_native_resource_failure_is_one_sentence(engine: Engine) -> None:
    program = copy.deepcopy(example_program())
    program["resources"]["stage"]["properties"]["adoptJobId"] = MISSING
    directory = project(engine, "yaml-one-line", program, {"streamUrl": "rtmp://127.0.0.1:1/live/one-line"})

    failed = engine.cli(["up", "--yes", "--skip-preview", "--stack", "dev"], cwd=directory, check=False)

    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert f"LiveRecordJob 'yaml-quickstart-stage': adoptJobId: no job '{MISSING}' exists" in output, output
    assert "Traceback" not in output and 'File "' not in output, output
