"""Input types of the resources, in the style of pulumi-alicloud's Python SDK: each ``*Args`` class has a
``*ArgsDict`` twin, and either form (or a plain dict with the same snake_case keys) is accepted.

Every property is a ``pulumi.Input``: a plain value, or an ``Output`` of another resource (for example
``bucket.bucket`` of a ``pulumi_alicloud.oss.Bucket``). Defaults are written in each docstring and applied by
the provider's ``check`` (so ``pulumi preview`` shows them).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pulumi

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired, TypedDict

__all__ = [
    "LiveRecordJobArgs",
    "LiveRecordJobArgsDict",
    "LiveRecordTemplateArgs",
    "LiveRecordTemplateArgsDict",
    "RecordFormatArgs",
    "RecordFormatArgsDict",
    "RecordOutputArgs",
    "RecordOutputArgsDict",
    "StreamInputArgs",
    "StreamInputArgsDict",
]


class StreamInputArgsDict(TypedDict):
    """The live stream a job records, as a plain dict."""

    url: pulumi.Input[str]
    """
    The stream to pull, an ``rtmp://`` URL such as ``rtmp://example.com/live/stream1``. It may carry an
    auth token: pass it as a secret (``pulumi.Output.secret``, or a secret config value) and it stays
    encrypted in state.
    """
    type: NotRequired[pulumi.Input[str] | None]
    """
    The stream protocol. Default ``rtmp`` (the only one the service supports).
    """


@pulumi.input_type
class StreamInputArgs:
    """The live stream a job records."""

    def __init__(
        self,
        *,
        url: pulumi.Input[str],
        type: pulumi.Input[str] | None = None,
    ) -> None:
        pulumi.set(self, "url", url)
        if type is not None:
            pulumi.set(self, "type", type)

    @property
    @pulumi.getter
    def url(self) -> pulumi.Input[str]:
        """
        The stream to pull, an ``rtmp://`` URL such as ``rtmp://example.com/live/stream1``. It may
        carry an auth token: pass it as a secret (``pulumi.Output.secret``, or a secret config value)
        and it stays encrypted in state.
        """
        return pulumi.get(self, "url")  # type: ignore[no-any-return]

    @url.setter
    def url(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "url", value)

    @property
    @pulumi.getter
    def type(self) -> pulumi.Input[str] | None:
        """
        The stream protocol. Default ``rtmp`` (the only one the service supports).
        """
        return pulumi.get(self, "type")  # type: ignore[no-any-return]

    @type.setter
    def type(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "type", value)


class RecordOutputArgsDict(TypedDict):
    """Where a job stores its recordings, as a plain dict."""

    bucket: pulumi.Input[str]
    """
    For ``oss``: the OSS bucket name (e.g. ``bucket.bucket`` of a ``pulumi_alicloud.oss.Bucket``). For
    ``vod``: the VOD storage location.
    """
    endpoint: NotRequired[pulumi.Input[str] | None]
    """
    The storage endpoint, e.g. ``oss-cn-shanghai.aliyuncs.com`` (``bucket.extranet_endpoint``). Default:
    unset, the service's choice.
    """
    type: NotRequired[pulumi.Input[str] | None]
    """
    The storage type: ``oss`` (default) or ``vod``.
    """


@pulumi.input_type
class RecordOutputArgs:
    """Where a job stores its recordings."""

    def __init__(
        self,
        *,
        bucket: pulumi.Input[str],
        endpoint: pulumi.Input[str] | None = None,
        type: pulumi.Input[str] | None = None,
    ) -> None:
        pulumi.set(self, "bucket", bucket)
        if endpoint is not None:
            pulumi.set(self, "endpoint", endpoint)
        if type is not None:
            pulumi.set(self, "type", type)

    @property
    @pulumi.getter
    def bucket(self) -> pulumi.Input[str]:
        """
        For ``oss``: the OSS bucket name (e.g. ``bucket.bucket`` of a ``pulumi_alicloud.oss.Bucket``).
        For ``vod``: the VOD storage location.
        """
        return pulumi.get(self, "bucket")  # type: ignore[no-any-return]

    @bucket.setter
    def bucket(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "bucket", value)

    @property
    @pulumi.getter
    def endpoint(self) -> pulumi.Input[str] | None:
        """
        The storage endpoint, e.g. ``oss-cn-shanghai.aliyuncs.com`` (``bucket.extranet_endpoint``).
        Default: unset, the service's choice.
        """
        return pulumi.get(self, "endpoint")  # type: ignore[no-any-return]

    @endpoint.setter
    def endpoint(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "endpoint", value)

    @property
    @pulumi.getter
    def type(self) -> pulumi.Input[str] | None:
        """
        The storage type: ``oss`` (default) or ``vod``.
        """
        return pulumi.get(self, "type")  # type: ignore[no-any-return]

    @type.setter
    def type(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "type", value)


class RecordFormatArgsDict(TypedDict):
    """One output format of a recording template, as a plain dict."""

    format: pulumi.Input[str]
    """
    ``m3u8`` (HLS), ``mp4`` or ``flv``. Each format may appear once per template.
    """
    oss_object_prefix: NotRequired[pulumi.Input[str] | None]
    """
    Object name of each recording, shorter than 256 bytes. Variables: ``{JobId}``, ``{Sequence}``,
    ``{StartTime}``, ``{EndTime}``, ``{EscapedStartTime}``, ``{EscapedEndTime}``; it must contain a start-
    time and an end-time variable, e.g. ``record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}``.
    Default: unset, the service's default name.
    """
    slice_oss_object_prefix: NotRequired[pulumi.Input[str] | None]
    """
    m3u8 only, and required for it: object name of each TS segment, shorter than 256 bytes, containing
    ``{UnixTimestamp}`` and ``{Sequence}`` (``{JobId}`` allowed), e.g.
    ``record/{JobId}/{UnixTimestamp}_{Sequence}``.
    """
    slice_duration: NotRequired[pulumi.Input[int] | None]
    """
    m3u8 only: segment length in seconds, 5–30. Default 30.
    """
    cycle_duration: NotRequired[pulumi.Input[int] | None]
    """
    Seconds after which a new file is started, 5–21600. Default 21600 (6 hours).
    """


@pulumi.input_type
class RecordFormatArgs:
    """One output format of a recording template."""

    def __init__(
        self,
        *,
        format: pulumi.Input[str],
        oss_object_prefix: pulumi.Input[str] | None = None,
        slice_oss_object_prefix: pulumi.Input[str] | None = None,
        slice_duration: pulumi.Input[int] | None = None,
        cycle_duration: pulumi.Input[int] | None = None,
    ) -> None:
        pulumi.set(self, "format", format)
        if oss_object_prefix is not None:
            pulumi.set(self, "oss_object_prefix", oss_object_prefix)
        if slice_oss_object_prefix is not None:
            pulumi.set(self, "slice_oss_object_prefix", slice_oss_object_prefix)
        if slice_duration is not None:
            pulumi.set(self, "slice_duration", slice_duration)
        if cycle_duration is not None:
            pulumi.set(self, "cycle_duration", cycle_duration)

    @property
    @pulumi.getter
    def format(self) -> pulumi.Input[str]:
        """
        ``m3u8`` (HLS), ``mp4`` or ``flv``. Each format may appear once per template.
        """
        return pulumi.get(self, "format")  # type: ignore[no-any-return]

    @format.setter
    def format(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "format", value)

    @property
    @pulumi.getter
    def oss_object_prefix(self) -> pulumi.Input[str] | None:
        """
        Object name of each recording, shorter than 256 bytes. Variables: ``{JobId}``, ``{Sequence}``,
        ``{StartTime}``, ``{EndTime}``, ``{EscapedStartTime}``, ``{EscapedEndTime}``; it must contain
        a start-time and an end-time variable, e.g.
        ``record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}``. Default: unset, the
        service's default name.
        """
        return pulumi.get(self, "oss_object_prefix")  # type: ignore[no-any-return]

    @oss_object_prefix.setter
    def oss_object_prefix(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "oss_object_prefix", value)

    @property
    @pulumi.getter
    def slice_oss_object_prefix(self) -> pulumi.Input[str] | None:
        """
        m3u8 only, and required for it: object name of each TS segment, shorter than 256 bytes,
        containing ``{UnixTimestamp}`` and ``{Sequence}`` (``{JobId}`` allowed), e.g.
        ``record/{JobId}/{UnixTimestamp}_{Sequence}``.
        """
        return pulumi.get(self, "slice_oss_object_prefix")  # type: ignore[no-any-return]

    @slice_oss_object_prefix.setter
    def slice_oss_object_prefix(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "slice_oss_object_prefix", value)

    @property
    @pulumi.getter
    def slice_duration(self) -> pulumi.Input[int] | None:
        """
        m3u8 only: segment length in seconds, 5–30. Default 30.
        """
        return pulumi.get(self, "slice_duration")  # type: ignore[no-any-return]

    @slice_duration.setter
    def slice_duration(self, value: pulumi.Input[int] | None) -> None:
        pulumi.set(self, "slice_duration", value)

    @property
    @pulumi.getter
    def cycle_duration(self) -> pulumi.Input[int] | None:
        """
        Seconds after which a new file is started, 5–21600. Default 21600 (6 hours).
        """
        return pulumi.get(self, "cycle_duration")  # type: ignore[no-any-return]

    @cycle_duration.setter
    def cycle_duration(self, value: pulumi.Input[int] | None) -> None:
        pulumi.set(self, "cycle_duration", value)


class LiveRecordTemplateArgsDict(TypedDict):
    """The arguments of a ``LiveRecordTemplate``, as a plain dict."""

    record_formats: pulumi.Input[Sequence[pulumi.Input[RecordFormatArgsDict]]]
    """
    The output formats, at least one; each format (m3u8, mp4, flv) at most once. Changing them updates the
    template in place (jobs already submitted keep the snapshot they started with).
    """
    name: NotRequired[pulumi.Input[str] | None]
    """
    The template name, 1–128 characters. Default: the resource name. Updates in place.
    """
    adopt_template_id: NotRequired[pulumi.Input[str] | None]
    """
    Track this existing template instead of creating one (``pulumi import`` does not work for dynamic
    resources). Create verifies it exists and matches ``name`` and ``record_formats`` and fails listing
    the differences otherwise. Default: unset, create a new template.
    """


@pulumi.input_type
class LiveRecordTemplateArgs:
    """The arguments of a ``LiveRecordTemplate``."""

    def __init__(
        self,
        *,
        record_formats: pulumi.Input[Sequence[pulumi.Input[RecordFormatArgs | RecordFormatArgsDict]]],
        name: pulumi.Input[str] | None = None,
        adopt_template_id: pulumi.Input[str] | None = None,
    ) -> None:
        pulumi.set(self, "record_formats", record_formats)
        if name is not None:
            pulumi.set(self, "name", name)
        if adopt_template_id is not None:
            pulumi.set(self, "adopt_template_id", adopt_template_id)

    @property
    @pulumi.getter
    def record_formats(self) -> pulumi.Input[Sequence[pulumi.Input[RecordFormatArgs | RecordFormatArgsDict]]]:
        """
        The output formats, at least one; each format (m3u8, mp4, flv) at most once. Changing them
        updates the template in place (jobs already submitted keep the snapshot they started with).
        """
        return pulumi.get(self, "record_formats")  # type: ignore[no-any-return]

    @record_formats.setter
    def record_formats(
        self, value: pulumi.Input[Sequence[pulumi.Input[RecordFormatArgs | RecordFormatArgsDict]]]
    ) -> None:
        pulumi.set(self, "record_formats", value)

    @property
    @pulumi.getter
    def name(self) -> pulumi.Input[str] | None:
        """
        The template name, 1–128 characters. Default: the resource name. Updates in place.
        """
        return pulumi.get(self, "name")  # type: ignore[no-any-return]

    @name.setter
    def name(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "name", value)

    @property
    @pulumi.getter
    def adopt_template_id(self) -> pulumi.Input[str] | None:
        """
        Track this existing template instead of creating one (``pulumi import`` does not work for
        dynamic resources). Create verifies it exists and matches ``name`` and ``record_formats`` and
        fails listing the differences otherwise. Default: unset, create a new template.
        """
        return pulumi.get(self, "adopt_template_id")  # type: ignore[no-any-return]

    @adopt_template_id.setter
    def adopt_template_id(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "adopt_template_id", value)


class LiveRecordJobArgsDict(TypedDict):
    """The arguments of a ``LiveRecordJob``, as a plain dict."""

    stream_input: pulumi.Input[StreamInputArgsDict]
    """
    The stream to record. Changing it replaces the job.
    """
    record_output: pulumi.Input[RecordOutputArgsDict]
    """
    Where recordings go. Changing it replaces the job.
    """
    template_id: pulumi.Input[str]
    """
    The recording template, e.g. ``template.id`` of a ``LiveRecordTemplate`` or a system template id.
    Changing it replaces the job.
    """
    name: NotRequired[pulumi.Input[str] | None]
    """
    The job name, 1–128 characters. Default: the resource name. Changing it replaces the job.
    """
    notify_url: NotRequired[pulumi.Input[str] | None]
    """
    An ``http(s)://`` URL the service calls back on recording events. May carry a token: pass it as a
    secret and it stays encrypted in state. Default: unset. Changing it replaces the job.
    """
    adopt_job_id: NotRequired[pulumi.Input[str] | None]
    """
    Track this existing job instead of submitting one. Create verifies it exists and matches the declared
    inputs and fails listing the differences otherwise. Default: unset.
    """
    wait_for_status: NotRequired[pulumi.Input[str] | None]
    """
    Make create wait until the job reports this status (``initial``, ``started`` or ``paused``;
    ``started`` means the stream is being recorded). Default: unset, do not wait. Changing it never
    touches the job.
    """
    wait_timeout_seconds: NotRequired[pulumi.Input[int] | None]
    """
    How long create waits for ``wait_for_status``, 1–3600 seconds; on timeout it fails naming the last
    status seen. Default 300.
    """
    delete_recordings_on_destroy: NotRequired[pulumi.Input[bool] | None]
    """
    When the job is destroyed (or replaced), also delete its recording files and their stored objects
    (ListLiveRecordFiles + DeleteLiveRecordFiles with RemoveFile). Default ``False``: recordings are kept.
    Changing it never touches the job.
    """


@pulumi.input_type
class LiveRecordJobArgs:
    """The arguments of a ``LiveRecordJob``."""

    def __init__(
        self,
        *,
        stream_input: pulumi.Input[StreamInputArgs | StreamInputArgsDict],
        record_output: pulumi.Input[RecordOutputArgs | RecordOutputArgsDict],
        template_id: pulumi.Input[str],
        name: pulumi.Input[str] | None = None,
        notify_url: pulumi.Input[str] | None = None,
        adopt_job_id: pulumi.Input[str] | None = None,
        wait_for_status: pulumi.Input[str] | None = None,
        wait_timeout_seconds: pulumi.Input[int] | None = None,
        delete_recordings_on_destroy: pulumi.Input[bool] | None = None,
    ) -> None:
        pulumi.set(self, "stream_input", stream_input)
        pulumi.set(self, "record_output", record_output)
        pulumi.set(self, "template_id", template_id)
        if name is not None:
            pulumi.set(self, "name", name)
        if notify_url is not None:
            pulumi.set(self, "notify_url", notify_url)
        if adopt_job_id is not None:
            pulumi.set(self, "adopt_job_id", adopt_job_id)
        if wait_for_status is not None:
            pulumi.set(self, "wait_for_status", wait_for_status)
        if wait_timeout_seconds is not None:
            pulumi.set(self, "wait_timeout_seconds", wait_timeout_seconds)
        if delete_recordings_on_destroy is not None:
            pulumi.set(self, "delete_recordings_on_destroy", delete_recordings_on_destroy)

    @property
    @pulumi.getter
    def stream_input(self) -> pulumi.Input[StreamInputArgs | StreamInputArgsDict]:
        """
        The stream to record. Changing it replaces the job.
        """
        return pulumi.get(self, "stream_input")  # type: ignore[no-any-return]

    @stream_input.setter
    def stream_input(self, value: pulumi.Input[StreamInputArgs | StreamInputArgsDict]) -> None:
        pulumi.set(self, "stream_input", value)

    @property
    @pulumi.getter
    def record_output(self) -> pulumi.Input[RecordOutputArgs | RecordOutputArgsDict]:
        """
        Where recordings go. Changing it replaces the job.
        """
        return pulumi.get(self, "record_output")  # type: ignore[no-any-return]

    @record_output.setter
    def record_output(self, value: pulumi.Input[RecordOutputArgs | RecordOutputArgsDict]) -> None:
        pulumi.set(self, "record_output", value)

    @property
    @pulumi.getter
    def template_id(self) -> pulumi.Input[str]:
        """
        The recording template, e.g. ``template.id`` of a ``LiveRecordTemplate`` or a system template
        id. Changing it replaces the job.
        """
        return pulumi.get(self, "template_id")  # type: ignore[no-any-return]

    @template_id.setter
    def template_id(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "template_id", value)

    @property
    @pulumi.getter
    def name(self) -> pulumi.Input[str] | None:
        """
        The job name, 1–128 characters. Default: the resource name. Changing it replaces the job.
        """
        return pulumi.get(self, "name")  # type: ignore[no-any-return]

    @name.setter
    def name(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "name", value)

    @property
    @pulumi.getter
    def notify_url(self) -> pulumi.Input[str] | None:
        """
        An ``http(s)://`` URL the service calls back on recording events. May carry a token: pass it
        as a secret and it stays encrypted in state. Default: unset. Changing it replaces the job.
        """
        return pulumi.get(self, "notify_url")  # type: ignore[no-any-return]

    @notify_url.setter
    def notify_url(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "notify_url", value)

    @property
    @pulumi.getter
    def adopt_job_id(self) -> pulumi.Input[str] | None:
        """
        Track this existing job instead of submitting one. Create verifies it exists and matches the
        declared inputs and fails listing the differences otherwise. Default: unset.
        """
        return pulumi.get(self, "adopt_job_id")  # type: ignore[no-any-return]

    @adopt_job_id.setter
    def adopt_job_id(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "adopt_job_id", value)

    @property
    @pulumi.getter
    def wait_for_status(self) -> pulumi.Input[str] | None:
        """
        Make create wait until the job reports this status (``initial``, ``started`` or ``paused``;
        ``started`` means the stream is being recorded). Default: unset, do not wait. Changing it
        never touches the job.
        """
        return pulumi.get(self, "wait_for_status")  # type: ignore[no-any-return]

    @wait_for_status.setter
    def wait_for_status(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "wait_for_status", value)

    @property
    @pulumi.getter
    def wait_timeout_seconds(self) -> pulumi.Input[int] | None:
        """
        How long create waits for ``wait_for_status``, 1–3600 seconds; on timeout it fails naming the
        last status seen. Default 300.
        """
        return pulumi.get(self, "wait_timeout_seconds")  # type: ignore[no-any-return]

    @wait_timeout_seconds.setter
    def wait_timeout_seconds(self, value: pulumi.Input[int] | None) -> None:
        pulumi.set(self, "wait_timeout_seconds", value)

    @property
    @pulumi.getter
    def delete_recordings_on_destroy(self) -> pulumi.Input[bool] | None:
        """
        When the job is destroyed (or replaced), also delete its recording files and their stored
        objects (ListLiveRecordFiles + DeleteLiveRecordFiles with RemoveFile). Default ``False``:
        recordings are kept. Changing it never touches the job.
        """
        return pulumi.get(self, "delete_recordings_on_destroy")  # type: ignore[no-any-return]

    @delete_recordings_on_destroy.setter
    def delete_recordings_on_destroy(self, value: pulumi.Input[bool] | None) -> None:
        pulumi.set(self, "delete_recordings_on_destroy", value)
