"""Pulumi programs the end-to-end tests deploy: a template and jobs, as inline programs or program source."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi

from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)

BUCKET = "e2e-recordings"
HLS_PREFIX = "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"
SLICE_PREFIX = "record/{JobId}/{UnixTimestamp}_{Sequence}"


@dataclass(frozen=True)
class Format:
    format: str = "m3u8"
    slice_duration: int | None = 30
    cycle_duration: int | None = None

    def args(self) -> RecordFormatArgs:
        return RecordFormatArgs(
            format=self.format,
            oss_object_prefix=HLS_PREFIX
            if self.format == "m3u8"
            else "record/{JobId}/{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix=SLICE_PREFIX if self.format == "m3u8" else None,
            slice_duration=self.slice_duration if self.format == "m3u8" else None,
            cycle_duration=self.cycle_duration,
        )


@dataclass(frozen=True)
class Deployment:
    """A template and jobs (resource name → stream URL), all jobs recording with that template."""

    jobs: Mapping[str, str]
    template_name: str = "e2e-hls"
    formats: Sequence[Format] = (Format(),)
    bucket: str = BUCKET
    delete_recordings_on_destroy: bool = False

    def program(self) -> Callable[[], None]:
        def run() -> None:
            template = LiveRecordTemplate(
                "template", name=self.template_name, record_formats=[item.args() for item in self.formats]
            )
            job_ids = {}
            for resource_name, url in self.jobs.items():
                job = LiveRecordJob(
                    resource_name,
                    stream_input=StreamInputArgs(url=url),
                    record_output=RecordOutputArgs(bucket=self.bucket),
                    template_id=template.id,
                    delete_recordings_on_destroy=self.delete_recordings_on_destroy,
                )
                job_ids[resource_name] = job.id
            pulumi.export("template_id", template.id)
            pulumi.export("job_ids", job_ids)

        return run


def stream_urls(prefix: str, count: int) -> dict[str, str]:
    """``count`` job resources named ``{prefix}-{i}``, each with its own stream URL.

    The streams point at port 1, where nothing listens: the jobs' recorders are refused at once."""
    return {f"{prefix}-{index}": f"rtmp://127.0.0.1:1/live/{prefix}-{index}" for index in range(count)}


# The program the CLI runs from a project directory (interrupted-update test): the job count and a name
# prefix come from the stack config.
PROJECT_PROGRAM = """
import pulumi

from pulumi_ims_record import (
    LiveRecordJob, LiveRecordTemplate, RecordFormatArgs, RecordOutputArgs, StreamInputArgs,
)

config = pulumi.Config()
prefix = config.require("prefix")
template = LiveRecordTemplate(
    "template",
    name=f"{prefix}-hls",
    record_formats=[
        RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
        )
    ],
)
for index in range(config.require_int("jobs")):
    LiveRecordJob(
        f"{prefix}-{index}",
        stream_input=StreamInputArgs(url=f"rtmp://127.0.0.1:1/live/{prefix}-{index}"),
        record_output=RecordOutputArgs(bucket="e2e-recordings"),
        template_id=template.id,
    )
"""


def yaml_jobs_program(name: str, prefix: str, jobs: int) -> dict[str, object]:
    """PROJECT_PROGRAM in Pulumi YAML on the native package: a template ``<prefix>-hls`` and ``jobs`` jobs."""
    formats = [{"format": "m3u8", "ossObjectPrefix": HLS_PREFIX, "sliceOssObjectPrefix": SLICE_PREFIX}]
    resources: dict[str, object] = {
        "template": {
            "type": "ims-record:index:LiveRecordTemplate",
            "properties": {"name": f"{prefix}-hls", "recordFormats": formats},
        }
    }
    for index in range(jobs):
        resources[f"{prefix}-{index}"] = {
            "type": "ims-record:index:LiveRecordJob",
            "properties": {
                "streamInput": {"url": f"rtmp://127.0.0.1:1/live/{prefix}-{index}"},
                "recordOutput": {"bucket": BUCKET},
                "templateId": "${template.id}",
            },
        }
    return {"name": name, "runtime": "yaml", "resources": resources}
