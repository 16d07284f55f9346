"""The package's functions (look-ups, no resource): ``getLiveRecordTemplate``, ``getLiveRecordJob`` and
``getLiveRecordFiles``.

Like a resource's ``check``, a look-up first checks its arguments and names each bad one without calling the
API; then it reads. Its answer has the properties the resource of the same object has (a template's: id,
name, type, times, formats), so a stack can use a template it did not declare (a system one, another
team's) the way it uses its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_ims_record.api import rules
from pulumi_ims_record.ice import IceError, LiveRecordFile, LiveRecordTemplate, NotFoundError

from ._base import ProviderBase
from ._checks import Failures
from ._jobs import files_in_window, job_outputs
from .template import formats_from_api


class Lookup(ProviderBase):
    """A function: ``check_args`` (no API call), then ``lookup``; ``kind`` is the function's name."""

    def check_args(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        raise NotImplementedError

    def lookup(self, args: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class TemplateLookup(Lookup):
    """``getLiveRecordTemplate``: a template by ``template_id``, or by its exact ``name``."""

    kind = "getLiveRecordTemplate"

    def check_args(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The arguments' failures, as ``(path, rule)``; no API call."""
        failures = Failures()
        failures.unknown_keys(args, ("template_id", "name"))
        template_id = failures.string(
            "template_id", args.get("template_id"), required=False, rule=rules.id_rule
        )
        name = failures.string("name", args.get("name"), required=False, rule=rules.name_rule)
        if (template_id is None) == (name is None) and not failures.items:
            failures.add("template_id", "give templateId or name (one of them)")
        return failures.items

    def lookup(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """The template's properties; a ``ProviderError`` when there is none (or, by name, more than one)."""
        template_id, name = args.get("template_id"), args.get("name")
        client = self.client()
        try:
            if template_id:
                template = client.get_live_record_template(template_id=str(template_id)).record_template
            else:
                template = self._one_named(str(name))
        except NotFoundError:
            self.fail(repr(template_id), "no such template")
        except IceError as exc:
            self.fail(repr(template_id or name), exc)
        return template_outputs(template)

    def _one_named(self, name: str) -> LiveRecordTemplate:
        # The keyword search is fuzzy and also matches ids: keep the exact names only.
        named = [item for item in self.client().iter_live_record_templates(keyword=name) if item.name == name]
        if len(named) != 1:
            ids = f": {', '.join(item.template_id for item in named)}" if named else ""
            self.fail(
                f"name {name!r}",
                f"{len(named)} templates have this name{ids}; exactly one must (or look it up by templateId)",
            )
        return named[0]


class JobLookup(Lookup):
    """``getLiveRecordJob``: a job by ``job_id``."""

    kind = "getLiveRecordJob"

    def check_args(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        failures = Failures()
        failures.unknown_keys(args, ("job_id",))
        failures.string("job_id", args.get("job_id"), required=True, rule=rules.id_rule)
        return failures.items

    def lookup(self, args: Mapping[str, Any]) -> dict[str, Any]:
        job_id = str(args["job_id"])
        try:
            job = self.client().get_live_record_job(job_id=job_id).record_job
        except NotFoundError:
            self.fail(repr(job_id), "no such job")
        except IceError as exc:
            self.fail(repr(job_id), exc)
        outputs = job_outputs(job, {}, "")
        outputs.pop("origin", None)  # how a resource got its job; a look-up got it by id
        return outputs


class FilesLookup(Lookup):
    """``getLiveRecordFiles``: the recordings of jobs in a time window, every page of every 4-day window."""

    kind = "getLiveRecordFiles"

    def check_args(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        failures = Failures()
        failures.unknown_keys(args, ("job_ids", "start_time", "end_time", "format"))
        job_ids = args.get("job_ids")
        if not isinstance(job_ids, list | tuple) or not job_ids:
            failures.add("job_ids", "must be a non-empty list of JobIds")
        else:
            for index, job_id in enumerate(job_ids):
                failures.string(f"job_ids[{index}]", job_id, required=True, rule=rules.id_rule)
        times = [
            failures.string(key, args.get(key), required=True, rule=_utc_time_rule)
            for key in ("start_time", "end_time")
        ]
        start, end = (rules.parse_utc_time(value) if isinstance(value, str) else None for value in times)
        if start is not None and end is not None and end <= start:
            failures.add("end_time", f"must be after startTime (got {args.get('end_time')})")
        if args.get("format") is not None:
            failures.choice("format", args.get("format"), rules.RECORD_FORMATS, None)
        return failures.items

    def lookup(self, args: Mapping[str, Any]) -> dict[str, Any]:
        job_ids = [str(job_id) for job_id in args["job_ids"]]
        start, end = (rules.parse_utc_time(str(args[key])) for key in ("start_time", "end_time"))
        assert start is not None and end is not None  # check_args said so
        fmt = args.get("format")
        try:
            found = list(
                files_in_window(
                    self.client(), job_ids, start, end, record_format=str(fmt).lower() if fmt else None
                )
            )
        except IceError as exc:
            self.fail(f"of {', '.join(job_ids[:5])}", exc)
        found.sort(key=lambda item: (item.start_time or "", item.record_id))
        return {"files": [file_outputs(item) for item in found]}


def _utc_time_rule(value: str) -> str | None:
    return (
        None if rules.parse_utc_time(value) else f"must be a UTC time like 2026-12-07T08:00:00Z (got {value})"
    )


def file_outputs(item: LiveRecordFile) -> dict[str, Any]:
    """A recording as getLiveRecordFiles returns it (no stream URL: it may hold a token)."""
    values = {
        "record_id": item.record_id,
        "job_id": item.job_id,
        "job_name": item.job_name,
        "format": item.format,
        "record_url": item.record_url,
        "start_time": item.start_time,
        "end_time": item.end_time,
        "duration": item.duration,
        "width": item.width,
        "height": item.height,
        "create_time": item.create_time,
    }
    return {key: value for key, value in values.items() if value is not None}


LOOKUPS: tuple[type[Lookup], ...] = (TemplateLookup, JobLookup, FilesLookup)


def template_outputs(template: LiveRecordTemplate) -> dict[str, Any]:
    """A template's properties as the resource's outputs name them."""
    values = {
        "template_id": template.template_id,
        "name": template.name,
        "type": template.type,
        "create_time": template.create_time,
        "last_modified": template.last_modified,
        "record_formats": formats_from_api(template.record_formats, None),
    }
    return {key: value for key, value in values.items() if value is not None}


__all__ = [
    "LOOKUPS",
    "FilesLookup",
    "JobLookup",
    "Lookup",
    "TemplateLookup",
    "file_outputs",
    "template_outputs",
]
