"""The look-ups in the program, in the style of pulumi-alicloud's Python SDK:
``get_live_record_template(...)`` returns a typed result, ``get_live_record_template_output(...)`` takes
``Input``s and returns an ``Output`` of it (and the same for ``get_live_record_job`` and
``get_live_record_files``).

A dynamic provider has no functions, so these run the provider core's look-ups (``provider/lookups.py``, the
same the native package's functions serve) in the program itself, with the settings the resources use: the
stack config ``ims-record:*`` then ``alicloud:*``, then the environment. Like the resources' ``check``, the
arguments are checked before any API call, and every failure is one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime

from pulumi_ims_record.provider import ProviderError, ProviderSettings
from pulumi_ims_record.provider.lookups import FilesLookup, JobLookup, Lookup, TemplateLookup

__all__ = [
    "GetLiveRecordFilesResult",
    "GetLiveRecordJobResult",
    "GetLiveRecordTemplateResult",
    "get_live_record_files",
    "get_live_record_files_output",
    "get_live_record_job",
    "get_live_record_job_output",
    "get_live_record_template",
    "get_live_record_template_output",
]


class _StackConfig:
    """``get("ims-record:endpoint")`` over the program's stack config, as the provider reads its own."""

    @staticmethod
    def get(key: str) -> str | None:
        value = pulumi.runtime.get_config(key)
        return None if value is None else str(value)


def _look_up(kind: type[Lookup], args: Mapping[str, Any]) -> dict[str, Any]:
    """The look-up's answer; its failure ends the program with that one line (``pulumi.RunError``: no
    Python stack under it)."""
    given = {key: value for key, value in args.items() if value is not None}
    lookup = kind()
    failures = lookup.check_args(given)
    if failures:
        raise pulumi.RunError(f"{kind.kind}: " + "; ".join(f"{path}: {rule}" for path, rule in failures))
    lookup.use_settings(ProviderSettings.from_config(_StackConfig()))
    try:
        return lookup.lookup(given)
    except ProviderError as error:
        raise pulumi.RunError(str(error)) from None
    finally:
        lookup.close()


# --- getLiveRecordTemplate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GetLiveRecordTemplateResult:
    """A recording template, as ``LiveRecordTemplate``'s outputs name its properties."""

    template_id: str
    name: str
    type: str
    record_formats: list[dict[str, Any]]
    create_time: str | None = None
    last_modified: str | None = None


def get_live_record_template(
    template_id: str | None = None, name: str | None = None, opts: pulumi.InvokeOptions | None = None
) -> GetLiveRecordTemplateResult:
    """A template, a system one included: by ``template_id``, or by its exact ``name`` (exactly one template
    may have it; none or several fail with the count)."""
    return GetLiveRecordTemplateResult(**_look_up(TemplateLookup, {"template_id": template_id, "name": name}))


def get_live_record_template_output(
    template_id: pulumi.Input[str | None] = None,
    name: pulumi.Input[str | None] = None,
    opts: pulumi.InvokeOptions | None = None,
) -> pulumi.Output[GetLiveRecordTemplateResult]:
    """``get_live_record_template`` with ``Input`` arguments."""
    return pulumi.Output.all(template_id, name).apply(lambda args: get_live_record_template(*args))


# --- getLiveRecordJob -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GetLiveRecordJobResult:
    """A recording job. ``stream_input`` may hold a token: the ``_output`` form keeps the result secret."""

    job_id: str
    name: str
    status: str
    stream_input: dict[str, Any]
    record_output: dict[str, Any]
    template_id: str
    template_name: str | None = None
    notify_url: str | None = None
    create_time: str | None = None


def get_live_record_job(job_id: str, opts: pulumi.InvokeOptions | None = None) -> GetLiveRecordJobResult:
    """A job by its JobId (one this stack did not submit, too)."""
    return GetLiveRecordJobResult(**_look_up(JobLookup, {"job_id": job_id}))


def get_live_record_job_output(
    job_id: pulumi.Input[str], opts: pulumi.InvokeOptions | None = None
) -> pulumi.Output[GetLiveRecordJobResult]:
    """``get_live_record_job`` with an ``Input`` argument; the result is a secret (its stream URL may hold a
    token)."""
    return pulumi.Output.secret(pulumi.Output.from_input(job_id).apply(get_live_record_job))


# --- getLiveRecordFiles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GetLiveRecordFilesResult:
    """The recordings, oldest first: each ``record_id``, ``job_id``, ``job_name``, ``format``, ``record_url``
    (where it plays), ``start_time``, ``end_time``, ``duration``, ``width``, ``height``, ``create_time``."""

    files: list[dict[str, Any]] = field(default_factory=list)


def get_live_record_files(
    job_ids: list[str],
    start_time: str,
    end_time: str,
    format: str | None = None,
    opts: pulumi.InvokeOptions | None = None,
) -> GetLiveRecordFilesResult:
    """The recordings of these jobs between ``start_time`` and ``end_time`` (UTC, ``2026-12-07T08:00:00Z``;
    any span: every page of every 4-day window the API allows), of one ``format`` if given."""
    args = {"job_ids": job_ids, "start_time": start_time, "end_time": end_time, "format": format}
    return GetLiveRecordFilesResult(**_look_up(FilesLookup, args))


def get_live_record_files_output(
    job_ids: pulumi.Input[list[str]],
    start_time: pulumi.Input[str],
    end_time: pulumi.Input[str],
    format: pulumi.Input[str | None] = None,
    opts: pulumi.InvokeOptions | None = None,
) -> pulumi.Output[GetLiveRecordFilesResult]:
    """``get_live_record_files`` with ``Input`` arguments."""
    return pulumi.Output.all(job_ids, start_time, end_time, format).apply(
        lambda args: get_live_record_files(*args)
    )
