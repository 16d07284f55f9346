"""The backend of the local IMS: templates, jobs, recorded files, their statuses and every validation rule.

Testable without HTTP (the shape of moto's ``models.py``): the wire layer decodes parameters into plain Python
values (strings, parsed JSON) and calls one method per operation; this module checks them against the
documented rules, keeps the state in SQLite and drives the recorder. The recorder reports back through
``RecorderEvents`` (``on_status``, ``on_file``, ``on_gave_up``), which this class implements.

Status model: a job is ``initial`` when submitted, ``started`` while the recorder pulls the stream, ``paused``
while the stream is interrupted. A job whose stream could not be pulled for ``--pull-timeout`` seconds *gave
up*: it reports ``paused`` for ever and is never restarted (the API has no ``stopped``/``finished`` value)."""

from __future__ import annotations

import logging
import random
import re
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from pulumi_ims_record.api import fields, rules
from pulumi_ims_record.api.fields import Field, FileEvent, LiveRecordJob, Parameters, StatusEvent
from pulumi_ims_record.local import _bucket_files
from pulumi_ims_record.local._records import (
    STATUS_INITIAL,
    STATUS_PAUSED,
    STATUS_STARTED,
    TEMPLATE_TYPE_CUSTOM,
    TEMPLATE_TYPE_SYSTEM,
    Job,
    Page,
    RecordFile,
    Template,
    TemplateFormat,
)
from pulumi_ims_record.local.db import Database
from pulumi_ims_record.local.exceptions import (
    InvalidParameter,
    MissingParameter,
    OperationDenied,
    job_not_found,
    template_not_found,
)
from pulumi_ims_record.local.recorder import FormatSpec, RecordedFile, RecordingSpec, Waiting

logger = logging.getLogger(__name__)

# The API's value rules (enums, ranges, limits, prefixes, names, URLs) are in ``api.rules``, shared with the
# provider's ``check``; this module applies them and answers with the API parameter's name.
SYSTEM_TEMPLATE_TIME = "2020-11-09T00:00:00Z"
_SYSTEM_HLS = TemplateFormat(
    format="m3u8",
    oss_object_prefix=rules.DEFAULT_OSS_OBJECT_PREFIX,
    slice_oss_object_prefix=rules.DEFAULT_SLICE_OSS_OBJECT_PREFIX,
    slice_duration=rules.DEFAULT_SLICE_DURATION,
    cycle_duration=rules.DEFAULT_CYCLE_DURATION,
)
SYSTEM_TEMPLATES = (
    Template(
        template_id="ims-system-m3u8",
        name="System: HLS (m3u8, 30 s slices)",
        type=TEMPLATE_TYPE_SYSTEM,
        create_time=SYSTEM_TEMPLATE_TIME,
        last_modified=SYSTEM_TEMPLATE_TIME,
        formats=(_SYSTEM_HLS,),
    ),
    Template(
        template_id="ims-system-m3u8-mp4",
        name="System: HLS (m3u8, 30 s slices) + MP4 (6 h)",
        type=TEMPLATE_TYPE_SYSTEM,
        create_time=SYSTEM_TEMPLATE_TIME,
        last_modified=SYSTEM_TEMPLATE_TIME,
        formats=(
            _SYSTEM_HLS,
            TemplateFormat(
                format="mp4",
                oss_object_prefix=rules.DEFAULT_OSS_OBJECT_PREFIX,
                cycle_duration=rules.DEFAULT_CYCLE_DURATION,
            ),
        ),
    ),
)

_INT_TEXT = re.compile(r"[+-]?[0-9]{1,18}")  # ASCII digits only: "１０" (full-width) is not a number here


class FormText(str):
    """A value that arrived as form or query text (a plain parameter, a flattened ``Name.N.Field``): there an
    integer is a decimal string. Inside a JSON-encoded parameter an integer must be a JSON number."""


class RecorderLike(Protocol):
    """What the backend needs from ``recorder.Recorder`` (a fake implements the same in tests)."""

    def start(self, spec: RecordingSpec) -> None: ...

    def stop(self, job_id: str) -> None: ...

    def stop_all(self) -> None: ...

    def is_recording(self, job_id: str) -> bool: ...

    def waiting(self, job_id: str) -> Waiting | None: ...


class EventSink(Protocol):
    """Where job events go (``callbacks.CallbackSender``): never blocks, never raises."""

    def send(self, url: str, event_type: str, message_body: Mapping[str, object]) -> None: ...


@dataclass(frozen=True)
class Listing:
    """A page plus the paging parameters actually applied (echoed in the response)."""

    page_no: int
    page_size: int
    sort_by: str


@dataclass(frozen=True)
class DeleteResult:
    record_id: str
    code: str
    message: str


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(rules.UTC_TIME_FORMAT)


def render_waiting(waiting: Waiting | None) -> dict[str, str | None] | None:
    """Why a job is not recording, as ``ims-local jobs``, the console and ``/_health`` show it."""
    if waiting is None:
        return None
    return {
        "reason": waiting.reason,
        "since": format_time(waiting.since),
        "nextRetry": format_time(waiting.retry_at) if waiting.retry_at else None,  # None: trying now
        "givesUpAt": format_time(waiting.give_up_at),
    }


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_resource_id() -> str:
    """A UUID-v1-style id like the documentation's examples, with a random node instead of the host's MAC."""
    return str(uuid.uuid1(node=random.getrandbits(48) | 0x010000000000))


# --- value checks -------------------------------------------------------------------------------------------


def require_text(parameter: str, value: object, *, max_chars: int) -> str:
    if value is None or value == "":
        raise MissingParameter(parameter)
    return optional_text(parameter, value, max_chars=max_chars) or ""


def optional_text(parameter: str, value: object, *, max_chars: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(parameter, f"must be a string, got {type(value).__name__}")
    if len(value) > max_chars:
        raise InvalidParameter(parameter, f"must be at most {max_chars} characters, got {len(value)}")
    if rules.has_control_characters(value):
        raise InvalidParameter(parameter, "must not contain control characters")
    return value


def checked(parameter: str, value: str, rule: Callable[[str], str | None]) -> str:
    """``value`` when it keeps the API rule (``api.rules``), else InvalidParameter naming the parameter."""
    problem = rule(value)
    if problem is not None:
        raise InvalidParameter(parameter, problem)
    return value


def require_name(parameter: str, value: object) -> str:
    return checked(
        parameter, require_text(parameter, value, max_chars=rules.MAX_NAME_LENGTH), rules.name_rule
    )


def optional_int(parameter: str, value: object, low: int, high: int) -> int | None:
    """An integer given as a JSON number, or as ASCII decimal text where the value is form text
    (``FormText``); bools, strings inside JSON and other digits are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidParameter(parameter, "must be an integer, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, FormText) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and not isinstance(value, FormText):
        raise InvalidParameter(parameter, f"must be a JSON number, not the string {value!r:.40}")
    else:
        raise InvalidParameter(parameter, f"must be an integer, got {value!r:.40}")
    if not low <= number <= high:
        raise InvalidParameter(parameter, f"must be between {low} and {high}, got {number}")
    return number


def optional_choice(
    parameter: str, value: object, choices: Sequence[str], *, fold_case: bool = False
) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParameter(parameter, f"must be one of {', '.join(choices)}")
    candidate = value.lower() if fold_case else value
    if candidate not in choices:
        raise InvalidParameter(parameter, f"must be one of {', '.join(choices)}, got {value[:40]!r}")
    return candidate


def optional_time(parameter: str, value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidParameter(parameter, "must be a UTC time like 2022-07-20T02:48:58Z")
    moment = rules.parse_utc_time(value)
    if moment is None:
        raise InvalidParameter(parameter, f"must be a UTC time like 2022-07-20T02:48:58Z, got {value!r}")
    return moment


def time_window(start: object, end: object, limit: timedelta) -> tuple[str | None, str | None]:
    start_name, end_name = Parameters.start_time.api, Parameters.end_time.api
    start_time = optional_time(start_name, start)
    end_time = optional_time(end_name, end)
    if start_time and end_time:
        if end_time < start_time:
            raise InvalidParameter(end_name, f"must not be earlier than {start_name}")
        if end_time - start_time > limit:
            raise InvalidParameter(end_name, f"{end_name} - {start_name} must be at most {limit.days} days")
    return (
        format_time(start_time) if start_time else None,
        format_time(end_time) if end_time else None,
    )


def id_list(parameter: str, values: object) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidParameter(parameter, "must be a list of strings")
    if len(values) > rules.MAX_IDS_PER_REQUEST:
        raise InvalidParameter(
            parameter, f"must list at most {rules.MAX_IDS_PER_REQUEST} ids, got {len(values)}"
        )
    for value in values:
        optional_text(parameter, value, max_chars=rules.MAX_ID_LENGTH)
    return list(dict.fromkeys(values))


def validate_bucket_name(parameter: str, value: object, output_type: str) -> str:
    """An OSS bucket name, or a VOD storage location for ``vod`` (the provider's ``check`` applies the same
    rule); the local bucket is a directory named after it."""
    bucket = require_text(parameter, value, max_chars=rules.MAX_STORAGE_NAME_LENGTH)
    return checked(parameter, bucket, rules.bucket_rule(output_type))


def validate_object_prefix(parameter: str, value: object, rule: Callable[[str], str | None]) -> str | None:
    """A prefix (variables, length, an object key that cannot leave its bucket)."""
    prefix = optional_text(parameter, value, max_chars=4 * rules.MAX_PREFIX_BYTES)
    return None if prefix is None else checked(parameter, prefix, rule)


def member(parameter: str, value: Mapping[str, object], item: Field) -> tuple[str, object]:
    """``(Parameter.Field, its value)`` of a field inside an object parameter, for the checks above."""
    return f"{parameter}.{item.api}", value.get(item.api)


def validate_record_formats(parameter: str, value: object) -> tuple[TemplateFormat, ...]:
    if value is None or value == "":
        raise MissingParameter(parameter)
    if not isinstance(value, list):
        raise InvalidParameter(parameter, "must be a JSON array of RecordFormat objects")
    if not value:
        raise InvalidParameter(parameter, "must list at least one format")
    formats: list[TemplateFormat] = []
    entry_fields = fields.RecordFormat
    for index, entry in enumerate(value, start=1):
        where = f"{parameter}.{index}"
        if not isinstance(entry, Mapping):
            raise InvalidParameter(
                where, f"must be an object with {entry_fields.format.api} and its prefixes"
            )
        format_name, format_value = member(where, entry, entry_fields.format)
        record_format = optional_choice(format_name, format_value, rules.RECORD_FORMATS, fold_case=True)
        if record_format is None:
            raise MissingParameter(format_name)
        object_prefix = validate_object_prefix(
            *member(where, entry, entry_fields.oss_object_prefix), rules.oss_object_prefix_rule
        )
        slice_prefix_name, slice_prefix_value = member(where, entry, entry_fields.slice_oss_object_prefix)
        slice_prefix = validate_object_prefix(slice_prefix_name, slice_prefix_value, rules.slice_prefix_rule)
        slice_duration_name, slice_duration_value = member(where, entry, entry_fields.slice_duration)
        slice_duration = optional_int(slice_duration_name, slice_duration_value, *rules.SLICE_DURATION_RANGE)
        cycle_duration = optional_int(
            *member(where, entry, entry_fields.cycle_duration), *rules.CYCLE_DURATION_RANGE
        )
        if record_format == "m3u8":
            if slice_prefix is None:
                raise MissingParameter(slice_prefix_name)
            if slice_duration is None:
                raise MissingParameter(slice_duration_name)
        if any(f.format == record_format for f in formats):
            raise InvalidParameter(where, f"format {record_format} is listed twice")
        formats.append(
            TemplateFormat(record_format, object_prefix, slice_prefix, slice_duration, cycle_duration)
        )
    return tuple(formats)


def _paging(
    page_no: object, page_size: object, sort_by: object, size_range: tuple[int, int], default_sort: str
) -> Listing:
    number = optional_int(Parameters.page_no.api, page_no, 1, 10**9) or Parameters.page_no.default
    size = optional_int(Parameters.page_size.api, page_size, *size_range) or rules.DEFAULT_PAGE_SIZE
    order = (
        optional_choice(Parameters.sort_by.api, sort_by, rules.SORT_ORDERS, fold_case=True) or default_sort
    )
    return Listing(number, size, order)


def _required_mapping(parameter: str, value: object) -> Mapping[str, object]:
    if value is None or value == "":
        raise MissingParameter(parameter)
    if not isinstance(value, Mapping):
        raise InvalidParameter(parameter, "must be a JSON object")
    return value


def validate_stream_url(parameter: str, value: object) -> str:
    url = require_text(parameter, value, max_chars=rules.MAX_URL_LENGTH)
    return checked(parameter, url, rules.rtmp_url_rule)


def validate_notify_url(parameter: str, value: object) -> str | None:
    url = optional_text(parameter, value, max_chars=rules.MAX_URL_LENGTH)
    return checked(parameter, url, rules.http_url_rule) if url else None


def validate_endpoint(parameter: str, value: object) -> str | None:
    endpoint = optional_text(parameter, value, max_chars=rules.MAX_STORAGE_NAME_LENGTH)
    return checked(parameter, endpoint, rules.endpoint_rule) if endpoint else None


def format_specs(template: Template) -> tuple[FormatSpec, ...]:
    """The recorder's view of a template: one spec per format with the documented defaults applied."""
    return tuple(
        FormatSpec(
            format=f.format,
            oss_object_prefix=f.oss_object_prefix,
            slice_oss_object_prefix=f.slice_oss_object_prefix,
            slice_duration=f.slice_duration or rules.DEFAULT_SLICE_DURATION,
            cycle_duration=f.cycle_duration or rules.DEFAULT_CYCLE_DURATION,
        )
        for f in template.formats
    )


# --- the backend --------------------------------------------------------------------------------------------


class Backend:
    """State and rules of the local IMS. Thread-safe; the recorder calls back from its own threads."""

    def __init__(
        self,
        db: Database,
        data_dir: Path,
        *,
        events: EventSink | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.data_dir = data_dir
        self.events = events
        self.clock = clock
        self.public_base_url = "http://127.0.0.1"
        self._recorder: RecorderLike | None = None
        for template in SYSTEM_TEMPLATES:
            db.insert_template(template, replace_system=True)

    # --- wiring ---------------------------------------------------------------------------------------------

    def attach_recorder(self, recorder: RecorderLike) -> None:
        self._recorder = recorder

    @property
    def recorder(self) -> RecorderLike:
        if self._recorder is None:
            raise RuntimeError("no recorder attached to the backend")
        return self._recorder

    def bucket_dir(self, bucket: str) -> Path:
        return self.data_dir / "buckets" / bucket

    def record_url(self, bucket: str, object_key: str, base_url: str | None = None) -> str:
        """The file's playback URL on this server; ``base_url`` is how the asking client reached it."""
        return f"{base_url or self.public_base_url}/_buckets/{bucket}/{object_key}"

    def work_dir(self, job_id: str) -> Path:
        """The recorder's private directory of a job (its progress file, segments)."""
        return self.data_dir / "work" / job_id

    def recording_spec(self, job: Job) -> RecordingSpec:
        return RecordingSpec(
            job_id=job.job_id,
            stream_url=job.stream_url,
            bucket_dir=self.bucket_dir(job.bucket),
            work_dir=self.work_dir(job.job_id),
            formats=format_specs(job.template_snapshot),
        )

    def resume_jobs(self) -> int:
        """After a (re)start: hand every job that has not given up to the recorder again."""
        jobs = self.db.jobs_to_resume()
        for job in jobs:
            self._start_recording(job)
        return len(jobs)

    def _start_recording(self, job: Job) -> None:
        try:
            self.recorder.start(self.recording_spec(job))
        except Exception:
            # The job stays acknowledged; the recorder's own pull timeout decides when it gives up.
            logger.exception("recorder failed to start job %s", job.job_id)

    # --- templates ------------------------------------------------------------------------------------------

    def create_template(self, name: object, record_formats: object) -> Template:
        template_fields = fields.LiveRecordTemplate
        checked_name = require_name(template_fields.name.api, name)
        formats = validate_record_formats(template_fields.record_formats.request_name, record_formats)
        now = format_time(self.clock())
        template = Template(new_resource_id(), checked_name, TEMPLATE_TYPE_CUSTOM, now, now, formats)
        self.db.insert_template(template)
        return template

    def get_template(self, template_id: object, job_id: object = None) -> Template:
        checked_id = require_text(Parameters.template_id.api, template_id, max_chars=rules.MAX_ID_LENGTH)
        checked_job_id = optional_text(Parameters.job_id.api, job_id, max_chars=rules.MAX_ID_LENGTH)
        if checked_job_id:
            job = self.db.get_job(checked_job_id)
            if job is None:
                raise job_not_found(checked_job_id)
            if job.template_snapshot.template_id != checked_id:
                raise template_not_found(checked_id)
            return job.template_snapshot
        template = self.db.get_template(checked_id)
        if template is None:
            raise template_not_found(checked_id)
        return template

    def _custom_template(self, template_id: object, verb: str) -> str:
        checked_id = require_text(Parameters.template_id.api, template_id, max_chars=rules.MAX_ID_LENGTH)
        template = self.db.get_template(checked_id)
        if template is None:
            raise template_not_found(checked_id)
        if template.type == TEMPLATE_TYPE_SYSTEM:
            raise OperationDenied(
                "OperationDenied.SystemTemplate", f"The system template {checked_id!r} cannot be {verb}."
            )
        return checked_id

    def update_template(self, template_id: object, name: object, record_formats: object) -> None:
        checked_id = self._custom_template(template_id, "updated")
        template_fields = fields.LiveRecordTemplate
        checked_name = require_name(template_fields.name.api, name)
        formats = validate_record_formats(template_fields.record_formats.request_name, record_formats)
        if not self.db.update_template(checked_id, checked_name, formats, format_time(self.clock())):
            raise template_not_found(checked_id)

    def delete_template(self, template_id: object) -> None:
        checked_id = self._custom_template(template_id, "deleted")
        if not self.db.delete_template(checked_id):
            raise template_not_found(checked_id)

    def list_templates(
        self,
        *,
        keyword: object = None,
        template_type: object = None,
        template_ids: object = None,
        page_no: object = None,
        page_size: object = None,
        sort_by: object = None,
    ) -> tuple[Page[Template], Listing]:
        listing = _paging(page_no, page_size, sort_by, rules.TEMPLATE_PAGE_SIZE_RANGE, "desc")
        page = self.db.list_templates(
            keyword=optional_text(Parameters.keyword.api, keyword, max_chars=rules.MAX_KEYWORD_LENGTH),
            template_type=optional_choice(Parameters.type.api, template_type, rules.TEMPLATE_TYPES),
            template_ids=id_list(Parameters.template_ids.api, template_ids),
            descending=listing.sort_by == "desc",
            offset=(listing.page_no - 1) * listing.page_size,
            limit=listing.page_size,
        )
        return page, listing

    # --- jobs -----------------------------------------------------------------------------------------------

    def submit_job(
        self,
        *,
        name: object,
        stream_input: object,
        record_output: object,
        template_id: object,
        notify_url: object = None,
    ) -> Job:
        job_fields, stream_fields, output_fields = LiveRecordJob, fields.StreamInput, fields.RecordOutput
        checked_name = require_name(job_fields.name.api, name)
        stream_name = job_fields.stream_input.api
        stream = _required_mapping(stream_name, stream_input)
        type_name, type_value = member(stream_name, stream, stream_fields.type)
        stream_type = optional_choice(type_name, type_value, rules.STREAM_TYPES, fold_case=True)
        if stream_type is None:
            raise MissingParameter(type_name)
        stream_url = validate_stream_url(*member(stream_name, stream, stream_fields.url))
        output_name = job_fields.record_output.api
        output = _required_mapping(output_name, record_output)
        type_name, type_value = member(output_name, output, output_fields.type)
        output_type = optional_choice(type_name, type_value, rules.OUTPUT_TYPES, fold_case=True)
        if output_type is None:
            raise MissingParameter(type_name)
        bucket = validate_bucket_name(*member(output_name, output, output_fields.bucket), output_type)
        endpoint = validate_endpoint(*member(output_name, output, output_fields.endpoint))
        checked_notify_url = validate_notify_url(job_fields.notify_url.api, notify_url)
        checked_template_id = require_text(
            job_fields.template_id.api, template_id, max_chars=rules.MAX_ID_LENGTH
        )
        template = self.db.get_template(checked_template_id)
        if template is None:
            raise template_not_found(checked_template_id)
        job = Job(
            job_id=new_resource_id(),
            name=checked_name,
            notify_url=checked_notify_url,
            create_time=format_time(self.clock()),
            stream_type=stream_type,
            stream_url=stream_url,
            output_type=output_type,
            bucket=bucket,
            endpoint=endpoint,
            template_id=template.template_id,
            template_name=template.name,
            template_snapshot=template,
            status=STATUS_INITIAL,
            gave_up=False,
        )
        self.db.insert_job(job)
        self._notify_status(job)
        self._start_recording(job)
        return job

    def get_job(self, job_id: object) -> Job:
        checked_id = require_text(Parameters.job_id.api, job_id, max_chars=rules.MAX_ID_LENGTH)
        job = self.db.get_job(checked_id)
        if job is None:
            raise job_not_found(checked_id)
        return job

    def list_jobs(
        self,
        *,
        keyword: object = None,
        start_time: object = None,
        end_time: object = None,
        status: object = None,
        page_no: object = None,
        page_size: object = None,
        sort_by: object = None,
    ) -> tuple[Page[Job], Listing]:
        listing = _paging(page_no, page_size, sort_by, rules.JOB_PAGE_SIZE_RANGE, "desc")
        start, end = time_window(start_time, end_time, rules.JOB_LIST_WINDOW)
        page = self.db.list_jobs(
            keyword=optional_text(Parameters.keyword.api, keyword, max_chars=rules.MAX_KEYWORD_LENGTH),
            start_time=start,
            end_time=end,
            status=optional_choice(Parameters.status.api, status, rules.JOB_STATUSES),
            descending=listing.sort_by == "desc",
            offset=(listing.page_no - 1) * listing.page_size,
            limit=listing.page_size,
        )
        return page, listing

    def remove_job(self, job_id: str) -> bool:
        """Out of band (admin API): the job vanishes; its recorder is stopped first so open files are kept."""
        if self.db.get_job(job_id) is None:
            return False
        self._stop_recorder(job_id)
        return self.db.delete_job(job_id)

    def _stop_recorder(self, job_id: str | None) -> None:
        """Stop one job's recording (every job's with None); open files are closed and reported. A recorder
        failure is logged: the admin action goes on."""
        try:
            if job_id is None:
                self.recorder.stop_all()
            else:
                self.recorder.stop(job_id)
        except Exception:
            logger.exception("the recorder failed to stop %s", job_id or "its jobs")

    def stop_job(self, job_id: str) -> Job | None:
        """Out of band (admin API): end the job's recording as if its stream had gone for good. The recorder
        closes and reports its open files first; the job stays, ``paused`` for good, and is not resumed after
        a restart. None for an unknown job."""
        if self.db.get_job(job_id) is None:
            return None
        logger.info("job %s stopped by the admin API (ims-local stop): files closed, paused for good", job_id)
        self._stop_recorder(job_id)
        self.on_gave_up(job_id)
        return self.db.get_job(job_id)

    def stop_all_jobs(self) -> list[str]:
        """Stop every job still recording or waiting for its stream; their ids."""
        job_ids = [job.job_id for job in self.db.jobs_to_resume()]
        logger.info("%d job(s) stopped by the admin API (ims-local stop --all): %s", len(job_ids), job_ids)
        self._stop_recorder(None)
        for job_id in job_ids:
            self.on_gave_up(job_id)
        return job_ids

    def reset(self) -> int:
        """Out of band (admin API): back to a new server. Every recorder is stopped first (open files closed,
        nothing half written), then every job, custom template and recording is deleted, with the buckets and
        the recorders' work directories. Returns how many jobs there were."""
        jobs = sum(self.db.job_counts().values())
        logger.info("reset by the admin API (ims-local reset): %d job(s), templates, recordings go", jobs)
        self._stop_recorder(None)
        self.db.clear()
        for directory in (self.data_dir / "buckets", self.data_dir / "work"):
            shutil.rmtree(directory, ignore_errors=True)
        logger.info("reset: %d job(s), their recordings and the custom templates deleted", jobs)
        return jobs

    # --- files ----------------------------------------------------------------------------------------------

    def list_files(
        self,
        *,
        job_ids: object = None,
        start_time: object = None,
        end_time: object = None,
        record_format: object = None,
        page_no: object = None,
        page_size: object = None,
        sort_by: object = None,
    ) -> tuple[Page[RecordFile], Listing]:
        listing = _paging(page_no, page_size, sort_by, rules.FILE_PAGE_SIZE_RANGE, "asc")
        start, end = time_window(start_time, end_time, rules.FILE_LIST_WINDOW)
        page = self.db.list_files(
            job_ids=id_list(Parameters.job_ids.api, job_ids),
            start_time=start,
            end_time=end,
            record_format=optional_choice(
                Parameters.record_format.api, record_format, rules.RECORD_FORMATS, fold_case=True
            ),
            descending=listing.sort_by == "desc",
            offset=(listing.page_no - 1) * listing.page_size,
            limit=listing.page_size,
        )
        return page, listing

    def files_of_job(self, job_id: str) -> list[RecordFile]:
        return self.db.files_of_job(job_id)

    def delete_files(self, record_ids: object, remove_file: bool = False) -> list[DeleteResult]:
        ids = id_list(Parameters.record_ids.api, record_ids)
        if not ids:
            raise MissingParameter(Parameters.record_ids.api)
        found = self.db.get_files(ids)
        results: list[DeleteResult] = []
        deleted: list[str] = []
        for record_id in ids:
            record = found.get(record_id)
            if record is None:
                results.append(
                    DeleteResult(
                        record_id, "InvalidRecordId.NotFound", "The specified RecordId does not exist."
                    )
                )
                continue
            if remove_file:
                try:
                    _bucket_files.remove_record_objects(
                        self.bucket_dir(record.bucket), record.object_key, record.format
                    )
                except OSError as error:
                    results.append(
                        DeleteResult(
                            record_id, "DeleteFileFailed", f"The file could not be removed: {error.strerror}"
                        )
                    )
                    continue
            deleted.append(record_id)
            results.append(DeleteResult(record_id, "OK", "OK"))
        self.db.delete_files(deleted)
        return results

    # --- recorder events ------------------------------------------------------------------------------------

    def on_status(self, job_id: str, status: str) -> None:
        if status not in (STATUS_STARTED, STATUS_PAUSED):
            logger.warning("recorder reported unknown status %r for job %s", status, job_id)
            return
        outcome = self.db.set_job_status(job_id, status, at=format_time(self.clock()))
        if outcome is not None and outcome[1]:
            self._notify_status(outcome[0])

    def on_gave_up(self, job_id: str) -> None:
        outcome = self.db.set_job_status(job_id, STATUS_PAUSED, at=format_time(self.clock()), gave_up=True)
        if outcome is not None and outcome[1]:
            self._notify_status(outcome[0])

    def on_file(self, file: RecordedFile) -> None:
        job = self.db.get_job(file.job_id)
        if job is None:
            logger.warning("file %s reported for unknown job %s; not recorded", file.object_key, file.job_id)
            return
        record = RecordFile(
            record_id=new_resource_id(),
            job_id=job.job_id,
            job_name=job.name,
            stream_url=job.stream_url,
            format=file.format,
            output_type=job.output_type,
            bucket=job.bucket,
            endpoint=job.endpoint,
            object_key=file.object_key,
            start_time=format_time(file.start_time),
            end_time=format_time(file.end_time),
            duration=float(file.duration),
            width=int(file.width),
            height=int(file.height),
            create_time=format_time(self.clock()),
        )
        if self.db.insert_file(record) and job.notify_url and self.events is not None:
            self.events.send(job.notify_url, "LiveRecordFileCreated", self.file_message(record))

    # --- callbacks ------------------------------------------------------------------------------------------

    def _notify_status(self, job: Job) -> None:
        if job.notify_url and self.events is not None:
            self.events.send(
                job.notify_url,
                "LiveRecordTaskStatus",
                {
                    StatusEvent.job_id.api: job.job_id,
                    StatusEvent.job_name.api: job.name,
                    StatusEvent.status.api: job.status,
                    StatusEvent.stream_url.api: job.stream_url,
                    StatusEvent.template_id.api: job.template_id,
                    StatusEvent.gave_up.api: job.gave_up,
                },
            )

    def file_message(self, record: RecordFile) -> dict[str, object]:
        return {
            FileEvent.job_id.api: record.job_id,
            FileEvent.job_name.api: record.job_name,
            FileEvent.record_id.api: record.record_id,
            FileEvent.format.api: record.format,
            FileEvent.record_url.api: self.record_url(record.bucket, record.object_key),
            FileEvent.bucket.api: record.bucket,
            FileEvent.object.api: record.object_key,
            FileEvent.start_time.api: record.start_time,
            FileEvent.end_time.api: record.end_time,
            FileEvent.duration.api: record.duration,
            FileEvent.width.api: record.width,
            FileEvent.height.api: record.height,
        }
