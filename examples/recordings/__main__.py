"""Record with a template this stack does not declare (a system one, found by its exact name), and export
the play URLs of the job's recordings: each ``pulumi up`` looks them up again, so the list grows as cycles
close (the system HLS template closes one every 6 hours; a template of your own can close them sooner)."""

from datetime import datetime, timedelta, timezone

import pulumi

from pulumi_ims_record import (
    LiveRecordJob,
    RecordOutputArgs,
    StreamInputArgs,
    get_live_record_files_output,
    get_live_record_template,
)

config = pulumi.Config()

template = get_live_record_template(name=config.get("templateName") or "System: HLS (m3u8, 30 s slices)")
job = LiveRecordJob(
    "recorded",
    stream_input=StreamInputArgs(url=config.require_secret("streamUrl")),
    record_output=RecordOutputArgs(bucket=config.require("bucketName")),
    template_id=template.template_id,
)

# The recordings of the last week (any span works: the look-up reads every page of every window the API
# allows).
now = datetime.now(timezone.utc)
recordings = get_live_record_files_output(
    job_ids=[job.id],
    start_time=(now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    end_time=(now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
)

pulumi.export("template", f"{template.name} ({template.template_id})")
pulumi.export("job_id", job.id)
pulumi.export("play_urls", recordings.apply(lambda found: [item["record_url"] for item in found.files]))
