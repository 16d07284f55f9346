"""Typed, immutable inputs and results of the ten live-recording operations.

API field names (PascalCase) appear only here: ``to_wire`` builds the request shapes, ``from_wire`` reads the
answers. Every result keeps ``raw``, the whole JSON object it was read from, so nothing the API returns is
lost. Numbers that the API sends as strings (``ListLiveRecordFiles`` ``PageSize``/``TotalCount``) and the JSON
string in ``Files[].RecordOutput`` are parsed here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

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


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _required_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        raise MalformedResponse(f"the answer has no {key}")
    return str(value)


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


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# --- inputs (also parts of results) -------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamInput:
    """The live stream to record (``StreamInput``); only ``rtmp`` is supported by the service."""

    url: str
    type: str = "rtmp"

    def to_wire(self) -> dict[str, Any]:
        return {"Type": self.type, "Url": self.url}

    @classmethod
    def from_wire(cls, data: Any) -> StreamInput:
        data = _object(data)
        return cls(url=_text(data, "Url") or "", type=_text(data, "Type") or "rtmp")


@dataclass(frozen=True)
class RecordOutput:
    """Where recordings go (``RecordOutput``): ``type`` (``oss``/``vod``), ``bucket``, ``endpoint``."""

    type: str = "oss"
    bucket: str | None = None
    endpoint: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return _compact({"Type": self.type, "Bucket": self.bucket, "Endpoint": self.endpoint})

    @classmethod
    def from_wire(cls, data: Any) -> RecordOutput:
        if isinstance(data, str):  # ListLiveRecordFiles sends it as a JSON string
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                raise MalformedResponse(f"RecordOutput {data!r} is not JSON") from None
        data = _object(data)
        return cls(
            type=_text(data, "Type") or "oss", bucket=_text(data, "Bucket"), endpoint=_text(data, "Endpoint")
        )


@dataclass(frozen=True)
class RecordFormat:
    """One output format of a template (element of ``RecordFormat`` / ``RecordFormatList``)."""

    format: str
    oss_object_prefix: str | None = None
    slice_oss_object_prefix: str | None = None
    slice_duration: int | None = None
    cycle_duration: int | None = None

    def to_wire(self) -> dict[str, Any]:
        return _compact(
            {
                "Format": self.format,
                "OssObjectPrefix": self.oss_object_prefix,
                "SliceOssObjectPrefix": self.slice_oss_object_prefix,
                "SliceDuration": self.slice_duration,
                "CycleDuration": self.cycle_duration,
            }
        )

    @classmethod
    def from_wire(cls, data: Any) -> RecordFormat:
        data = _object(data)
        return cls(
            format=_text(data, "Format") or "",
            oss_object_prefix=_text(data, "OssObjectPrefix"),
            slice_oss_object_prefix=_text(data, "SliceOssObjectPrefix"),
            slice_duration=_int(data.get("SliceDuration")),
            cycle_duration=_int(data.get("CycleDuration")),
        )


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
        data = _object(data)
        return cls(
            job_id=_required_text(data, "JobId"),
            name=_text(data, "Name") or "",
            notify_url=_text(data, "NotifyUrl"),
            create_time=_text(data, "CreateTime"),
            stream_input=StreamInput.from_wire(data.get("StreamInput")),
            record_output=RecordOutput.from_wire(data.get("RecordOutput")),
            template_id=_text(data, "TemplateId"),
            template_name=_text(data, "TemplateName"),
            status=_text(data, "Status"),
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
        data = _object(data)
        return cls(
            template_id=_required_text(data, "TemplateId"),
            name=_text(data, "Name") or "",
            type=_text(data, "Type"),
            create_time=_text(data, "CreateTime"),
            last_modified=_text(data, "LastModified"),
            record_formats=tuple(
                RecordFormat.from_wire(item) for item in _objects(data.get("RecordFormatList"))
            ),
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
        data = _object(data)
        return cls(
            record_id=_required_text(data, "RecordId"),
            job_id=_text(data, "JobId"),
            job_name=_text(data, "JobName"),
            stream_url=_text(data, "StreamUrl"),
            format=_text(data, "Format"),
            record_url=_text(data, "RecordUrl"),
            start_time=_text(data, "StartTime"),
            end_time=_text(data, "EndTime"),
            duration=_float(data.get("Duration")),
            width=_int(data.get("Width")),
            height=_int(data.get("Height")),
            create_time=_text(data, "CreateTime"),
            record_output=RecordOutput.from_wire(data.get("RecordOutput")),
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
        return cls(_text(data, "Code"), _text(data, "Message"), _text(data, "RecordId"), _freeze(data))


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
        return cls(_text(data, "RequestId"), _required_text(data, "JobId"), _freeze(data))


@dataclass(frozen=True)
class GetLiveRecordJobResponse:
    request_id: str | None
    record_job: LiveRecordJob
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> GetLiveRecordJobResponse:
        if not isinstance(data.get("RecordJob"), Mapping):
            raise MalformedResponse("the answer has no RecordJob")
        return cls(_text(data, "RequestId"), LiveRecordJob.from_wire(data["RecordJob"]), _freeze(data))


def _paging(data: Mapping[str, Any]) -> tuple[int | None, int | None, int | None, str | None]:
    """``TotalCount, PageNo, PageSize, SortBy`` of a list answer (numbers may come as strings)."""
    return (
        _int(data.get("TotalCount")),
        _int(data.get("PageNo")),
        _int(data.get("PageSize")),
        _text(data, "SortBy"),
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
            _text(data, "RequestId"),
            tuple(LiveRecordJob.from_wire(item) for item in _objects(data.get("LiveRecordJobs"))),
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
            _text(data, "RequestId"),
            tuple(LiveRecordFile.from_wire(item) for item in _objects(data.get("Files"))),
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
            _text(data, "RequestId"),
            _text(data, "Message"),
            tuple(DeleteFileInfo.from_wire(item) for item in _objects(data.get("DeleteFileInfoList"))),
            _freeze(data),
        )


@dataclass(frozen=True)
class CreateLiveRecordTemplateResponse:
    request_id: str | None
    template_id: str
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> CreateLiveRecordTemplateResponse:
        return cls(_text(data, "RequestId"), _required_text(data, "TemplateId"), _freeze(data))


@dataclass(frozen=True)
class GetLiveRecordTemplateResponse:
    request_id: str | None
    record_template: LiveRecordTemplate
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> GetLiveRecordTemplateResponse:
        if not isinstance(data.get("RecordTemplate"), Mapping):
            raise MalformedResponse("the answer has no RecordTemplate")
        return cls(
            _text(data, "RequestId"), LiveRecordTemplate.from_wire(data["RecordTemplate"]), _freeze(data)
        )


@dataclass(frozen=True)
class UpdateLiveRecordTemplateResponse:
    request_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> UpdateLiveRecordTemplateResponse:
        return cls(_text(data, "RequestId"), _freeze(data))


@dataclass(frozen=True)
class DeleteLiveRecordTemplateResponse:
    request_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> DeleteLiveRecordTemplateResponse:
        return cls(_text(data, "RequestId"), _freeze(data))


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
            _text(data, "RequestId"),
            tuple(LiveRecordTemplate.from_wire(item) for item in _objects(data.get("RecordTemplateList"))),
            *_paging(data),
            _freeze(data),
        )
