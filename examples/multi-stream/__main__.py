"""Several streams from a config list: one template, one job per stream, all into one existing bucket.

Stack config (``Pulumi.<stack>.yaml``)::

    config:
      ims-record-multi-stream:bucket: my-recordings
      ims-record-multi-stream:bucketEndpoint: oss-cn-shanghai.aliyuncs.com
      ims-record-multi-stream:streams:
        - key: stage-a
          url: rtmp://push.example.com/live/stage-a
        - key: stage-b
          url: rtmp://push.example.com/live/stage-b
          notifyUrl: https://example.com/imsnotify
"""

import pulumi

from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)

config = pulumi.Config()
bucket = config.require("bucket")
endpoint = config.get("bucketEndpoint") or None
streams = config.require_object("streams")

template = LiveRecordTemplate(
    "mp4-hourly",
    record_formats=[
        RecordFormatArgs(
            format="mp4",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            cycle_duration=3600,
        )
    ],
)

jobs = {}
for stream in streams:
    jobs[stream["key"]] = LiveRecordJob(
        stream["key"],
        stream_input=StreamInputArgs(url=stream["url"]),
        record_output=RecordOutputArgs(bucket=bucket, endpoint=endpoint),
        template_id=template.id,
        notify_url=stream.get("notifyUrl"),
    )

pulumi.export("template_id", template.id)
pulumi.export("job_ids", {key: job.id for key, job in jobs.items()})
