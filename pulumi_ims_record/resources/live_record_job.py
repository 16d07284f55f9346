"""``LiveRecordJob``: an IMS job that records one live stream into OSS (or VOD)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic

from pulumi_ims_record.api import fields
from pulumi_ims_record.provider import LiveRecordJobProvider
from pulumi_ims_record.provider._properties import default_names

from ._inputs import (
    LiveRecordJobArgs,
    RecordOutputArgs,
    RecordOutputArgsDict,
    StreamInputArgs,
    StreamInputArgsDict,
)
from ._props import args_from, nested_object
from ._sdk_workarounds import unnested_provider_pickling


class LiveRecordJob(pulumi.dynamic.Resource, module="ims", name="LiveRecordJob"):
    """A live-stream recording job of Alibaba Cloud IMS (SubmitLiveRecordJob).

    Type token ``pulumi-python:dynamic/ims:LiveRecordJob``; the resource id is the JobId.

    The service cannot update, stop or delete a job. Changing any of ``name``, ``stream_input``,
    ``record_output``, ``template_id`` or ``notify_url`` therefore **replaces** the job, and destroying it
    only removes it from the stack: **the job keeps recording until its stream ends** (a warning says so).
    With ``delete_recordings_on_destroy=True`` destroy also deletes the job's recording files.

    ```python
    job = LiveRecordJob(
        "stage-a",
        stream_input=StreamInputArgs(url="rtmp://example.com/live/stream1"),
        record_output=RecordOutputArgs(bucket=bucket.bucket, endpoint=bucket.extranet_endpoint),
        template_id=template.id,
    )
    ```
    """

    name: pulumi.Output[str]
    """The job name."""
    stream_input: pulumi.Output[dict[str, Any]]
    """``{"type": "rtmp", "url": ...}``; secret in state when the URL was passed as a secret."""
    record_output: pulumi.Output[dict[str, Any]]
    """``{"type": "oss", "bucket": ..., "endpoint": ...}``."""
    template_id: pulumi.Output[str]
    """The template the job records with."""
    notify_url: pulumi.Output[str | None]
    """The callback URL; secret in state when passed as a secret."""
    adopt_job_id: pulumi.Output[str | None]
    """The adopted job id, when given."""
    wait_for_status: pulumi.Output[str | None]
    """The status create waited for, if any."""
    wait_timeout_seconds: pulumi.Output[int]
    """How long create may wait (seconds)."""
    delete_recordings_on_destroy: pulumi.Output[bool]
    """Whether destroy deletes the recordings."""
    job_id: pulumi.Output[str]
    """The JobId (same as ``id``)."""
    status: pulumi.Output[str]
    """``initial``, ``started`` (recording) or ``paused`` (stream interrupted or gone), as last read."""
    create_time: pulumi.Output[str]
    """When the job was submitted, UTC ``yyyy-MM-ddTHH:mm:ssZ``."""
    template_name: pulumi.Output[str]
    """The name of the template the job records with."""
    adopted: pulumi.Output[bool]
    """True when create tracked an existing job instead of submitting a new one (see ``origin``)."""
    origin: pulumi.Output[str]
    """How create got the job: ``submitted``, ``adopted_by_id`` (``adopt_job_id``), ``adopted_recent`` (the
    same job submitted minutes ago, e.g. by an interrupted ``up``) or ``adopted_after_ambiguous_submit``."""

    def __init__(
        self,
        resource_name: str,
        args: LiveRecordJobArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        stream_input: pulumi.Input[StreamInputArgs | StreamInputArgsDict] | None = None,
        record_output: pulumi.Input[RecordOutputArgs | RecordOutputArgsDict] | None = None,
        template_id: pulumi.Input[str] | None = None,
        name: pulumi.Input[str] | None = None,
        notify_url: pulumi.Input[str] | None = None,
        adopt_job_id: pulumi.Input[str] | None = None,
        wait_for_status: pulumi.Input[str] | None = None,
        wait_timeout_seconds: pulumi.Input[int] | None = None,
        delete_recordings_on_destroy: pulumi.Input[bool] | None = None,
    ) -> None:
        """
        :param resource_name: The Pulumi resource name; also the job name when ``name`` is not given.
        :param args: The arguments as one ``LiveRecordJobArgs`` (or pass them as keyword arguments).
        :param opts: Options of the resource.
        """
        resolved: LiveRecordJobArgs = args_from(
            args,
            LiveRecordJobArgs,
            {
                "stream_input": stream_input,
                "record_output": record_output,
                "template_id": template_id,
                "name": name,
                "notify_url": notify_url,
                "adopt_job_id": adopt_job_id,
                "wait_for_status": wait_for_status,
                "wait_timeout_seconds": wait_timeout_seconds,
                "delete_recordings_on_destroy": delete_recordings_on_destroy,
            },
        )
        props: dict[str, Any] = {
            "name": resolved.name,
            "stream_input": nested_object(resolved.stream_input, fields.StreamInput.snake_names()),
            "record_output": nested_object(resolved.record_output, fields.RecordOutput.snake_names()),
            "template_id": resolved.template_id,
            "notify_url": resolved.notify_url,
            "adopt_job_id": resolved.adopt_job_id,
            "wait_for_status": resolved.wait_for_status,
            "wait_timeout_seconds": resolved.wait_timeout_seconds,
            "delete_recordings_on_destroy": resolved.delete_recordings_on_destroy,
            # Output-only properties: listed with None so the resource exposes them.
            "job_id": None,
            "status": None,
            "create_time": None,
            "template_name": None,
            "adopted": None,
            "origin": None,
        }
        props = default_names("LiveRecordJob", resource_name, props, {})  # the name: the resource's
        with unnested_provider_pickling():
            super().__init__(LiveRecordJobProvider(), resource_name, props, opts)
