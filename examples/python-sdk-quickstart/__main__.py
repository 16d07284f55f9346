"""The quickstart on the native package's Python SDK: an HLS template and one job recording one RTMP stream.

``pulumi_ims_record_sdk`` is generated from the package's schema (``./run sdk``); its resources are served by
the plugin ``pulumi-resource-ims-record``. The dynamic resources of ``pulumi_ims_record``
(examples/quickstart) do the same without a plugin; README.md here says which to use when.
"""

import pulumi
import pulumi_ims_record_sdk as ims

config = pulumi.Config()

hls = ims.LiveRecordTemplate(
    "hls",
    name="python-sdk-quickstart-hls",
    record_formats=[
        ims.RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
            slice_duration=10,
            cycle_duration=config.get_int("cycleDuration") or 21600,
        )
    ],
)

stage = ims.LiveRecordJob(
    "stage",
    name="python-sdk-quickstart-stage",
    stream_input=ims.StreamInputArgs(
        url=config.get("streamUrl") or "rtmp://127.0.0.1:1935/live/python-sdk-quickstart"
    ),
    record_output=ims.RecordOutputArgs(
        bucket=config.get("bucketName") or "ims-python-sdk-quickstart-recordings"
    ),
    template_id=hls.id,
)

pulumi.export("templateId", hls.id)
pulumi.export("jobId", stage.job_id)
pulumi.export("status", stage.status)
