"""The Python forms of the look-ups under the real engine, against the local IMS: a program uses a system
template by name (plain form), and reads back its job, the template and the job's recordings (``_output``
forms); a name nothing has ends the preview with one line naming the name and the count."""

from __future__ import annotations

import json

from .conftest import Engine
from .programs import BUCKET

SYSTEM_HLS = "System: HLS (m3u8, 30 s slices)"


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


hls = get_live_record_template(name=pulumi.Config().require("templateName"))
job = LiveRecordJob(
    "stage",
    stream_input=StreamInputArgs(url="rtmp://127.0.0.1:1/live/lookups"),
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
