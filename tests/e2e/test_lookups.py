"""The Python forms of the look-ups under the real engine, against the local IMS: a program uses a system
template by name (plain form), and reads back its job, the template and the job's recordings (``_output``
forms); a name nothing has ends the preview with one line naming the name and the count."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import yaml

from pulumi_ims_record.ice import RecordFormat
from pulumi_ims_record.local.teststream import TestStream
from tests.conftest import wait_until
from tests.local.conftest_recording import recording_tools_missing

from .conftest import Engine
from .programs import BUCKET

SYSTEM_HLS = "System: HLS (m3u8, 30 s slices)"


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


PROGRAM = """
from datetime import datetime, timedelta, timezone

import pulumi

from pulumi_ims_record import (
    LiveRecordJob,
    RecordOutputArgs,
    StreamInputArgs,
    get_live_record_files_output,
    get_live_record_job_output,
    get_live_record_template,
    get_live_record_template_output,
)


def utc(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


config = pulumi.Config()
hls = get_live_record_template(name=config.require("templateName"))
job = LiveRecordJob(
    "stage",
    stream_input=StreamInputArgs(url=config.get("streamUrl") or "rtmp://127.0.0.1:1/live/lookups"),
    record_output=RecordOutputArgs(bucket="BUCKET"),
    template_id=hls.template_id,
)
now = datetime.now(timezone.utc)
looked_up = get_live_record_job_output(job.id)
template = get_live_record_template_output(template_id=job.template_id)
files = get_live_record_files_output(
    job_ids=[job.id], start_time=utc(now - timedelta(hours=1)), end_time=utc(now + timedelta(hours=1))
)
pulumi.export("templateId", hls.template_id)
pulumi.export("templateType", hls.type)
pulumi.export("jobName", looked_up.apply(lambda found: found.name))
pulumi.export("jobStream", looked_up.apply(lambda found: found.stream_input["url"]))
pulumi.export("templateName", template.apply(lambda found: found.name))
pulumi.export("files", files.apply(lambda found: len(found.files)))
pulumi.export("playUrls", files.apply(lambda found: [item["record_url"] for item in found.files]))
""".replace("BUCKET", BUCKET)


def test_a_program_looks_up_a_template_its_job_and_the_jobs_recordings(engine: Engine) -> None:
    project = engine.project("lookups", PROGRAM)
    engine.init_project_stack(project, "dev", {"templateName": SYSTEM_HLS})
    run = lambda *args, **kw: engine.cli([*args, "--stack", "dev"], cwd=project, **kw)  # noqa: E731

    preview = run("preview")
    assert "+ 2 to create" in preview.stdout, preview.stdout  # the stack and the job

    run("up", "--yes", "--skip-preview")
    outputs = json.loads(run("stack", "output", "--json", "--show-secrets").stdout)
    assert outputs == {
        "templateId": "ims-system-m3u8",
        "templateType": "system",
        "jobName": "stage",
        "jobStream": "rtmp://127.0.0.1:1/live/lookups",
        "templateName": SYSTEM_HLS,
        "files": 0,  # nothing listens at that stream: no recording yet
        "playUrls": [],
    }
    hidden = json.loads(run("stack", "output", "--json").stdout)
    assert hidden["jobStream"] == "[secret]"  # the job's answer is a secret: its stream URL may hold a token
    assert [(job.name, job.template_id) for job in engine.jobs()] == [("stage", "ims-system-m3u8")]

    run("config", "set", "templateName", "no-such-template")
    refused = run("preview", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "getLiveRecordTemplate name 'no-such-template': 0 templates have this name" in said, said
    assert "Traceback" not in said and said.count("0 templates have this name") == 2, said  # run, summary


YAML_PROGRAM: dict[str, Any] = {
    "runtime": "yaml",
    "config": {
        "templateName": {"type": "string"},
        "streamUrl": {"type": "string"},
        "startTime": {"type": "string"},
        "endTime": {"type": "string"},
    },
    "variables": {
        "hls": {
            "fn::invoke": {
                "function": "ims-record:index:getLiveRecordTemplate",
                "arguments": {"name": "${templateName}"},
            }
        },
        "job": {
            "fn::invoke": {
                "function": "ims-record:index:getLiveRecordJob",
                "arguments": {"jobId": "${stage.jobId}"},
            }
        },
        "recordings": {
            "fn::invoke": {
                "function": "ims-record:index:getLiveRecordFiles",
                "arguments": {
                    "jobIds": ["${stage.jobId}"],
                    "startTime": "${startTime}",
                    "endTime": "${endTime}",
                },
            }
        },
    },
    "resources": {
        "stage": {
            "type": "ims-record:index:LiveRecordJob",
            "properties": {
                "streamInput": {"url": "${streamUrl}"},
                "recordOutput": {"bucket": BUCKET},
                "templateId": "${hls.templateId}",
            },
        }
    },
    "outputs": {"jobStatus": "${job.status}", "recordings": "${recordings.files}"},
}


@pytest.mark.recording
@pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing()))
@pytest.mark.parametrize("door", ["python", "yaml"])
def test_the_recordings_of_a_real_stream_play_from_the_urls_a_program_exports(
    engine: Engine, door: str
) -> None:
    """Another team's template (made outside the stack) by name, a job recording a real stream, and on the
    next `up` the job's recordings with URLs that play."""
    with TestStream(name=f"lookups-{door}", size="320x180") as stream:
        template_name = f"short-{door}"
        with engine.client() as client:
            client.create_live_record_template(
                name=template_name,
                record_formats=[
                    RecordFormat(
                        format="m3u8",
                        oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
                        slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
                        slice_duration=5,
                        cycle_duration=10,
                    )
                ],
            )
        now = datetime.now(timezone.utc)
        config = {
            "templateName": template_name,
            "streamUrl": stream.url,
            "startTime": utc(now - timedelta(hours=1)),
            "endTime": utc(now + timedelta(hours=1)),
        }
        if door == "python":
            project = engine.project("lookups-python", PROGRAM)
        else:
            project = engine.root / "lookups-yaml"
            project.mkdir(parents=True)
            (project / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "lookups-yaml", **YAML_PROGRAM}))
        engine.init_project_stack(project, "dev", config)
        run = lambda *args: engine.cli([*args, "--stack", "dev"], cwd=project)  # noqa: E731
        run("up", "--yes")
        [job] = engine.jobs()
        wait_until(
            lambda: (
                engine.client()
                .list_live_record_files(
                    job_ids=[job.job_id], start_time=config["startTime"], end_time=config["endTime"]
                )
                .files
            ),
            timeout=90,
            interval=1.0,
            message="a finished recording",
        )
        run("up", "--yes")  # the look-ups run again: the recording is there now
    outputs = json.loads(run("stack", "output", "--json", "--show-secrets").stdout)
    urls = outputs["playUrls"] if door == "python" else [item["recordUrl"] for item in outputs["recordings"]]
    assert urls and all(url.endswith(".m3u8") for url in urls), outputs
    with httpx.Client(timeout=30) as http:
        playlist = http.get(urls[0])
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U"), playlist.text[:200]
