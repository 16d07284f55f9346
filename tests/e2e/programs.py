"""Pulumi programs the end-to-end tests deploy: a template and jobs, as inline programs or program source."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi

from bench.sweep import BUCKET, HLS_PREFIX, SLICE_PREFIX
from pulumi_ims_record import (
    LiveRecordJob,
    LiveRecordTemplate,
    RecordFormatArgs,
    RecordOutputArgs,
    StreamInputArgs,
)


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
