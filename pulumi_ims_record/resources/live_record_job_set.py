"""``LiveRecordJobSet``: many IMS recording jobs in one resource, submitted with its own bounded concurrency.

The way past the Python dynamic provider's 4 concurrent calls: one engine step for the whole set, and inside
it ``concurrency`` submits at once (see ``docs/resources.md``, "LiveRecordJobSet").
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic

from pulumi_ims_record.api import fields
from pulumi_ims_record.provider._properties import default_entry_name, type_fields
from pulumi_ims_record.provider.job_set import LiveRecordJobSetProvider

from ._inputs import RecordOutputArgs, RecordOutputArgsDict, StreamInputArgs, StreamInputArgsDict
from ._props import args_from, nested_object
from ._sdk_workarounds import unnested_provider_pickling

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired, TypedDict

ENTRY_FIELDS = type_fields("LiveRecordJobSetEntry")


class LiveRecordJobSetEntryArgsDict(TypedDict):
    """One job of a ``LiveRecordJobSet``, as a plain dict."""

    key: str
    """
    The entry's stable identity in the set (a plain string, unique in the set, at most 128 characters).
    Changing an entry's other fields replaces only that entry's job; a new key is a new job.
    """
    stream_input: pulumi.Input[StreamInputArgsDict]
    """
    The stream to record. May be secret (see ``StreamInputArgs.url``): the set's ``jobs`` then stay secret.
    """
    name: NotRequired[pulumi.Input[str] | None]
    """
    The job name, 1–128 characters. Default: ``<set resource name>-<key>``.
    """
    record_output: NotRequired[pulumi.Input[RecordOutputArgsDict] | None]
    """
    Where this job's recordings go. Default: the set's ``record_output``.
    """
    notify_url: NotRequired[pulumi.Input[str] | None]
    """
    An ``http(s)://`` callback URL. Default: unset.
    """


@pulumi.input_type
class LiveRecordJobSetEntryArgs:
    """One job of a ``LiveRecordJobSet``: its ``key`` (stable identity) and the job's inputs."""

    def __init__(
        self,
        *,
        key: str,
        stream_input: pulumi.Input[StreamInputArgs | StreamInputArgsDict],
        name: pulumi.Input[str] | None = None,
        record_output: pulumi.Input[RecordOutputArgs | RecordOutputArgsDict] | None = None,
        notify_url: pulumi.Input[str] | None = None,
    ) -> None:
        pulumi.set(self, "key", key)
        pulumi.set(self, "stream_input", stream_input)
        if name is not None:
            pulumi.set(self, "name", name)
        if record_output is not None:
            pulumi.set(self, "record_output", record_output)
        if notify_url is not None:
            pulumi.set(self, "notify_url", notify_url)

    @property
    @pulumi.getter
    def key(self) -> str:
        """The entry's stable identity in the set (a plain string, unique in the set)."""
        return pulumi.get(self, "key")  # type: ignore[no-any-return]

    @key.setter
    def key(self, value: str) -> None:
        pulumi.set(self, "key", value)

    @property
    @pulumi.getter
    def stream_input(self) -> pulumi.Input[StreamInputArgs | StreamInputArgsDict]:
        """The stream to record."""
        return pulumi.get(self, "stream_input")  # type: ignore[no-any-return]

    @stream_input.setter
    def stream_input(self, value: pulumi.Input[StreamInputArgs | StreamInputArgsDict]) -> None:
        pulumi.set(self, "stream_input", value)

    @property
    @pulumi.getter
    def name(self) -> pulumi.Input[str] | None:
        """The job name. Default: ``<set resource name>-<key>``."""
        return pulumi.get(self, "name")  # type: ignore[no-any-return]

    @name.setter
    def name(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "name", value)

    @property
    @pulumi.getter
    def record_output(self) -> pulumi.Input[RecordOutputArgs | RecordOutputArgsDict] | None:
        """Where this job's recordings go. Default: the set's ``record_output``."""
        return pulumi.get(self, "record_output")  # type: ignore[no-any-return]

    @record_output.setter
    def record_output(self, value: pulumi.Input[RecordOutputArgs | RecordOutputArgsDict] | None) -> None:
        pulumi.set(self, "record_output", value)

    @property
    @pulumi.getter
    def notify_url(self) -> pulumi.Input[str] | None:
        """An ``http(s)://`` callback URL. Default: unset."""
        return pulumi.get(self, "notify_url")  # type: ignore[no-any-return]

    @notify_url.setter
    def notify_url(self, value: pulumi.Input[str] | None) -> None:
        pulumi.set(self, "notify_url", value)


class LiveRecordJobSetArgs:
    """The arguments of a ``LiveRecordJobSet`` (see the resource's keyword arguments)."""

    def __init__(
        self,
        *,
        jobs: Sequence[LiveRecordJobSetEntryArgs | LiveRecordJobSetEntryArgsDict],
        template_id: pulumi.Input[str],
        record_output: pulumi.Input[RecordOutputArgs | RecordOutputArgsDict] | None = None,
        concurrency: pulumi.Input[int] | None = None,
        delete_recordings_on_destroy: pulumi.Input[bool] | None = None,
    ) -> None:
        self.jobs = jobs
        self.template_id = template_id
        self.record_output = record_output
        self.concurrency = concurrency
        self.delete_recordings_on_destroy = delete_recordings_on_destroy


def _entry_value(entry: Any, field: str) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(field)
    return getattr(entry, field, None)


def _entry_object(resource_name: str, entry: Any) -> pulumi.Output[Any] | Any:
    """One entry as an ``Output`` of a plain dict; anything that is not an entry passes on for ``check``."""
    if not isinstance(entry, Mapping) and not isinstance(entry, LiveRecordJobSetEntryArgs):
        return entry
    key = _entry_value(entry, "key")
    name = _entry_value(entry, "name")
    if name is None and key is not None:  # a key known only at deploy time is named once it is known
        name = pulumi.Output.from_input(key).apply(
            lambda known: default_entry_name(resource_name, known) if isinstance(known, str) else None
        )
    values = {
        "key": key,
        "name": name,
        "stream_input": nested_object(_entry_value(entry, "stream_input"), fields.StreamInput.snake_names()),
        "record_output": nested_object(
            _entry_value(entry, "record_output"), fields.RecordOutput.snake_names()
        ),
        "notify_url": _entry_value(entry, "notify_url"),
    }
    if isinstance(entry, Mapping):  # unknown keys go on to check, which names them
        values.update({str(k): v for k, v in entry.items() if k not in ENTRY_FIELDS})
    return pulumi.Output.from_input({field: value for field, value in values.items() if value is not None})


class LiveRecordJobSet(pulumi.dynamic.Resource, module="ims", name="LiveRecordJobSet"):
    """A set of IMS live-recording jobs managed as one resource.

    Type token ``pulumi-python:dynamic/ims:LiveRecordJobSet``. One engine step for the whole set; inside it
    the provider submits up to ``concurrency`` jobs at once (the Python dynamic provider serves at most 4
    resources at once, which bounds an ``up`` of many ``LiveRecordJob`` resources).

    Each entry has a ``key``; adding, removing or changing entries updates the set in place and only touches
    those entries' jobs. As with ``LiveRecordJob``, the service cannot stop a job: a removed or changed
    entry's job is forgotten and **keeps recording until its stream ends** (a warning says so).

    ```python
    jobs = LiveRecordJobSet(
        "cameras",
        template_id=template.id,
        record_output=RecordOutputArgs(bucket=bucket.bucket, endpoint=bucket.extranet_endpoint),
        jobs=[
            LiveRecordJobSetEntryArgs(key="cam1", stream_input=StreamInputArgs(url="rtmp://h/live/cam1")),
            {"key": "cam2", "stream_input": {"url": "rtmp://h/live/cam2"}},
        ],
    )
    pulumi.export("job_ids", jobs.job_ids)
    ```
    """

    # Typed Any: the input is a list of entries, the output a map; the SDK checks values against this type.
    jobs: pulumi.Output[Any]
    """After create, key → the job: ``name``, ``stream_input``, ``record_output``, ``notify_url``,
    ``template_id`` (as the service stores them), ``job_id``, ``status``, ``create_time``, ``template_name``,
    ``origin``. Secret in state when any entry's input was secret."""
    job_ids: pulumi.Output[dict[str, str]]
    """key → JobId."""
    template_id: pulumi.Output[str]
    """The template every job records with."""
    record_output: pulumi.Output[dict[str, Any] | None]
    """The default ``record_output`` of the entries, when given."""
    concurrency: pulumi.Output[int]
    """How many API calls the provider makes at once for this set."""
    delete_recordings_on_destroy: pulumi.Output[bool]
    """Whether destroy deletes the recordings of every job."""

    def __init__(
        self,
        resource_name: str,
        args: LiveRecordJobSetArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        jobs: Sequence[LiveRecordJobSetEntryArgs | LiveRecordJobSetEntryArgsDict] | None = None,
        template_id: pulumi.Input[str] | None = None,
        record_output: pulumi.Input[RecordOutputArgs | RecordOutputArgsDict] | None = None,
        concurrency: pulumi.Input[int] | None = None,
        delete_recordings_on_destroy: pulumi.Input[bool] | None = None,
    ) -> None:
        """
        :param resource_name: The Pulumi resource name; entry job names default to ``<resource_name>-<key>``.
        :param args: The arguments as one ``LiveRecordJobSetArgs`` (or pass them as keyword arguments).
        :param opts: Options of the resource.
        :param jobs: The entries, each with a unique ``key`` (see ``LiveRecordJobSetEntryArgs``).
        :param template_id: The template every entry's job records with.
        :param record_output: Where recordings go, for every entry that does not say.
        :param concurrency: How many API calls the provider makes at once for this set, 1–64. Default 16.
        :param delete_recordings_on_destroy: Whether destroy also deletes every job's recordings. Default
            ``False``.
        """
        resolved: LiveRecordJobSetArgs = args_from(
            args,
            LiveRecordJobSetArgs,
            {
                "jobs": jobs,
                "template_id": template_id,
                "record_output": record_output,
                "concurrency": concurrency,
                "delete_recordings_on_destroy": delete_recordings_on_destroy,
            },
        )
        entries: Any = resolved.jobs
        if isinstance(entries, list | tuple):
            # One Output of the whole list: a secret part makes the whole `jobs` input secret, and the engine
            # then keeps the same-named `jobs` output secret.
            entries = pulumi.Output.all(*[_entry_object(resource_name, entry) for entry in entries])
        props: dict[str, Any] = {
            "jobs": entries,
            "template_id": resolved.template_id,
            "record_output": nested_object(resolved.record_output, fields.RecordOutput.snake_names()),
            "concurrency": resolved.concurrency,
            "delete_recordings_on_destroy": resolved.delete_recordings_on_destroy,
            "job_ids": None,  # output-only
        }
        with unnested_provider_pickling():
            super().__init__(LiveRecordJobSetProvider(), resource_name, props, opts)
