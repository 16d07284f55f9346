"""The ten operations on the wire: decode parameters, call the backend, render the response body.

Parameters arrive merged from the query string and the form body. Nested structures are accepted both as one
JSON string (what the current SDK sends: ``StreamInput={"Type":"rtmp",...}``) and in the legacy flattened form
(``StreamInput.Type=rtmp``, ``RecordFormat.1.Format=m3u8``); arrays of ids as ``JobIds.1=..&JobIds.2=..`` or
as a JSON array string. Booleans are case-insensitive (``True`` from the Python SDK, ``true`` elsewhere).
Response shapes follow ims-api.md §1, including ListLiveRecordFiles' quirks (string PageSize/TotalCount,
RecordOutput as JSON text). Every parameter and answer field is named by ``api.fields``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from pulumi_ims_record.api import fields
from pulumi_ims_record.api.fields import Answer, Field, Parameters
from pulumi_ims_record.local._records import Job, RecordFile, Template
from pulumi_ims_record.local.exceptions import InvalidParameter
from pulumi_ims_record.local.models import Backend, FormText, Listing

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

    def scalar(self, item: Field) -> str | None:
        value = self._values.get(item.request_name)
        return None if value is None else FormText(value)

    def boolean(self, item: Field) -> bool | None:
        name = item.request_name
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

    def string_list(self, item: Field) -> object:
        """``Name.1``, ``Name.2``, ... or ``Name`` as a JSON array (or one plain id); None when absent."""
        name = item.request_name
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

    def json_object(self, item: Field) -> object:
        """``Name`` as a JSON object string, or ``Name.Field`` flattened; None when absent."""
        name = item.request_name
        flattened = self._flattened(name)
        if name in self._values:
            return self._json(name) if self._values[name] != "" else ""
        return flattened or None

    def json_object_list(self, item: Field) -> object:
        """``Name`` as a JSON array string, or ``Name.N.Field`` flattened; None when absent."""
        name = item.request_name
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


def _set(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def render_template(template: Template) -> dict[str, Any]:
    entry_fields, template_fields = fields.RecordFormat, fields.LiveRecordTemplate
    formats = [
        _set({item.api: getattr(entry, item.snake) for item in entry_fields.FIELDS})
        for entry in template.formats
    ]
    return {
        template_fields.template_id.api: template.template_id,
        template_fields.name.api: template.name,
        template_fields.type.api: template.type,
        template_fields.create_time.api: template.create_time,
        template_fields.last_modified.api: template.last_modified,
        template_fields.record_formats.api: formats,
    }


def render_record_output(output_type: str, bucket: str, endpoint: str | None) -> dict[str, Any]:
    output = fields.RecordOutput
    return _set(
        {output.type.api: output_type, output.bucket.api: bucket, output.endpoint.api: endpoint or None}
    )


def render_job(job: Job) -> dict[str, Any]:
    job_fields, stream = fields.LiveRecordJob, fields.StreamInput
    rendered = {
        job_fields.job_id.api: job.job_id,
        job_fields.name.api: job.name,
        job_fields.create_time.api: job.create_time,
        job_fields.stream_input.api: {stream.type.api: job.stream_type, stream.url.api: job.stream_url},
        job_fields.record_output.api: render_record_output(job.output_type, job.bucket, job.endpoint),
        job_fields.template_id.api: job.template_id,
        job_fields.template_name.api: job.template_name,
        job_fields.status.api: job.status,
    }
    if job.notify_url:
        rendered[job_fields.notify_url.api] = job.notify_url
    return rendered


def render_file(record: RecordFile, backend: Backend, base_url: str | None = None) -> dict[str, Any]:
    file = fields.LiveRecordFile
    return {
        file.record_id.api: record.record_id,
        file.job_id.api: record.job_id,
        file.job_name.api: record.job_name,
        file.stream_url.api: record.stream_url,
        file.format.api: record.format,
        file.record_url.api: backend.record_url(record.bucket, record.object_key, base_url),
        file.start_time.api: record.start_time,
        file.end_time.api: record.end_time,
        file.duration.api: record.duration,
        file.width.api: record.width,
        file.height.api: record.height,
        file.create_time.api: record.create_time,
        # Sent as a JSON string here, unlike in the job operations.
        file.record_output.api: json.dumps(
            render_record_output(record.output_type, record.bucket, record.endpoint), separators=(",", ":")
        ),
    }


def _page(items: list[dict[str, Any]], field: Field, total: object, listing: Listing) -> dict[str, Any]:
    return {
        field.api: items,
        Answer.total_count.api: total,
        Answer.page_no.api: listing.page_no,
        Answer.page_size.api: listing.page_size,
        Answer.sort_by.api: listing.sort_by,
    }


def render_error(
    request_id: str, host_id: str, code: str, message: str, *, recommend: str | None = None
) -> dict[str, Any]:
    """An error answer's body."""
    body = {
        Answer.request_id.api: request_id,
        Answer.host_id.api: host_id,
        Answer.code.api: code,
        Answer.message.api: message,
    }
    if recommend is not None:
        body[Answer.recommend.api] = recommend
    return body


# --- operations ---------------------------------------------------------------------------------------------


def submit_live_record_job(backend: Backend, params: Params) -> dict[str, Any]:
    job_fields = fields.LiveRecordJob
    job = backend.submit_job(
        name=params.scalar(job_fields.name),
        stream_input=params.json_object(job_fields.stream_input),
        record_output=params.json_object(job_fields.record_output),
        template_id=params.scalar(job_fields.template_id),
        notify_url=params.scalar(job_fields.notify_url),
    )
    return {Answer.job_id.api: job.job_id}


def get_live_record_job(backend: Backend, params: Params) -> dict[str, Any]:
    return {Answer.record_job.api: render_job(backend.get_job(params.scalar(Parameters.job_id)))}


def list_live_record_jobs(backend: Backend, params: Params) -> dict[str, Any]:
    page, listing = backend.list_jobs(
        keyword=params.scalar(Parameters.keyword),
        start_time=params.scalar(Parameters.start_time),
        end_time=params.scalar(Parameters.end_time),
        status=params.scalar(Parameters.status),
        page_no=params.scalar(Parameters.page_no),
        page_size=params.scalar(Parameters.page_size),
        sort_by=params.scalar(Parameters.sort_by),
    )
    return _page([render_job(job) for job in page.items], Answer.live_record_jobs, page.total, listing)


def list_live_record_files(backend: Backend, params: Params) -> dict[str, Any]:
    page, listing = backend.list_files(
        job_ids=params.string_list(Parameters.job_ids),
        start_time=params.scalar(Parameters.start_time),
        end_time=params.scalar(Parameters.end_time),
        record_format=params.scalar(Parameters.record_format),
        page_no=params.scalar(Parameters.page_no),
        page_size=params.scalar(Parameters.page_size),
        sort_by=params.scalar(Parameters.sort_by),
    )
    files = [render_file(record, backend, params.base_url) for record in page.items]
    answer = _page(files, Answer.files, str(page.total), listing)
    answer[Answer.page_size.api] = str(listing.page_size)  # this operation sends both numbers as strings
    return answer


def delete_live_record_files(backend: Backend, params: Params) -> dict[str, Any]:
    results = backend.delete_files(
        params.string_list(Parameters.record_ids), remove_file=bool(params.boolean(Parameters.remove_file))
    )
    # The API reference describes DeleteFileInfoList as the files that failed to delete (its example row says
    # "OK", which no failure would): a full success lists nothing, a partial one lists each failure and the
    # call still answers 200, with the global Message saying how many failed.
    failed = [result for result in results if result.code != "OK"]
    info = fields.DeleteFileInfo
    return {
        Answer.message.api: f"{len(failed)} of {len(results)} records were not deleted." if failed else "OK",
        Answer.delete_file_info_list.api: [
            {
                info.code.api: result.code,
                info.message.api: result.message,
                info.record_id.api: result.record_id,
            }
            for result in failed
        ],
    }


def create_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    template_fields = fields.LiveRecordTemplate
    template = backend.create_template(
        params.scalar(template_fields.name), params.json_object_list(template_fields.record_formats)
    )
    return {Answer.template_id.api: template.template_id}


def get_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    template = backend.get_template(params.scalar(Parameters.template_id), params.scalar(Parameters.job_id))
    return {Answer.record_template.api: render_template(template)}


def update_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    template_fields = fields.LiveRecordTemplate
    backend.update_template(
        params.scalar(Parameters.template_id),
        params.scalar(template_fields.name),
        params.json_object_list(template_fields.record_formats),
    )
    return {}


def delete_live_record_template(backend: Backend, params: Params) -> dict[str, Any]:
    backend.delete_template(params.scalar(Parameters.template_id))
    return {}


def list_live_record_templates(backend: Backend, params: Params) -> dict[str, Any]:
    page, listing = backend.list_templates(
        keyword=params.scalar(Parameters.keyword),
        template_type=params.scalar(Parameters.type),
        template_ids=params.string_list(Parameters.template_ids),
        page_no=params.scalar(Parameters.page_no),
        page_size=params.scalar(Parameters.page_size),
        sort_by=params.scalar(Parameters.sort_by),
    )
    templates = [render_template(template) for template in page.items]
    return _page(templates, Answer.record_template_list, page.total, listing)


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
