"""Record into a bucket this stack does not manage.

``bucketId`` set: the bucket is read with ``alicloud.oss.Bucket.get`` (its endpoint comes from Alibaba Cloud).
Otherwise the plain ``bucketName`` (and optional ``bucketEndpoint``) is used as it is: no alicloud call.
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
bucket_id = config.get("bucketId")
if bucket_id:
    existing = alicloud.oss.Bucket.get("recordings", bucket_id)
    record_output = RecordOutputArgs(bucket=existing.bucket, endpoint=existing.extranet_endpoint)
else:
    record_output = RecordOutputArgs(
        bucket=config.require("bucketName"), endpoint=config.get("bucketEndpoint")
    )

template = LiveRecordTemplate("flv", record_formats=[RecordFormatArgs(format="flv", cycle_duration=1800)])
job = LiveRecordJob(
    "main-stage",
    stream_input=StreamInputArgs(url=config.require_secret("streamUrl")),
    record_output=record_output,
    template_id=template.id,
)

pulumi.export("job_id", job.id)
