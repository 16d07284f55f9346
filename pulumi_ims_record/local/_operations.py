"""The ten operations on the wire: decode parameters, call the backend, render the response body.

Parameters arrive merged from the query string and the form body. Nested structures are accepted both as one
JSON string (what the current SDK sends: ``StreamInput={"Type":"rtmp",...}``) and in the legacy flattened form
(``StreamInput.Type=rtmp``, ``RecordFormat.1.Format=m3u8``); arrays of ids as ``JobIds.1=..&JobIds.2=..`` or
as a JSON array string. Booleans are case-insensitive (``True`` from the Python SDK, ``true`` elsewhere).
Response shapes follow ims-api.md §1, including ListLiveRecordFiles' quirks (string PageSize/TotalCount,
RecordOutput as JSON text)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from pulumi_ims_record.local._records import Job, RecordFile, Template
from pulumi_ims_record.local.exceptions import InvalidParameter
from pulumi_ims_record.local.models import Backend, FormText, record_output_json

_INDEX = re.compile(r"[1-9][0-9]{0,5}")
MAX_FLATTENED_ITEMS = 1000


class Params:
    """The request's parameters (first occurrence of a name wins), decoded in the API's shapes."""

    def __init__(self, pairs: Sequence[tuple[str, str]], *, base_url: str | None = None) -> None:
        # Where this client reached the server (from its Host header), for the URLs the answer holds.
        self.base_url = base_url
        self._values: dict[str, str] = {}
        for name, value in pairs:
            self._values.setdefault(name, value)

    def scalar(self, name: str) -> str | None:
        value = self._values.get(name)
        return None if value is None else FormText(value)

    def boolean(self, name: str) -> bool | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise InvalidParameter(name, f"must be true or false, got {value[:20]!r}")
        return lowered == "true"

    def _json(self, name: str) -> object:
        text = self._values[name]
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            detail = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deeply"
            raise InvalidParameter(name, f"malformed JSON ({detail})") from None

    def _flattened(self, name: str) -> dict[str, str]:
        """``{rest: value}`` for every ``name.rest`` key (values as ``FormText``); refuses ``name`` given both
        as one value and flattened."""
        prefix = f"{name}."
        flattened: dict[str, str] = {
            key[len(prefix) :]: FormText(value)
            for key, value in self._values.items()
            if key.startswith(prefix)
        }
        if flattened and name in self._values:
            # Two encodings of one parameter: neither silently wins.
            raise InvalidParameter(name, f"give it either as one value or flattened as {name}.*, not both")
        return flattened

    @staticmethod
    def _indexed(name: str, flattened: dict[str, str]) -> list[tuple[int, str, str]]:
        """``(index, rest, value)`` for keys ``N`` or ``N.rest``, checked to be 1-based decimal indexes."""
        items: list[tuple[int, str, str]] = []
        if len(flattened) > MAX_FLATTENED_ITEMS:
            raise InvalidParameter(name, f"has more than {MAX_FLATTENED_ITEMS} flattened entries")
        for key, value in flattened.items():
            index, _, rest = key.partition(".")
            if not _INDEX.fullmatch(index):
                raise InvalidParameter(f"{name}.{key}", f"expected {name}.N with N = 1, 2, ...")
            items.append((int(index), rest, value))
        return sorted(items)

    def string_list(self, name: str) -> object:
        """``Name.1``, ``Name.2``, ... or ``Name`` as a JSON array (or one plain id); None when absent."""
        flattened = self._flattened(name)
        if name in self._values:
            value = self._values[name]
            return self._json(name) if value.lstrip().startswith("[") else [value]
        items = self._indexed(name, flattened)
        if not items:
            return None
        if any(rest for _, rest, _ in items):
            raise InvalidParameter(name, f"expected {name}.N=value entries")
        return [value for _, _, value in items]

    def json_object(self, name: str) -> object:
        """``Name`` as a JSON object string, or ``Name.Field`` flattened; None when absent."""
        flattened = self._flattened(name)
        if name in self._values:
            return self._json(name) if self._values[name] != "" else ""
        return flattened or None

    def json_object_list(self, name: str) -> object:
        """``Name`` as a JSON array string, or ``Name.N.Field`` flattened; None when absent."""
        flattened = self._flattened(name)
        if name in self._values:
            return self._json(name) if self._values[name] != "" else ""
        items = self._indexed(name, flattened)
        if not items:
            return None
        grouped: dict[int, dict[str, str]] = {}
        for index, rest, value in items:
            if not rest:
                raise InvalidParameter(f"{name}.{index}", f"expected {name}.N.Field=value entries")
            grouped.setdefault(index, {})[rest] = value
        return [grouped[index] for index in sorted(grouped)]


# --- rendering ----------------------------------------------------------------------------------------------


def render_template(template: Template) -> dict[str, Any]:
    formats: list[dict[str, Any]] = []
    for entry in template.formats:
        rendered: dict[str, Any] = {"Format": entry.format}
        if entry.oss_object_prefix is not None:
            rendered["OssObjectPrefix"] = entry.oss_object_prefix
        if entry.slice_oss_object_prefix is not None:
            rendered["SliceOssObjectPrefix"] = entry.slice_oss_object_prefix
        if entry.slice_duration is not None:
            rendered["SliceDuration"] = entry.slice_duration
        if entry.cycle_duration is not None:
            rendered["CycleDuration"] = entry.cycle_duration
        formats.append(rendered)
    return {
        "TemplateId": template.template_id,
        "Name": template.name,
        "Type": template.type,
        "CreateTime": template.create_time,
        "LastModified": template.last_modified,
        "RecordFormatList": formats,
    }


def render_job(job: Job) -> dict[str, Any]:
    output: dict[str, Any] = {"Type": job.output_type, "Bucket": job.bucket}
    if job.endpoint:
        output["Endpoint"] = job.endpoint
    rendered: dict[str, Any] = {
        "JobId": job.job_id,
        "Name": job.name,
        "CreateTime": job.create_time,
        "StreamInput": {"Type": job.stream_type, "Url": job.stream_url},
        "RecordOutput": output,
        "TemplateId": job.template_id,
        "TemplateName": job.template_name,
        "Status": job.status,
    }
    if job.notify_url:
        rendered["NotifyUrl"] = job.notify_url
    return rendered


def render_file(record: RecordFile, backend: Backend, base_url: str | None = None) -> dict[str, Any]:
    return {
        "RecordId": record.record_id,
        "JobId": record.job_id,
        "JobName": record.job_name,
        "StreamUrl": record.stream_url,
        "Format": record.format,
        "RecordUrl": backend.record_url(record.bucket, record.object_key, base_url),
        "StartTime": record.start_time,
        "EndTime": record.end_time,
        "Duration": record.duration,
        "Width": record.width,
        "Height": record.height,
        "CreateTime": record.create_time,
        "RecordOutput": record_output_json(record),
    }


# --- operations ---------------------------------------------------------------------------------------------


def submit_live_record_job(backend: Backend, params: Params) -> dict[str, Any]:
    job = backend.submit_job(
        name=params.scalar("Name"),
        stream_input=params.json_object("StreamInput"),
        record_output=params.json_object("RecordOutput"),
        template_id=params.scalar("TemplateId"),
        notify_url=params.scalar("NotifyUrl"),
    )
    return {"JobId": job.job_id}


def get_live_record_job(backend: Backend, params: Params) -> dict[str, Any]:
    return {"RecordJob": render_job(backend.get_job(params.scalar("JobId")))}


def list_live_record_jobs(backend: Backend, params: Params) -> dict[str, Any]:
    page, listing = backend.list_jobs(
        keyword=params.scalar("Keyword"),
        start_time=params.scalar("StartTime"),
        end_time=params.scalar("EndTime"),
        status=params.scalar("Status"),
        page_no=params.scalar("PageNo"),
        page_size=params.scalar("PageSize"),
        sort_by=params.scalar("SortBy"),
    )
    return {
        "LiveRecordJobs": [render_job(job) for job in page.items],
        "TotalCount": page.total,
        "PageNo": listing.page_no,
        "PageSize": listing.page_size,
        "SortBy": listing.sort_by,
    }


def list_live_record_files(backend: Backend, params: Params) -> dict[str, Any]:
    page, listing = backend.list_files(
        job_ids=params.string_list("JobIds"),
        start_time=params.scalar("StartTime"),
        end_time=params.scalar("EndTime"),
        record_format=params.scalar("RecordFormat"),
        page_no=params.scalar("PageNo"),
        page_size=params.scalar("PageSize"),
        sort_by=params.scalar("SortBy"),
    )
    return {
        "Files": [render_file(record, backend, params.base_url) for record in page.items],
        "TotalCount": str(page.total),
        "PageNo": listing.page_no,
        "PageSize": str(listing.page_size),
        "SortBy": listing.sort_by,
    }


def delete_live_record_files(backend: Backend, params: Params) -> dict[str, Any]:
    results = backend.delete_files(
        params.string_list("RecordIds"), remove_file=bool(params.boolean("RemoveFile"))
    )
    # The API reference describes DeleteFileInfoList as the files that failed to delete (its example row says
    # "OK", which no failure would): a full success lists nothing, a partial one lists each failure and the
    # call still answers 200, with the global Message saying how many failed.
    failed = [result for result in results if result.code != "OK"]
    return {
        "Message": f"{len(failed)} of {len(results)} records were not deleted." if failed else "OK",
        "DeleteFileInfoList": [
            {"Code": result.code, "Message": result.message, "RecordId": result.record_id}
            for result in failed
        ],
    }


def create_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    template = backend.create_template(params.scalar("Name"), params.json_object_list("RecordFormat"))
    return {"TemplateId": template.template_id}


def get_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    template = backend.get_template(params.scalar("TemplateId"), params.scalar("JobId"))
    return {"RecordTemplate": render_template(template)}


def update_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    backend.update_template(
        params.scalar("TemplateId"), params.scalar("Name"), params.json_object_list("RecordFormat")
    )
    return {}


def delete_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    backend.delete_template(params.scalar("TemplateId"))
    return {}


def list_live_record_templates(backend: Backend, params: Params) -> dict[str, Any]:
    page, listing = backend.list_templates(
        keyword=params.scalar("Keyword"),
        template_type=params.scalar("Type"),
        template_ids=params.string_list("TemplateIds"),
        page_no=params.scalar("PageNo"),
        page_size=params.scalar("PageSize"),
        sort_by=params.scalar("SortBy"),
    )
    return {
        "RecordTemplateList": [render_template(template) for template in page.items],
        "TotalCount": page.total,
        "PageNo": listing.page_no,
        "PageSize": listing.page_size,
        "SortBy": listing.sort_by,
    }


OPERATIONS: dict[str, Callable[[Backend, Params], dict[str, Any]]] = {
    "SubmitLiveRecordJob": submit_live_record_job,
    "GetLiveRecordJob": get_live_record_job,
    "ListLiveRecordJobs": list_live_record_jobs,
    "ListLiveRecordFiles": list_live_record_files,
    "DeleteLiveRecordFiles": delete_live_record_files,
    "CreateLiveRecordTemplate": create_live_record_template,
    "GetLiveRecordTemplate": get_live_record_template,
    "UpdateLiveRecordTemplate": update_live_record_template,
    "DeleteLiveRecordTemplate": delete_live_record_template,
    "ListLiveRecordTemplates": list_live_record_templates,
}
