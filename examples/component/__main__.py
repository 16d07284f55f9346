"""``LiveRecording``: one component creates (or takes) the bucket, one template and one job per stream.

Without ``bucketName`` the component creates an ``alicloud.oss.Bucket``; with it, the name is used as is.
"""

import pulumi

from pulumi_ims_record import LiveRecording, LiveRecordingStreamArgs, RecordFormatArgs

config = pulumi.Config()

recording = LiveRecording(
    "studio",
    bucket=config.get("bucketName"),
    bucket_endpoint=config.get("bucketEndpoint"),
    record_formats=[
        RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
        ),
        RecordFormatArgs(format="mp4", oss_object_prefix="record/{JobId}/{Sequence}_{StartTime}_{EndTime}"),
    ],
    streams=[
        LiveRecordingStreamArgs(key="cam1", url=config.get("cam1Url") or "rtmp://127.0.0.1:1935/live/cam1"),
        LiveRecordingStreamArgs(key="cam2", url=config.get("cam2Url") or "rtmp://127.0.0.1:1935/live/cam2"),
    ],
)

pulumi.export("bucket", recording.bucket_name)
pulumi.export("template_id", recording.template_id)
pulumi.export("job_ids", recording.job_ids)
