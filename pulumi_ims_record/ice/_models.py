"""Typed, immutable inputs and results of the ten live-recording operations.

API field names come from ``api.fields``, the tables: ``to_wire`` builds the request shapes, ``from_wire``
reads the answers (each model's attributes are its table's snake_case names). Every result keeps ``raw``, the
whole JSON object it was read from, so nothing the API returns is lost. Numbers that the API sends as strings
(ListLiveRecordFiles' page size and total) and the JSON string of a file's record output are parsed here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pulumi_ims_record.api import fields
from pulumi_ims_record.api.fields import Answer, Field, Table

__all__ = [
    "CreateLiveRecordTemplateResponse",
    "DeleteFileInfo",
    "DeleteLiveRecordFilesResponse",
    "DeleteLiveRecordTemplateResponse",
    "GetLiveRecordJobResponse",
    "GetLiveRecordTemplateResponse",
    "ListLiveRecordFilesResponse",
    "ListLiveRecordJobsResponse",
    "ListLiveRecordTemplatesResponse",
    "LiveRecordFile",
    "LiveRecordJob",
    "LiveRecordTemplate",
    "RecordFormat",
    "RecordOutput",
    "StreamInput",
    "SubmitLiveRecordJobResponse",
    "UpdateLiveRecordTemplateResponse",
]


class MalformedResponse(ValueError):
    """A success body without a field the operation must return (the client turns it into an ``ApiError``)."""


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _raw_field() -> Any:
    return field(default_factory=lambda: _EMPTY, compare=False, hash=False, repr=False)


def _freeze(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


def _object(data: Any) -> Mapping[str, Any]:
    return data if isinstance(data, Mapping) else _EMPTY


def _objects(data: Any) -> list[Mapping[str, Any]]:
    return [item for item in data if isinstance(item, Mapping)] if isinstance(data, list) else []


def _text(data: Mapping[str, Any], item: Field) -> str | None:
    value = data.get(item.api)
    return None if value is None else str(value)


def _required_text(data: Mapping[str, Any], item: Field) -> str:
    value = data.get(item.api)
    if value is None or value == "":
        raise MalformedResponse(f"the answer has no {item.api}")
    return str(value)


def _required_object(data: Mapping[str, Any], item: Field) -> Mapping[str, Any]:
    value = data.get(item.api)
    if not isinstance(value, Mapping):
        raise MalformedResponse(f"the answer has no {item.api}")
    return value


def _int(value: Any) -> int | None:
    """An integer that may arrive as a JSON number or as a decimal string."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise MalformedResponse(f"{value!r} is not a number") from None


def _float(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MalformedResponse(f"{value!r} is not a number") from None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


_READERS: dict[str, Callable[[Any], Any]] = {fields.STRING: _str, fields.INTEGER: _int, fields.NUMBER: _float}


def _scalars(table: type[Table], data: Mapping[str, Any]) -> dict[str, Any]:
    """``{snake_name: value}`` for each string or number field of ``table`` (None when absent)."""
    return {
        item.snake: _READERS[item.type](data.get(item.api)) for item in table.FIELDS if item.type in _READERS
    }


def _to_wire(model: Any, table: type[Table]) -> dict[str, Any]:
    """The API shape of a flat input model: its table's fields that are set."""
    values = {item.api: getattr(model, item.snake) for item in table.FIELDS}
    return {name: value for name, value in values.items() if value is not None}


# --- inputs (also parts of results) -------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamInput:
    """The live stream to record (``StreamInput``); only ``rtmp`` is supported by the service."""

    url: str
    type: str = fields.StreamInput.type.default

    def to_wire(self) -> dict[str, Any]:
        return _to_wire(self, fields.StreamInput)

    @classmethod
    def from_wire(cls, data: Any) -> StreamInput:
        values = _scalars(fields.StreamInput, _object(data))
        return cls(url=values["url"] or "", type=values["type"] or cls.type)


@dataclass(frozen=True)
class RecordOutput:
    """Where recordings go (``RecordOutput``): ``type`` (``oss``/``vod``), ``bucket``, ``endpoint``."""

    type: str = fields.RecordOutput.type.default
    bucket: str | None = None
    endpoint: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return _to_wire(self, fields.RecordOutput)

    @classmethod
    def from_wire(cls, data: Any) -> RecordOutput:
        if isinstance(data, str):  # ListLiveRecordFiles sends it as a JSON string
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                raise MalformedResponse(
                    f"{fields.LiveRecordFile.record_output.api} {data!r} is not JSON"
                ) from None
        values = _scalars(fields.RecordOutput, _object(data))
        return cls(**{**values, "type": values["type"] or cls.type})


@dataclass(frozen=True)
class RecordFormat:
    """One output format of a template (element of ``RecordFormat`` / ``RecordFormatList``)."""

    format: str
    oss_object_prefix: str | None = None
    slice_oss_object_prefix: str | None = None
    slice_duration: int | None = None
    cycle_duration: int | None = None

    def to_wire(self) -> dict[str, Any]:
        return _to_wire(self, fields.RecordFormat)

    @classmethod
    def from_wire(cls, data: Any) -> RecordFormat:
        values = _scalars(fields.RecordFormat, _object(data))
        return cls(**{**values, "format": values["format"] or ""})


# --- result entities ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveRecordJob:
    """A recording job (``RecordJob``, ``LiveRecordJobs[]``); status ``initial``/``started``/``paused``."""

    job_id: str
    name: str
    notify_url: str | None
    create_time: str | None
    stream_input: StreamInput
    record_output: RecordOutput
    template_id: str | None
    template_name: str | None
    status: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Any) -> LiveRecordJob:
        data, job = _object(data), fields.LiveRecordJob
        return cls(
            **{
                **_scalars(job, data),
                "job_id": _required_text(data, job.job_id),
                "name": _text(data, job.name) or "",
                "stream_input": StreamInput.from_wire(data.get(job.stream_input.api)),
                "record_output": RecordOutput.from_wire(data.get(job.record_output.api)),
            },
            raw=_freeze(data),
        )


@dataclass(frozen=True)
class LiveRecordTemplate:
    """A recording template; ``type`` is ``system`` (preset, read-only) or ``custom``."""

    template_id: str
    name: str
    type: str | None
    create_time: str | None
    last_modified: str | None
    record_formats: tuple[RecordFormat, ...]
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Any) -> LiveRecordTemplate:
        data, template = _object(data), fields.LiveRecordTemplate
        formats = _objects(data.get(template.record_formats.api))
        return cls(
            **{
                **_scalars(template, data),
                "template_id": _required_text(data, template.template_id),
                "name": _text(data, template.name) or "",
                "record_formats": tuple(RecordFormat.from_wire(item) for item in formats),
            },
            raw=_freeze(data),
        )


@dataclass(frozen=True)
class LiveRecordFile:
    """A recording index file (``Files[]`` of ListLiveRecordFiles); ``duration`` in seconds."""

    record_id: str
    job_id: str | None
    job_name: str | None
    stream_url: str | None
    format: str | None
    record_url: str | None
    start_time: str | None
    end_time: str | None
    duration: float | None
    width: int | None
    height: int | None
    create_time: str | None
    record_output: RecordOutput
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Any) -> LiveRecordFile:
        data, file = _object(data), fields.LiveRecordFile
        return cls(
            **{
                **_scalars(file, data),
                "record_id": _required_text(data, file.record_id),
                "record_output": RecordOutput.from_wire(data.get(file.record_output.api)),
            },
            raw=_freeze(data),
        )


@dataclass(frozen=True)
class DeleteFileInfo:
    """Per-record outcome of DeleteLiveRecordFiles (``Code`` ``OK`` or an error code such as a NotFound)."""

    code: str | None
    message: str | None
    record_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Any) -> DeleteFileInfo:
        data = _object(data)
        return cls(**_scalars(fields.DeleteFileInfo, data), raw=_freeze(data))


# --- responses ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitLiveRecordJobResponse:
    request_id: str | None
    job_id: str
    raw: Mapping[str, Any] = _raw_field()
    # The answer's ``Date`` header as ``yyyy-MM-ddTHH:mm:ssZ``: when the service created the job, to within
    # the second the answer took (not part of the JSON body; None when the server sent no readable Date).
    server_time: str | None = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> SubmitLiveRecordJobResponse:
        return cls(_text(data, Answer.request_id), _required_text(data, Answer.job_id), _freeze(data))


@dataclass(frozen=True)
class GetLiveRecordJobResponse:
    request_id: str | None
    record_job: LiveRecordJob
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> GetLiveRecordJobResponse:
        job = _required_object(data, Answer.record_job)
        return cls(_text(data, Answer.request_id), LiveRecordJob.from_wire(job), _freeze(data))


def _paging(data: Mapping[str, Any]) -> tuple[int | None, int | None, int | None, str | None]:
    """``TotalCount, PageNo, PageSize, SortBy`` of a list answer (numbers may come as strings)."""
    return (
        _int(data.get(Answer.total_count.api)),
        _int(data.get(Answer.page_no.api)),
        _int(data.get(Answer.page_size.api)),
        _text(data, Answer.sort_by),
    )


@dataclass(frozen=True)
class ListLiveRecordJobsResponse:
    request_id: str | None
    live_record_jobs: tuple[LiveRecordJob, ...]
    total_count: int | None
    page_no: int | None
    page_size: int | None
    sort_by: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ListLiveRecordJobsResponse:
        return cls(
            _text(data, Answer.request_id),
            tuple(LiveRecordJob.from_wire(item) for item in _objects(data.get(Answer.live_record_jobs.api))),
            *_paging(data),
            _freeze(data),
        )


@dataclass(frozen=True)
class ListLiveRecordFilesResponse:
    request_id: str | None
    files: tuple[LiveRecordFile, ...]
    total_count: int | None
    page_no: int | None
    page_size: int | None
    sort_by: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ListLiveRecordFilesResponse:
        return cls(
            _text(data, Answer.request_id),
            tuple(LiveRecordFile.from_wire(item) for item in _objects(data.get(Answer.files.api))),
            *_paging(data),
            _freeze(data),
        )


@dataclass(frozen=True)
class DeleteLiveRecordFilesResponse:
    request_id: str | None
    message: str | None
    delete_file_info_list: tuple[DeleteFileInfo, ...]
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> DeleteLiveRecordFilesResponse:
        return cls(
            _text(data, Answer.request_id),
            _text(data, Answer.message),
            tuple(
                DeleteFileInfo.from_wire(item)
                for item in _objects(data.get(Answer.delete_file_info_list.api))
            ),
            _freeze(data),
        )


@dataclass(frozen=True)
class CreateLiveRecordTemplateResponse:
    request_id: str | None
    template_id: str
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> CreateLiveRecordTemplateResponse:
        return cls(_text(data, Answer.request_id), _required_text(data, Answer.template_id), _freeze(data))


@dataclass(frozen=True)
class GetLiveRecordTemplateResponse:
    request_id: str | None
    record_template: LiveRecordTemplate
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> GetLiveRecordTemplateResponse:
        template = _required_object(data, Answer.record_template)
        return cls(_text(data, Answer.request_id), LiveRecordTemplate.from_wire(template), _freeze(data))


@dataclass(frozen=True)
class UpdateLiveRecordTemplateResponse:
    request_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> UpdateLiveRecordTemplateResponse:
        return cls(_text(data, Answer.request_id), _freeze(data))


@dataclass(frozen=True)
class DeleteLiveRecordTemplateResponse:
    request_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> DeleteLiveRecordTemplateResponse:
        return cls(_text(data, Answer.request_id), _freeze(data))


@dataclass(frozen=True)
class ListLiveRecordTemplatesResponse:
    request_id: str | None
    record_template_list: tuple[LiveRecordTemplate, ...]
    total_count: int | None
    page_no: int | None
    page_size: int | None
    sort_by: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ListLiveRecordTemplatesResponse:
        return cls(
            _text(data, Answer.request_id),
            tuple(
                LiveRecordTemplate.from_wire(item)
                for item in _objects(data.get(Answer.record_template_list.api))
            ),
            *_paging(data),
            _freeze(data),
        )
