"""Quickstart: a bucket, an HLS template and one job recording one RTMP stream.

The same program runs against Alibaba Cloud and against the local IMS; only the stack config differs
(see README.md): with ``useAlicloudBucket: false`` no ``alicloud.oss.Bucket`` is created and ``bucketName``
is used as it is (the local IMS stores it under its data directory).
"""

import pulumi
import pulumi_alicloud as alicloud

from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)

config = pulumi.Config()
bucket_name = config.get("bucketName") or "ims-quickstart-recordings"
stream_url = config.get_secret("streamUrl") or "rtmp://127.0.0.1:1935/live/quickstart"

if config.get_bool("useAlicloudBucket") is not False:
    bucket = alicloud.oss.Bucket("recordings", bucket=bucket_name)
    record_output = RecordOutputArgs(bucket=bucket.bucket, endpoint=bucket.extranet_endpoint)
else:
    record_output = RecordOutputArgs(bucket=bucket_name, endpoint=config.get("bucketEndpoint") or None)

template = LiveRecordTemplate(
    "hls",
    name="quickstart-hls",
    record_formats=[
        RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
            slice_duration=30,
            cycle_duration=config.get_int("cycleDuration") or 21600,
        )
    ],
)

job = LiveRecordJob(
    "stream",
    name="quickstart stream",
    stream_input=StreamInputArgs(url=stream_url),
    record_output=record_output,
    template_id=template.id,
    wait_for_status=config.get("waitForStatus") or None,
)

pulumi.export("bucket", record_output.bucket)
pulumi.export("template_id", template.id)
pulumi.export("job_id", job.id)
pulumi.export("job_status", job.status)
pulumi.export("job_origin", job.origin)
