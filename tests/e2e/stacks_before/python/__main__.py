"""The same template, job and job set as ../yaml, through the Python dynamic resources. A stack of this
program made before the one naming rule for set entries (see ../README.md) must keep its jobs. The set
records with a system template, which every IMS has: the test's update submits one more job."""

import pulumi

from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordJobSet,
    LiveRecordJobSetEntryArgs,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)

hls = LiveRecordTemplate(
    "hls",
    name="before-hls",
    record_formats=[
        RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
        )
    ],
)
stage = LiveRecordJob(
    "stage",
    stream_input=StreamInputArgs(url="rtmp://127.0.0.1:1/live/stage"),
    record_output=RecordOutputArgs(bucket="before-recordings"),
    template_id=hls.id,
)
entries = [
    LiveRecordJobSetEntryArgs(
        key="cam-a", name="cam-a-named", stream_input=StreamInputArgs(url="rtmp://127.0.0.1:1/live/cam-a")
    ),
    LiveRecordJobSetEntryArgs(key="cam-b", stream_input=StreamInputArgs(url="rtmp://127.0.0.1:1/live/cam-b")),
]
if pulumi.Config().get_bool("addEntry"):
    entries.append(
        LiveRecordJobSetEntryArgs(
            key="cam-c", stream_input=StreamInputArgs(url="rtmp://127.0.0.1:1/live/cam-c")
        )
    )
cams = LiveRecordJobSet(
    "cams",
    template_id="ims-system-m3u8",
    record_output=RecordOutputArgs(bucket="before-recordings"),
    jobs=entries,
)
pulumi.export("stageJobId", stage.id)
pulumi.export("camJobIds", cams.job_ids)
pulumi.export("camJobs", cams.jobs)
