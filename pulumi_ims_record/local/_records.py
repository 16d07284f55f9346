"""The backend's records: what a template, a job and a recorded file are, independent of HTTP and SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pulumi_ims_record.api import rules

T = TypeVar("T")

TEMPLATE_TYPE_SYSTEM = "system"
TEMPLATE_TYPE_CUSTOM = "custom"

# The statuses, allowed values and defaults are written once in ``api.rules``.
STATUS_INITIAL, STATUS_STARTED, STATUS_PAUSED = (
    rules.INITIAL_STATUS,
    rules.STARTED_STATUS,
    rules.PAUSED_STATUS,
)


@dataclass(frozen=True)
class TemplateFormat:
    """One RecordFormat entry exactly as the caller gave it (``None``: not given, default applies)."""

    format: str
    oss_object_prefix: str | None = None
    slice_oss_object_prefix: str | None = None
    slice_duration: int | None = None
    cycle_duration: int | None = None


@dataclass(frozen=True)
class Template:
    template_id: str
    name: str
    type: str
    create_time: str
    last_modified: str
    formats: tuple[TemplateFormat, ...]


@dataclass(frozen=True)
class Job:
    job_id: str
    name: str
    notify_url: str | None
    create_time: str
    stream_type: str
    stream_url: str
    output_type: str
    bucket: str
    endpoint: str | None
    template_id: str
    template_name: str
    template_snapshot: Template
    status: str
    gave_up: bool


@dataclass(frozen=True)
class JobEvent:
    """A job's status from ``time`` (API time) on; ``gave_up``: the recorder stopped for good."""

    time: str
    status: str
    gave_up: bool


@dataclass(frozen=True)
class RecordFile:
    record_id: str
    job_id: str
    job_name: str
    stream_url: str
    format: str
    output_type: str
    bucket: str
    endpoint: str | None
    object_key: str
    start_time: str
    end_time: str
    duration: float
    width: int
    height: int
    create_time: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing plus the total number of matches."""

    items: tuple[T, ...]
    total: int


ACTIONS = (
    "CreateLiveRecordTemplate",
    "GetLiveRecordTemplate",
    "UpdateLiveRecordTemplate",
    "DeleteLiveRecordTemplate",
    "ListLiveRecordTemplates",
    "SubmitLiveRecordJob",
    "GetLiveRecordJob",
    "ListLiveRecordJobs",
    "ListLiveRecordFiles",
    "DeleteLiveRecordFiles",
)
