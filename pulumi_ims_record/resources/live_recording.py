"""``LiveRecording``: a bucket (given or created), one template and one job per stream, as one component."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ._inputs import RecordFormatArgs, RecordFormatArgsDict, RecordOutputArgs, StreamInputArgs
from .live_record_job import LiveRecordJob
from .live_record_template import LiveRecordTemplate

DEFAULT_RECORD_FORMATS: tuple[RecordFormatArgsDict, ...] = (
    {
        "format": "m3u8",
        "oss_object_prefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
        "slice_oss_object_prefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
        "slice_duration": 30,
    },
)
"""HLS with 30-second segments under ``record/<JobId>/`` when no formats are given."""

_STREAM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@pulumi.input_type
class LiveRecordingStreamArgs:
    """One stream of a ``LiveRecording``."""

    def __init__(
        self,
        *,
        key: str,
        url: pulumi.Input[str],
        notify_url: pulumi.Input[str] | None = None,
        job_name: pulumi.Input[str] | None = None,
    ) -> None:
        """
        :param key: Short unique id of the stream inside the component (letters, digits, ``-_.``); the job's
            resource name is ``<component name>-<key>``.
        :param url: The ``rtmp://`` URL to record (pass a secret if it carries a token).
        :param notify_url: Optional callback URL for this stream's job.
        :param job_name: The IMS job name. Default: ``<component name>-<key>``.
        """
        pulumi.set(self, "key", key)
        pulumi.set(self, "url", url)
        if notify_url is not None:
            pulumi.set(self, "notify_url", notify_url)
        if job_name is not None:
            pulumi.set(self, "job_name", job_name)

    @property
    @pulumi.getter
    def key(self) -> str:
        """Short unique id of the stream inside the component."""
        return pulumi.get(self, "key")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def url(self) -> pulumi.Input[str]:
        """The ``rtmp://`` URL to record."""
        return pulumi.get(self, "url")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def notify_url(self) -> pulumi.Input[str] | None:
        """Optional callback URL."""
        return pulumi.get(self, "notify_url")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def job_name(self) -> pulumi.Input[str] | None:
        """The IMS job name."""
        return pulumi.get(self, "job_name")  # type: ignore[no-any-return]


def _stream(value: LiveRecordingStreamArgs | Mapping[str, Any]) -> LiveRecordingStreamArgs:
    if isinstance(value, LiveRecordingStreamArgs):
        return value
    if isinstance(value, Mapping):
        return LiveRecordingStreamArgs(**value)
    raise TypeError(f"streams entries must be LiveRecordingStreamArgs or dicts, not {type(value).__name__}")


class LiveRecording(pulumi.ComponentResource):
    """Record several live streams into one bucket with one template.

    ``bucket`` may be a ``pulumi_alicloud.oss.Bucket`` (its ``bucket`` and ``extranet_endpoint`` are used), a
    plain bucket name (with ``bucket_endpoint``), or omitted: then an ``alicloud.oss.Bucket`` is created as a
    child of the component (``pulumi_alicloud`` is imported only in that case).

    Outputs: ``bucket_name``, ``template_id``, ``job_ids`` (stream key → JobId); the child resources are
    ``template``, ``jobs`` (stream key → ``LiveRecordJob``) and ``bucket`` (when created).
    """

    bucket_name: pulumi.Output[str]
    template_id: pulumi.Output[str]
    job_ids: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        *,
        streams: Sequence[LiveRecordingStreamArgs | Mapping[str, Any]],
        record_formats: Sequence[RecordFormatArgs | RecordFormatArgsDict] | None = None,
        template_name: pulumi.Input[str] | None = None,
        bucket: Any = None,
        bucket_endpoint: pulumi.Input[str] | None = None,
        delete_recordings_on_destroy: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ims-record:index:LiveRecording", resource_name, None, opts)
        entries = [_stream(item) for item in streams]
        seen: set[str] = set()
        for entry in entries:
            if not _STREAM_KEY.match(entry.key) or entry.key in seen:
                raise ValueError(
                    f"LiveRecording {resource_name!r}: stream key {entry.key!r} must be unique and "
                    "made of letters, digits, '-', '_' or '.'"
                )
            seen.add(entry.key)
        child = pulumi.ResourceOptions(parent=self)

        self.bucket: Any = None
        if bucket is None:
            import pulumi_alicloud as alicloud  # only needed when the component creates the bucket

            self.bucket = alicloud.oss.Bucket(f"{resource_name}-recordings", opts=child)
            bucket_name: pulumi.Input[str] = self.bucket.bucket
            endpoint: pulumi.Input[str] | None = self.bucket.extranet_endpoint
        elif isinstance(bucket, str | pulumi.Output):
            bucket_name, endpoint = bucket, bucket_endpoint
        else:  # a pulumi_alicloud.oss.Bucket (or anything shaped like one)
            bucket_name, endpoint = bucket.bucket, bucket_endpoint or bucket.extranet_endpoint

        self.template = LiveRecordTemplate(
            f"{resource_name}-template",
            name=template_name or resource_name,
            record_formats=list(record_formats or DEFAULT_RECORD_FORMATS),
            opts=child,
        )
        self.jobs: dict[str, LiveRecordJob] = {}
        for entry in entries:
            job_resource = f"{resource_name}-{entry.key}"
            self.jobs[entry.key] = LiveRecordJob(
                job_resource,
                name=entry.job_name or job_resource,
                stream_input=StreamInputArgs(url=entry.url),
                record_output=RecordOutputArgs(bucket=bucket_name, endpoint=endpoint),
                template_id=self.template.id,
                notify_url=entry.notify_url,
                delete_recordings_on_destroy=delete_recordings_on_destroy,
                opts=child,
            )
        self.bucket_name = pulumi.Output.from_input(bucket_name)
        self.template_id = self.template.id
        self.job_ids = (
            pulumi.Output.all(**{key: job.id for key, job in self.jobs.items()})
            if self.jobs
            else (pulumi.Output.from_input({}))
        )
        self.register_outputs(
            {"bucket_name": self.bucket_name, "template_id": self.template_id, "job_ids": self.job_ids}
        )
