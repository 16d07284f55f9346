"""Every property of every resource, declared once: the API's fields (from ``api.fields``) and what the
provider adds (adoption, waiting, cleanup on destroy, the job set, its entries), with defaults and ranges.
``schema`` renders them as ``schema.json``; ``_checks`` and the lifecycle modules read their names, defaults
and ranges from here (``inputs``, ``outputs``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TypedDict, TypeVar

from pulumi_ims_record.api import fields, rules
from pulumi_ims_record.api.fields import ARRAY, BOOLEAN, INTEGER, OBJECT, STRING, Field, Table, camel_case

MAP = "map"
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN: a value not known yet


@dataclass(frozen=True)
class Property:
    """A property the provider adds to the API's fields."""

    snake: str
    type: str
    description: str
    default: Any = None
    required: bool = False
    output_only: bool = False
    replaces: bool = False
    secret: bool = False
    of: str | None = None
    """The object type (a name in ``TYPES``) of an ``object`` property, or of the items of an array or map."""
    low: int | None = None
    high: int | None = None
    """An integer's range, where the provider sets one (the API's own ranges are in ``api.rules``)."""

    @property
    def schema(self) -> str:
        return camel_case(self.snake)

    @property
    def bounds(self) -> tuple[int, int]:
        """``(low, high)`` of a property declared with a range."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.snake} has no range")
        return self.low, self.high

    @property
    def full_description(self) -> str:
        """The description with the range, said from ``low`` and ``high`` (the one place of those numbers)."""
        if self.type == INTEGER and self.low is not None and self.high is not None:
            return f"{self.description[:-1]}, {self.low} to {self.high}."
        if self.type == STRING and self.high is not None:  # low: 1 (not empty)
            return f"{self.description[:-1]}, at most {self.high} characters."
        return self.description


def _from_field(item: Field, *, required: bool | None = None) -> Property:
    return Property(
        snake=item.snake,
        type=item.type,
        description=item.description,
        default=item.default,
        required=item.required if required is None else required,
        output_only=item.computed,
        replaces=item.replaces,
        secret=item.secret,
        of=item.of.__name__ if item.of is not None else None,
    )


def _table(table: type[Table]) -> tuple[Property, ...]:
    return tuple(_from_field(item) for item in table.FIELDS)


def _resource_table(table: type[Table]) -> tuple[Property, ...]:
    """A resource's API fields; its name, as for the Python resources, defaults to the resource's name."""
    return tuple(
        replace(prop, required=False, description=f"{prop.description[:-1]}; default: the resource's name.")
        if prop.snake == "name"
        else prop
        for prop in _table(table)
    )


# --- what the provider adds, with its ranges --------------------------------------------------------------

WAIT_TIMEOUT = Property(
    "wait_timeout_seconds",
    INTEGER,
    "How long create waits for waitForStatus, in seconds.",
    default=300,
    low=1,
    high=3600,
)
CONCURRENCY = Property("concurrency", INTEGER, "How many submits run at once.", default=16, low=1, high=64)
ENTRY_KEY = Property(
    "key",
    STRING,
    "The entry's stable identity in the set (unique in the set, ignoring letter case).",
    required=True,
    low=1,
    high=128,
)

_JOB = fields.LiveRecordJob
_ADOPTED = Property(
    "adopted", BOOLEAN, "True when create tracked an existing one instead of making one.", output_only=True
)
_DELETE_RECORDINGS = Property(
    "delete_recordings_on_destroy",
    BOOLEAN,
    "On destroy (or replace), also delete the recorded files and their stored objects.",
    default=False,
)

# --- the objects inside resources ---------------------------------------------------------------------------

_ENTRY_INPUTS = (
    ENTRY_KEY,
    replace(
        _from_field(_JOB.name, required=False),
        description=f"{_JOB.name.description[:-1]}; default: <set resource name>-<key>.",
    ),
    _from_field(_JOB.stream_input),
    _from_field(_JOB.record_output, required=False),
    _from_field(_JOB.notify_url),
)
_ORIGIN = Property(
    "origin",
    STRING,
    "How create got the job: submitted, adopted_by_id, adopted_recent or adopted_after_ambiguous_submit.",
    output_only=True,
)

TYPES: dict[str, tuple[Property, ...]] = {
    **{
        table.__name__: _table(table)
        for table in (fields.StreamInput, fields.RecordOutput, fields.RecordFormat)
    },
    "LiveRecordJobSetEntry": _ENTRY_INPUTS,
    "LiveRecordJobSetJob": (
        *_ENTRY_INPUTS,
        _from_field(_JOB.template_id, required=False),
        _from_field(_JOB.job_id),
        _from_field(_JOB.status),
        _from_field(_JOB.create_time),
        _from_field(_JOB.template_name),
        _ORIGIN,
    ),
}
"""Object types by name."""
TYPES["LiveRecordFile"] = tuple(
    replace(prop, required=prop.snake not in ("width", "height"), output_only=False)
    for prop in _table(fields.LiveRecordFile)
    if prop.snake not in ("stream_url", "record_output")  # the stream URL may hold a token
)
OUTPUT_TYPES = frozenset({"LiveRecordJobSetJob", "LiveRecordFile"})
"""Types that only appear in outputs (their service-set properties are listed too)."""

# --- the resources ------------------------------------------------------------------------------------------

RESOURCES: dict[str, tuple[str, tuple[Property, ...]]] = {
    "LiveRecordTemplate": (
        "A recording template of Alibaba Cloud IMS: which formats a job writes, and how files are cut and "
        "named. Changes update it in place; the id is the TemplateId.",
        (
            *_resource_table(fields.LiveRecordTemplate),
            Property(
                "adopt_template_id",
                STRING,
                "Track this existing template instead of creating one; create checks it matches.",
            ),
            _ADOPTED,
        ),
    ),
    "LiveRecordJob": (
        "A live-stream recording job of Alibaba Cloud IMS (SubmitLiveRecordJob); the id is the JobId. The "
        "API cannot change, stop or delete a job: a changed input replaces it, and destroy forgets it (it "
        "keeps recording until its stream ends).",
        (
            *_resource_table(_JOB),
            Property(
                "adopt_job_id",
                STRING,
                "Track this existing job instead of submitting one; create checks it matches the inputs.",
            ),
            Property(
                "wait_for_status",
                STRING,
                f"Make create wait until the job reports this status ({', '.join(rules.JOB_STATUSES)}).",
            ),
            WAIT_TIMEOUT,
            _DELETE_RECORDINGS,
            _ADOPTED,
            _ORIGIN,
        ),
    ),
    "LiveRecordJobSet": (
        "Many live-stream recording jobs in one resource, submitted concurrently; each entry of jobs is "
        "keyed, and a changed or added entry gets a new job while the others are kept.",
        (
            Property(
                "jobs", ARRAY, "The jobs, each with a unique key.", required=True, of="LiveRecordJobSetEntry"
            ),
            _from_field(_JOB.template_id),
            Property(
                "record_output",
                OBJECT,
                "Where recordings go, for every entry that does not say.",
                of=fields.RecordOutput.__name__,
            ),
            CONCURRENCY,
            _DELETE_RECORDINGS,
            Property("job_ids", MAP, "The JobId of each entry, by key.", output_only=True),
        ),
    ),
}
"""Each resource: its description and properties (inputs, then outputs)."""

_TEMPLATE = fields.LiveRecordTemplate

FUNCTIONS: dict[str, tuple[str, tuple[Property, ...], tuple[Property, ...]]] = {
    "getLiveRecordTemplate": (
        "Look up a recording template, a system one included: by templateId, or by its exact name "
        "(exactly one template may have it).",
        (
            replace(
                _from_field(_TEMPLATE.template_id),
                output_only=False,
                description="The TemplateId; or give name.",
            ),
            replace(
                _from_field(_TEMPLATE.name, required=False),
                description="The template's exact name; or give templateId.",
            ),
        ),
        tuple(replace(prop, required=True, output_only=False) for prop in _table(_TEMPLATE)),
    ),
    "getLiveRecordJob": (
        "Look up a recording job by its JobId (one this stack did not submit, too): its name, status, "
        "stream, output and template. The stream is a secret output: its URL may hold a token.",
        (replace(_from_field(_JOB.job_id), required=True, output_only=False, description="The JobId."),),
        tuple(
            replace(
                prop,
                required=prop.snake not in ("notify_url", "template_name"),
                output_only=False,
                replaces=False,
                secret=prop.secret or prop.snake == "stream_input",
            )
            for prop in _table(_JOB)
        ),
    ),
    "getLiveRecordFiles": (
        "The recordings of one or more jobs recorded between startTime and endTime (any span: the API's "
        "4-day window and page size are the function's business), oldest first.",
        (
            Property("job_ids", ARRAY, "The jobs' JobIds.", required=True),
            Property("start_time", STRING, "From (UTC, 2026-12-07T08:00:00Z).", required=True),
            Property("end_time", STRING, "Until (UTC), after startTime.", required=True),
            Property("format", STRING, "Only files of this format: m3u8, mp4 or flv."),
        ),
        (Property("files", ARRAY, "The recordings, oldest first.", required=True, of="LiveRecordFile"),),
    ),
}
"""Each function: its description, its inputs, its outputs."""

OUTPUT_SHAPES = {
    ("LiveRecordJobSet", "jobs"): Property("jobs", MAP, "Each entry's job, by key.", of="LiveRecordJobSetJob")
}
"""Outputs whose shape differs from the input of the same name (the job set keeps its entries by key)."""


def inputs(resource: str) -> tuple[str, ...]:
    """A resource's input properties (snake_case), in declaration order."""
    return tuple(prop.snake for prop in RESOURCES[resource][1] if not prop.output_only)


def outputs(resource: str) -> tuple[str, ...]:
    """The properties only the provider sets (the outputs besides the inputs)."""
    return tuple(prop.snake for prop in RESOURCES[resource][1] if prop.output_only)


def type_fields(name: str) -> tuple[str, ...]:
    """An object type's properties (snake_case)."""
    return tuple(prop.snake for prop in TYPES[name])


# --- the one naming rule of set entries -------------------------------------------------------------


def default_entry_name(set_name: str, key: str) -> str:
    """The job name of a set entry declared without ``name``, through both front doors: ``<set resource
    name>-<key>`` (two sets of a stack with the same keys submit differently named jobs, and a job's name says
    which set it belongs to)."""
    return f"{set_name}-{key}"


def name_entries(entries: Any, set_name: str, old_inputs: Mapping[str, Any]) -> Any:
    """The native package's entries, each without ``name`` named by ``default_entry_name``, except where the
    stack already has a job for that key named ``<key>`` (what the native package named unnamed entries
    before the one rule): that name stays, so an existing stack replaces no job. The Python resources have
    always named entries by the rule (``resources/live_record_job_set.py``)."""
    if not isinstance(entries, list):
        return entries
    old_entries = old_inputs.get("jobs")
    named_by_key = {
        old["key"]: old.get("name")
        for old in (old_entries if isinstance(old_entries, list) else [])
        if isinstance(old, Mapping) and isinstance(old.get("key"), str)
    }
    named = []
    for entry in entries:
        key = entry.get("key") if isinstance(entry, Mapping) else None
        if isinstance(key, str) and key != UNKNOWN_SENTINEL and entry.get("name") is None:
            kept = named_by_key.get(key) == key
            entry = {**entry, "name": key if kept else default_entry_name(set_name, key)}
        named.append(entry)
    return named


def default_names(
    resource: str, resource_name: str, news: Mapping[str, Any], old_inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """A program's inputs with the names it left out, by the rule of both front doors: a template or a job
    is named after its resource, a set's entry ``<set resource name>-<key>`` (``name_entries``)."""
    named = dict(news)
    if resource == "LiveRecordJobSet":
        if "jobs" in named:
            named["jobs"] = name_entries(named["jobs"], resource_name, old_inputs)
    elif named.get("name") is None:
        named["name"] = resource_name
    return named


# --- the typed values of the checked inputs ---------------------------------------------------------------
# What ``check`` returns and the lifecycle code reads, key by key, so mypy names a mistyped key. Their keys
# are the properties above (tests/provider/test_properties.py holds the two together).


# (Required keys in a base class, the others in a total=False subclass: ``Required[...]`` is not seen under
# postponed annotations, and ``decode`` reads ``__required_keys__``.)


class StreamInputValue(TypedDict):
    type: str
    url: str


class _RecordOutputRequired(TypedDict):
    type: str
    bucket: str


class RecordOutputValue(_RecordOutputRequired, total=False):
    endpoint: str


class _RecordFormatRequired(TypedDict):
    format: str


class RecordFormatValue(_RecordFormatRequired, total=False):
    oss_object_prefix: str
    slice_oss_object_prefix: str
    slice_duration: int
    cycle_duration: int


class _TemplateRequired(TypedDict):
    name: str
    record_formats: list[RecordFormatValue]


class TemplateInputs(_TemplateRequired, total=False):
    adopt_template_id: str


class _JobRequestRequired(TypedDict):
    name: str
    stream_input: StreamInputValue
    record_output: RecordOutputValue
    template_id: str


class JobRequest(_JobRequestRequired, total=False):
    """What SubmitLiveRecordJob sends, and what the service stores with a job (a change replaces it)."""

    notify_url: str


class JobInputs(JobRequest, total=False):
    adopt_job_id: str
    wait_for_status: str
    wait_timeout_seconds: int
    delete_recordings_on_destroy: bool


class _JobSetEntryRequired(TypedDict):
    key: str
    name: str
    stream_input: StreamInputValue
    record_output: RecordOutputValue


class JobSetEntry(_JobSetEntryRequired, total=False):
    notify_url: str


class _JobSetRequired(TypedDict):
    jobs: list[JobSetEntry]
    template_id: str


class JobSetInputs(_JobSetRequired, total=False):
    record_output: RecordOutputValue
    concurrency: int
    delete_recordings_on_destroy: bool


INPUT_TYPES: dict[str, type[Any]] = {
    "LiveRecordTemplate": TemplateInputs,
    "LiveRecordJob": JobInputs,
    "LiveRecordJobSet": JobSetInputs,
}
InputsT = TypeVar("InputsT", TemplateInputs, JobInputs, JobSetInputs)


class MissingInputError(ValueError):
    """Inputs that did not go through ``check`` (a required property is missing)."""


def decode(kind: type[InputsT], values: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> InputsT:
    """The checked inputs a lifecycle method was given, as their typed value (the keys of ``skip``, such as
    the dynamic host's ``__provider``, left out). ``check`` made them so; a required property missing means
    they did not come through it."""
    required: frozenset[str] = kind.__required_keys__  # type: ignore[attr-defined]
    missing = sorted(required - values.keys())
    if missing:
        raise MissingInputError(f"missing {', '.join(missing)}: the inputs were not checked")
    return kind(**{key: value for key, value in values.items() if key not in skip})
