"""Record into ApsaraVideo VOD: ``record_output.type = "vod"`` and ``bucket`` = the VOD storage location
(e.g. ``outin-xxxxxxxx.oss-cn-shanghai.aliyuncs.com``, shown in the VOD console under Storage)."""

import pulumi

from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)

config = pulumi.Config()

template = LiveRecordTemplate(
    "vod-hls",
    record_formats=[
        RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
            slice_duration=10,
        )
    ],
)
job = LiveRecordJob(
    "to-vod",
    stream_input=StreamInputArgs(url=config.require_secret("streamUrl")),
    record_output=RecordOutputArgs(type="vod", bucket=config.require("vodStorageLocation")),
    template_id=template.id,
    wait_for_status="started",
    wait_timeout_seconds=120,
)

pulumi.export("job_id", job.id)
pulumi.export("status", job.status)
