"""The API's objects, one table each: the only place an API field name is written.

Read it like a schema. Each ``Table`` subclass is one object of the ICE live-recording API; each ``Field``
on it gives the Python (snake_case) name - the attribute's own name - the API's PascalCase name (``api``), the
schema's camelCase name (``schema``, derived), the value type, the default the API applies, whether the
service sets it (``computed``), whether changing it replaces the resource (``replaces``), whether it may carry
a credential (``secret``) and one line of description. The HTTP client, the local IMS, the providers and the
resources read these tables; ``tests/test_layers.py`` fails when an API field name is spelled anywhere else.

Standard library only, and nothing from the rest of the package: ``rules`` reads its defaults from here.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, ClassVar

STRING, INTEGER, NUMBER, BOOLEAN, OBJECT, ARRAY = "string", "integer", "number", "boolean", "object", "array"


def camel_case(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class Field:
    """One field of an API object (see the module docstring)."""

    api: str
    type: str
    description: str
    default: Any = None
    required: bool = False
    computed: bool = False
    replaces: bool = False
    secret: bool = False
    of: builtins.type[Table] | None = None
    """The object type of an ``object`` field, or of the items of an ``array`` field."""
    parameter: str | None = None
    """The request parameter's name where it differs from the name in answers."""
    snake: str = field(default="", compare=False)

    def __set_name__(self, owner: builtins.type, name: str) -> None:
        if self.snake and self.snake != name:  # a field shared by two tables keeps one name
            raise TypeError(f"{owner.__name__}.{name} reuses the field {self.snake!r} under another name")
        object.__setattr__(self, "snake", name)

    @property
    def schema(self) -> str:
        """The Pulumi schema's camelCase name (``slice_oss_object_prefix`` → ``sliceOssObjectPrefix``)."""
        return camel_case(self.snake)

    @property
    def request_name(self) -> str:
        return self.parameter or self.api


class Table:
    """An API object; subclasses list their fields as class attributes, in the API's order."""

    FIELDS: ClassVar[tuple[Field, ...]] = ()

    def __init_subclass__(cls) -> None:
        cls.FIELDS = tuple(value for value in vars(cls).values() if isinstance(value, Field))

    @classmethod
    def snake_names(cls, *, inputs_only: bool = False) -> tuple[str, ...]:
        return tuple(item.snake for item in cls.FIELDS if not (inputs_only and item.computed))


# --- what a job records, and where ------------------------------------------------------------------------


class StreamInput(Table):
    """The live stream a job records."""

    type = Field("Type", STRING, "The stream's protocol; only rtmp.", default="rtmp", replaces=True)
    url = Field(
        "Url",
        STRING,
        "The rtmp:// URL to pull; it may carry an auth token.",
        required=True,
        replaces=True,
        secret=True,
    )


class RecordOutput(Table):
    """Where a job's recordings are stored."""

    type = Field("Type", STRING, "The storage kind: oss (a bucket) or vod.", default="oss", replaces=True)
    bucket = Field(
        "Bucket", STRING, "The OSS bucket (or VOD storage location).", required=True, replaces=True
    )
    endpoint = Field("Endpoint", STRING, "The bucket's OSS endpoint host.", replaces=True)


class RecordFormat(Table):
    """One output format of a template."""

    format = Field("Format", STRING, "The container: m3u8, mp4 or flv.", required=True)
    oss_object_prefix = Field(
        "OssObjectPrefix",
        STRING,
        "Object name of each recorded file (the m3u8 index, or the mp4/flv file), with {Variables}.",
        default="record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    )
    slice_oss_object_prefix = Field(
        "SliceOssObjectPrefix",
        STRING,
        "Object name of each HLS slice (m3u8 only), with {Variables}.",
        default="record/{JobId}/{UnixTimestamp}_{Sequence}",
    )
    slice_duration = Field("SliceDuration", INTEGER, "Seconds per HLS slice (m3u8 only).", default=30)
    cycle_duration = Field(
        "CycleDuration",
        INTEGER,
        "Seconds of stream per recorded file before a new one starts.",
        default=21600,
    )


# --- the API's resources ------------------------------------------------------------------------------------


class LiveRecordTemplate(Table):
    """A recording template: which formats a job writes, and how files are cut and named."""

    template_id = Field("TemplateId", STRING, "The template's id.", computed=True)
    name = Field("Name", STRING, "The template's name.", required=True)
    type = Field("Type", STRING, "system (preset, read-only) or custom.", computed=True)
    create_time = Field("CreateTime", STRING, "When the template was created (UTC).", computed=True)
    last_modified = Field("LastModified", STRING, "When the template last changed (UTC).", computed=True)
    record_formats = Field(
        "RecordFormatList",
        ARRAY,
        "The output formats, each at most once.",
        required=True,
        of=RecordFormat,
        parameter="RecordFormat",
    )


class LiveRecordJob(Table):
    """A recording job: one live stream recorded with a template into a bucket."""

    job_id = Field("JobId", STRING, "The job's id.", computed=True)
    name = Field("Name", STRING, "The job's name.", required=True, replaces=True)
    stream_input = Field(
        "StreamInput", OBJECT, "The stream to record.", required=True, replaces=True, of=StreamInput
    )
    record_output = Field(
        "RecordOutput", OBJECT, "Where recordings go.", required=True, replaces=True, of=RecordOutput
    )
    template_id = Field(
        "TemplateId", STRING, "The template the job records with.", required=True, replaces=True
    )
    template_name = Field("TemplateName", STRING, "The template's name.", computed=True)
    notify_url = Field(
        "NotifyUrl", STRING, "The http(s) URL that receives the job's events.", replaces=True, secret=True
    )
    status = Field("Status", STRING, "initial, started or paused.", default="initial", computed=True)
    create_time = Field("CreateTime", STRING, "When the job was submitted (UTC).", computed=True)


class LiveRecordFile(Table):
    """A recorded file's index entry (an m3u8 playlist, or an mp4/flv file)."""

    record_id = Field("RecordId", STRING, "The file record's id.", computed=True)
    job_id = Field("JobId", STRING, "The job that recorded it.", computed=True)
    job_name = Field("JobName", STRING, "That job's name.", computed=True)
    stream_url = Field("StreamUrl", STRING, "The stream recorded.", computed=True)
    format = Field("Format", STRING, "m3u8, mp4 or flv.", computed=True)
    record_url = Field("RecordUrl", STRING, "Where the file can be fetched.", computed=True)
    start_time = Field("StartTime", STRING, "Start of the recorded span (UTC).", computed=True)
    end_time = Field("EndTime", STRING, "End of the recorded span (UTC).", computed=True)
    duration = Field("Duration", NUMBER, "Seconds recorded.", computed=True)
    width = Field("Width", INTEGER, "Video width in pixels.", computed=True)
    height = Field("Height", INTEGER, "Video height in pixels.", computed=True)
    create_time = Field("CreateTime", STRING, "When the record was created (UTC).", computed=True)
    record_output = Field(
        "RecordOutput", OBJECT, "The storage (a JSON string in answers).", computed=True, of=RecordOutput
    )


class DeleteFileInfo(Table):
    """The outcome for one record of DeleteLiveRecordFiles."""

    code = Field("Code", STRING, "OK or the error code.", computed=True)
    message = Field("Message", STRING, "What happened.", computed=True)
    record_id = Field("RecordId", STRING, "The record.", computed=True)


# --- requests and answers -----------------------------------------------------------------------------------


class Parameters(Table):
    """Request parameters that are not fields of an object: filters, paging, id lists."""

    job_id = Field("JobId", STRING, "A job's id (GetLiveRecordJob; GetLiveRecordTemplate's snapshot).")
    template_id = Field("TemplateId", STRING, "A template's id.")
    keyword = Field("Keyword", STRING, "Matches names (and ids) containing it.")
    start_time = Field("StartTime", STRING, "Start of the time window (UTC).")
    end_time = Field("EndTime", STRING, "End of the time window (UTC).")
    status = Field("Status", STRING, "Lists only jobs in this status.")
    type = Field("Type", STRING, "Lists only templates of this type (system or custom).")
    record_format = Field("RecordFormat", STRING, "Lists only files of this format.")
    job_ids = Field("JobIds", ARRAY, "Lists only these jobs' files.")
    template_ids = Field("TemplateIds", ARRAY, "Lists only these templates.")
    record_ids = Field("RecordIds", ARRAY, "The file records to delete.")
    remove_file = Field("RemoveFile", BOOLEAN, "Also delete the stored objects.", default=False)
    page_no = Field("PageNo", INTEGER, "The page, from 1.", default=1)
    page_size = Field("PageSize", INTEGER, "Entries per page.", default=10)
    sort_by = Field("SortBy", STRING, "asc or desc by creation time (the default differs by operation).")


class CommonParameters(Table):
    """Parameters of every V2 (RPC-style) request, besides the signature's own (``api.signing``)."""

    action = Field("Action", STRING, "The operation (V3 sends it as the x-acs-action header).", required=True)
    version = Field("Version", STRING, "The API version (V3: the x-acs-version header).", required=True)
    format = Field("Format", STRING, "The answers' format.", default="JSON")
    timestamp = Field("Timestamp", STRING, "When the request was signed (UTC).", required=True)


class Answer(Table):
    """The top-level fields of answers, errors included."""

    request_id = Field("RequestId", STRING, "The request's id, for support.", computed=True)
    job_id = Field("JobId", STRING, "SubmitLiveRecordJob: the new job.", computed=True)
    template_id = Field("TemplateId", STRING, "CreateLiveRecordTemplate: the new template.", computed=True)
    record_job = Field("RecordJob", OBJECT, "GetLiveRecordJob's job.", computed=True, of=LiveRecordJob)
    live_record_jobs = Field("LiveRecordJobs", ARRAY, "A page of jobs.", computed=True, of=LiveRecordJob)
    record_template = Field(
        "RecordTemplate", OBJECT, "GetLiveRecordTemplate's template.", computed=True, of=LiveRecordTemplate
    )
    record_template_list = Field(
        "RecordTemplateList", ARRAY, "A page of templates.", computed=True, of=LiveRecordTemplate
    )
    files = Field("Files", ARRAY, "A page of file records.", computed=True, of=LiveRecordFile)
    delete_file_info_list = Field(
        "DeleteFileInfoList", ARRAY, "The records that were not deleted.", computed=True, of=DeleteFileInfo
    )
    total_count = Field("TotalCount", INTEGER, "Entries over all pages.", computed=True)
    page_no = Field("PageNo", INTEGER, "The page answered.", computed=True)
    page_size = Field("PageSize", INTEGER, "Its size.", computed=True)
    sort_by = Field("SortBy", STRING, "Its order.", computed=True)
    code = Field("Code", STRING, "An error's code.", computed=True)
    message = Field("Message", STRING, "An error's (or a partial delete's) message.", computed=True)
    host_id = Field("HostId", STRING, "The host that answered an error.", computed=True)
    recommend = Field("Recommend", STRING, "Where to read about an error.", computed=True)


# --- the events sent to a job's NotifyUrl -------------------------------------------------------------------


class StatusEvent(Table):
    """The message body of a ``LiveRecordTaskStatus`` event: a job's status changed."""

    job_id = Field("JobId", STRING, "The job.", computed=True)
    job_name = Field("JobName", STRING, "Its name.", computed=True)
    status = Field("Status", STRING, "Its new status.", computed=True)
    stream_url = Field("StreamUrl", STRING, "The stream it records.", computed=True)
    template_id = Field("TemplateId", STRING, "Its template.", computed=True)
    gave_up = Field(
        "GaveUp", BOOLEAN, "Local IMS only: the stream stayed away and the job stopped.", computed=True
    )


class FileEvent(Table):
    """The message body of a ``LiveRecordFileCreated`` event: a recorded file was closed and indexed."""

    job_id = LiveRecordFile.job_id
    job_name = LiveRecordFile.job_name
    record_id = LiveRecordFile.record_id
    format = LiveRecordFile.format
    record_url = LiveRecordFile.record_url
    bucket = Field("Bucket", STRING, "The bucket holding it.", computed=True)
    object = Field("Object", STRING, "Its object name.", computed=True)
    start_time = LiveRecordFile.start_time
    end_time = LiveRecordFile.end_time
    duration = LiveRecordFile.duration
    width = LiveRecordFile.width
    height = LiveRecordFile.height


class PrefixVariable:
    """The ``{Name}`` variables an object prefix may hold; some share a field's name and mean its value."""

    JOB_ID = LiveRecordJob.job_id.api
    START_TIME = LiveRecordFile.start_time.api
    END_TIME = LiveRecordFile.end_time.api
    SEQUENCE = "Sequence"
    ESCAPED_START_TIME = "EscapedStartTime"
    ESCAPED_END_TIME = "EscapedEndTime"
    UNIX_TIMESTAMP = "UnixTimestamp"


TABLES: tuple[builtins.type[Table], ...] = (
    StreamInput,
    RecordOutput,
    RecordFormat,
    LiveRecordTemplate,
    LiveRecordJob,
    LiveRecordFile,
    DeleteFileInfo,
    Parameters,
    CommonParameters,
    Answer,
    StatusEvent,
    FileEvent,
)


def api_names() -> frozenset[str]:
    """Every API field and parameter name the tables hold."""
    return frozenset(
        name for table in TABLES for item in table.FIELDS for name in (item.api, item.request_name)
    )
