"""``LiveRecordTemplate``: a custom IMS live-recording template (formats, object names, durations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi.dynamic

from pulumi_ims_record.api import fields
from pulumi_ims_record.provider import LiveRecordTemplateProvider
from pulumi_ims_record.provider._properties import default_names

from ._inputs import LiveRecordTemplateArgs, RecordFormatArgs, RecordFormatArgsDict
from ._props import args_from, nested_list
from ._sdk_workarounds import unnested_provider_pickling


class LiveRecordTemplate(pulumi.dynamic.Resource, module="ims", name="LiveRecordTemplate"):
    """A custom live-recording template of Alibaba Cloud IMS (CreateLiveRecordTemplate).

    Type token ``pulumi-python:dynamic/ims:LiveRecordTemplate``; the resource id is the TemplateId.
    ``name`` and ``record_formats`` update in place (UpdateLiveRecordTemplate); destroy deletes the template
    (jobs already submitted keep the snapshot they started with).

    ```python
    template = LiveRecordTemplate(
        "hls",
        name="hls-30s",
        record_formats=[RecordFormatArgs(
            format="m3u8",
            oss_object_prefix="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
            slice_oss_object_prefix="record/{JobId}/{UnixTimestamp}_{Sequence}",
            slice_duration=30,
        )],
    )
    ```
    """

    name: pulumi.Output[str]
    """The template name."""
    record_formats: pulumi.Output[list[dict[str, Any]]]
    """The formats as stored by the service, defaults filled in (snake_case dicts)."""
    adopt_template_id: pulumi.Output[str | None]
    """The adopted template id, when the template was adopted rather than created."""
    template_id: pulumi.Output[str]
    """The TemplateId (same as ``id``)."""
    type: pulumi.Output[str]
    """``custom`` for templates made here; ``system`` for an adopted preset."""
    create_time: pulumi.Output[str]
    """When the template was created, UTC ``yyyy-MM-ddTHH:mm:ssZ``."""
    last_modified: pulumi.Output[str]
    """When the template last changed, UTC."""
    adopted: pulumi.Output[bool]
    """True when create tracked an existing template instead of creating one."""

    def __init__(
        self,
        resource_name: str,
        args: LiveRecordTemplateArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        name: pulumi.Input[str] | None = None,
        record_formats: pulumi.Input[Sequence[pulumi.Input[RecordFormatArgs | RecordFormatArgsDict]]]
        | None = None,
        adopt_template_id: pulumi.Input[str] | None = None,
    ) -> None:
        """
        :param resource_name: The Pulumi resource name; also the template name when ``name`` is not given.
        :param args: The arguments as one ``LiveRecordTemplateArgs`` (or pass them as keyword arguments).
        :param opts: Options of the resource.
        """
        resolved: LiveRecordTemplateArgs = args_from(
            args,
            LiveRecordTemplateArgs,
            {"name": name, "record_formats": record_formats, "adopt_template_id": adopt_template_id},
        )
        props: dict[str, Any] = {
            "name": resolved.name,
            "record_formats": nested_list(resolved.record_formats, fields.RecordFormat.snake_names()),
            "adopt_template_id": resolved.adopt_template_id,
            # Output-only properties: listed with None so the resource exposes them.
            "template_id": None,
            "type": None,
            "create_time": None,
            "last_modified": None,
            "adopted": None,
        }
        props = default_names("LiveRecordTemplate", resource_name, props, {})  # the name: the resource's
        with unnested_provider_pickling():
            super().__init__(LiveRecordTemplateProvider(), resource_name, props, opts)
