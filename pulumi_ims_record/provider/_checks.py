"""Validation and normalisation of resource inputs (``check``), with no API call.

Every failure names the property path (``record_formats[0].slice_duration``) and the rule it breaks. Values
that are unknown during preview pass untouched. Normalising means: defaults filled in, integers that the
engine sent as floats turned back into ints, absent optional values dropped - so ``diff`` compares like with
like and never reports a spurious change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from pulumi_ims_record.api import fields, rules

from ._properties import CONCURRENCY, ENTRY_KEY, UNKNOWN_SENTINEL, WAIT_TIMEOUT, inputs, outputs, type_fields

PROVIDER_KEY = "__provider"
DEFAULT_WAIT_TIMEOUT = int(WAIT_TIMEOUT.default)

StringRule = Callable[[str], "str | None"]


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (preview): ``Unknown()`` or the wire sentinel string."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN_SENTINEL)


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(item) for item in value)
    return False


def plain_number(value: Any) -> Any:
    """Integral floats back to ints, recursively (the engine sends every number as a double)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: plain_number(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_number(item) for item in value]
    return value


class Failures:
    """Collects ``(property path, rule)`` pairs."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append((path, reason))

    def string(self, path: str, value: Any, *, required: bool, rule: StringRule | None = None) -> Any:
        """A string property: returns the value to keep (None when absent)."""
        if is_unknown(value):
            return value
        if value is None or (value == "" and not required):
            if required:
                self.add(path, "is required")
            return None
        if not isinstance(value, str):
            self.add(path, f"must be a string (got {type(value).__name__})")
            return None
        problem = rule(value) if rule else None
        if problem:
            self.add(path, problem)
        return value

    def choice(self, path: str, value: Any, choices: tuple[str, ...], default: str | None) -> Any:
        if is_unknown(value):
            return value
        if value is None:
            if default is None:
                self.add(path, f"is required (one of {', '.join(choices)})")
            return default
        if not isinstance(value, str) or value.lower() not in choices:
            self.add(path, f"must be one of {', '.join(choices)} (got {value!r})")
            return value
        return value.lower()

    def integer(self, path: str, value: Any, *, default: int | None, low: int, high: int) -> Any:
        if is_unknown(value):
            return value
        if value is None:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            self.add(path, f"must be a whole number (got {value!r})")
            return None
        number = int(value)
        problem = rules.integer_range_rule(number, low, high)
        if problem:
            self.add(path, f"{problem} (got {number})")
        return number

    def boolean(self, path: str, value: Any, *, default: bool) -> Any:
        if is_unknown(value):
            return value
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, f"must be true or false (got {value!r})")
            return default
        return value

    def mapping(self, path: str, value: Any, known: tuple[str, ...]) -> Mapping[str, Any] | None:
        """A nested object: None when absent or not an object (after recording the failure)."""
        if value is None:
            self.add(path, "is required")
            return None
        if not isinstance(value, Mapping):
            self.add(path, f"must be an object with {', '.join(known)} (got {type(value).__name__})")
            return None
        self.unknown_keys(value, known, prefix=f"{path}.")
        return value

    def unknown_keys(self, value: Mapping[str, Any], known: tuple[str, ...], *, prefix: str = "") -> None:
        for key in value:
            if key not in known and key != PROVIDER_KEY:
                self.add(f"{prefix}{key}", f"is not a known property (known: {', '.join(known)})")


def engine_failures(items: list[tuple[str, str]]) -> list[CheckFailure]:
    """The failures as the engine should show them: ``record_formats[0].slice_duration: must be 5–30 seconds
    (got 3)``, all in the reason, with no property: the engine prints a failure's property with the value it
    finds under that name among the top-level inputs, so a nested path or a missing value reads ``{<nil>}``.
    Values appear only where a rule quotes them back (numbers, fixed words, type names), never free text."""
    return [CheckFailure("", f"{path}: {reason}") for path, reason in items]


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# --- LiveRecordTemplate ---

TEMPLATE_INPUTS = inputs("LiveRecordTemplate")
TEMPLATE_OUTPUTS = outputs("LiveRecordTemplate")
RECORD_FORMAT_FIELDS = fields.RecordFormat.snake_names()


def check_record_format(failures: Failures, path: str, value: Any) -> Any:
    if is_unknown(value):
        return value
    entry = failures.mapping(path, value, RECORD_FORMAT_FIELDS)
    if entry is None:
        return value
    record_format = failures.choice(f"{path}.format", entry.get("format"), rules.RECORD_FORMATS, None)
    is_m3u8 = record_format == "m3u8"
    oss_prefix = failures.string(
        f"{path}.oss_object_prefix",
        entry.get("oss_object_prefix"),
        required=False,
        rule=rules.oss_object_prefix_rule,
    )
    slice_prefix = failures.string(
        f"{path}.slice_oss_object_prefix",
        entry.get("slice_oss_object_prefix"),
        required=is_m3u8,
        rule=rules.slice_prefix_rule,
    )
    low, high = rules.SLICE_DURATION_RANGE
    slice_duration = failures.integer(
        f"{path}.slice_duration",
        entry.get("slice_duration"),
        default=rules.DEFAULT_SLICE_DURATION if is_m3u8 else None,
        low=low,
        high=high,
    )
    if not is_m3u8 and not is_unknown(record_format) and record_format in rules.RECORD_FORMATS:
        for key, kept in (("slice_oss_object_prefix", slice_prefix), ("slice_duration", slice_duration)):
            if kept is not None:
                failures.add(
                    f"{path}.{key}", f"is only valid for the m3u8 format (this one is {record_format})"
                )
    low, high = rules.CYCLE_DURATION_RANGE
    cycle_duration = failures.integer(
        f"{path}.cycle_duration",
        entry.get("cycle_duration"),
        default=rules.DEFAULT_CYCLE_DURATION,
        low=low,
        high=high,
    )
    return _drop_none(
        {
            "format": record_format,
            "oss_object_prefix": oss_prefix,
            "slice_oss_object_prefix": slice_prefix,
            "slice_duration": slice_duration,
            "cycle_duration": cycle_duration,
        }
    )


def check_template(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normalised template inputs and the failures found."""
    failures = Failures()
    failures.unknown_keys(news, TEMPLATE_INPUTS + TEMPLATE_OUTPUTS)
    name = failures.string("name", news.get("name"), required=True, rule=rules.name_rule)
    raw_formats = news.get("record_formats")
    formats: Any = raw_formats
    if is_unknown(raw_formats):
        pass
    elif not isinstance(raw_formats, list | tuple) or not raw_formats:
        failures.add("record_formats", "must be a non-empty list of record formats (m3u8, mp4, flv)")
    else:
        formats = [
            check_record_format(failures, f"record_formats[{i}]", item) for i, item in enumerate(raw_formats)
        ]
        seen: dict[str, int] = {}
        for index, item in enumerate(formats):
            kind = item.get("format") if isinstance(item, Mapping) else None
            if isinstance(kind, str) and kind in rules.RECORD_FORMATS:
                if kind in seen:
                    failures.add(
                        f"record_formats[{index}].format",
                        f"duplicates record_formats[{seen[kind]}]: each format may appear once",
                    )
                seen.setdefault(kind, index)
    adopt = failures.string(
        "adopt_template_id", news.get("adopt_template_id"), required=False, rule=rules.id_rule
    )
    inputs = _drop_none({"name": name, "record_formats": formats, "adopt_template_id": adopt})
    return inputs, failures.items


# --- LiveRecordJob ---

JOB_API_INPUTS = tuple(item.snake for item in fields.LiveRecordJob.FIELDS if item.replaces)
"""Inputs the service stores with the job: the API cannot change them, so a change replaces the job."""
JOB_BEHAVIOUR_INPUTS = ("wait_for_status", "wait_timeout_seconds", "delete_recordings_on_destroy")
"""Inputs that only steer the provider: changing them updates state, never the job."""
JOB_INPUTS = inputs("LiveRecordJob")
DEFAULT_DELETE_RECORDINGS = False
JOB_BEHAVIOUR_DEFAULTS: dict[str, object] = {
    "wait_timeout_seconds": DEFAULT_WAIT_TIMEOUT,
    "delete_recordings_on_destroy": DEFAULT_DELETE_RECORDINGS,
}
"""What ``check`` fills in, and ``read`` too when the state has none (an imported job)."""
JOB_OUTPUTS = outputs("LiveRecordJob")
STREAM_INPUT_FIELDS = fields.StreamInput.snake_names()
RECORD_OUTPUT_FIELDS = fields.RecordOutput.snake_names()


def check_stream_input(failures: Failures, value: Any) -> Any:
    if is_unknown(value):
        return value
    entry = failures.mapping("stream_input", value, STREAM_INPUT_FIELDS)
    if entry is None:
        return value
    return {
        "type": failures.choice(
            "stream_input.type", entry.get("type"), rules.STREAM_TYPES, rules.DEFAULT_STREAM_TYPE
        ),
        "url": failures.string("stream_input.url", entry.get("url"), required=True, rule=rules.rtmp_url_rule),
    }


def check_record_output(failures: Failures, value: Any) -> Any:
    if is_unknown(value):
        return value
    entry = failures.mapping("record_output", value, RECORD_OUTPUT_FIELDS)
    if entry is None:
        return value
    output_type = failures.choice(
        "record_output.type", entry.get("type"), rules.OUTPUT_TYPES, rules.DEFAULT_OUTPUT_TYPE
    )
    # A type unknown at preview gets the looser rule (every OSS bucket name is a valid VOD storage location).
    bucket_rule = rules.bucket_rule(output_type) if isinstance(output_type, str) else rules.vod_storage_rule
    return _drop_none(
        {
            "type": output_type,
            "bucket": failures.string(
                "record_output.bucket", entry.get("bucket"), required=True, rule=bucket_rule
            ),
            "endpoint": failures.string(
                "record_output.endpoint", entry.get("endpoint"), required=False, rule=rules.endpoint_rule
            ),
        }
    )


def check_job(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normalised job inputs and the failures found."""
    failures = Failures()
    failures.unknown_keys(news, JOB_INPUTS + JOB_OUTPUTS)
    low, high = WAIT_TIMEOUT.bounds
    checked = {
        "name": failures.string("name", news.get("name"), required=True, rule=rules.name_rule),
        "stream_input": check_stream_input(failures, news.get("stream_input")),
        "record_output": check_record_output(failures, news.get("record_output")),
        "template_id": failures.string(
            "template_id", news.get("template_id"), required=True, rule=rules.id_rule
        ),
        "notify_url": failures.string(
            "notify_url", news.get("notify_url"), required=False, rule=rules.http_url_rule
        ),
        "adopt_job_id": failures.string(
            "adopt_job_id", news.get("adopt_job_id"), required=False, rule=rules.id_rule
        ),
        "wait_for_status": (
            None
            if news.get("wait_for_status") in (None, "")
            else failures.choice("wait_for_status", news.get("wait_for_status"), rules.JOB_STATUSES, None)
        ),
        "wait_timeout_seconds": failures.integer(
            "wait_timeout_seconds",
            news.get("wait_timeout_seconds"),
            default=DEFAULT_WAIT_TIMEOUT,
            low=low,
            high=high,
        ),
        "delete_recordings_on_destroy": failures.boolean(
            "delete_recordings_on_destroy",
            news.get("delete_recordings_on_destroy"),
            default=DEFAULT_DELETE_RECORDINGS,
        ),
    }
    return _drop_none(checked), failures.items


# --- LiveRecordJobSet ---

SET_INPUTS = inputs("LiveRecordJobSet")
SET_OUTPUTS = outputs("LiveRecordJobSet")
ENTRY_FIELDS = type_fields("LiveRecordJobSetEntry")
DEFAULT_CONCURRENCY = int(CONCURRENCY.default)


def _key_rule(value: str) -> str | None:
    if not value:
        return "must not be empty"
    _, longest = ENTRY_KEY.bounds
    if len(value) > longest:
        return f"must be at most {longest} characters (got {len(value)})"
    return rules.name_rule(value)


def check_job_set(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normalised set inputs and the failures found. Each entry is checked with the same rules as a
    ``LiveRecordJob`` (the ``_checks`` functions), its failures prefixed with ``jobs[i].``; an entry without
    ``record_output`` takes the set's. Each entry has its ``name`` by now: the front doors fill in
    ``default_entry_name`` (the set's resource name is theirs, not the check's)."""
    failures = Failures()
    failures.unknown_keys(news, SET_INPUTS + SET_OUTPUTS)
    template_id = failures.string("template_id", news.get("template_id"), required=True, rule=rules.id_rule)
    default_output = news.get("record_output")
    if default_output is not None:
        default_output = check_record_output(failures, default_output)
    low, high = CONCURRENCY.bounds
    concurrency = failures.integer(
        "concurrency", news.get("concurrency"), default=DEFAULT_CONCURRENCY, low=low, high=high
    )
    delete_recordings = failures.boolean(
        "delete_recordings_on_destroy", news.get("delete_recordings_on_destroy"), default=False
    )
    raw_jobs = news.get("jobs")
    jobs: Any = raw_jobs
    if is_unknown(raw_jobs):
        pass
    elif not isinstance(raw_jobs, list | tuple):
        failures.add("jobs", "must be a list of jobs, each with a key and a stream_input")
    else:
        jobs = [_check_entry(failures, index, item, default_output) for index, item in enumerate(raw_jobs)]
        # Keys are compared case-insensitively: an entry's default name ends with its key, and the service
        # finds jobs by name case-insensitively (ListLiveRecordJobs' Keyword), so "cam1" and "CAM1" would be
        # two jobs no search tells apart; almost always a typo.
        first_index: dict[str, tuple[int, str]] = {}
        for index, entry in enumerate(jobs):
            key = entry.get("key") if isinstance(entry, Mapping) else None
            if isinstance(key, str) and not is_unknown(key):
                folded = key.casefold()
                if folded in first_index:
                    first, first_key = first_index[folded]
                    how = "" if first_key == key else f" ({first_key!r}) but for letter case"
                    failures.add(
                        f"jobs[{index}].key",
                        f"duplicates jobs[{first}].key{how}: keys must be unique, ignoring case",
                    )
                first_index.setdefault(folded, (index, key))
    inputs = {
        "jobs": jobs,
        "template_id": template_id,
        "record_output": default_output,
        "concurrency": concurrency,
        "delete_recordings_on_destroy": delete_recordings,
    }
    return {key: value for key, value in inputs.items() if value is not None}, failures.items


def _check_entry(failures: Failures, index: int, value: Any, default_output: Any) -> Any:
    path = f"jobs[{index}]"
    if is_unknown(value):
        return value
    entry = failures.mapping(path, value, ENTRY_FIELDS)
    if entry is None:
        return value
    # The job checks name their paths from the job's root ("stream_input.url"); prefix them with the entry.
    own = Failures()
    key = own.string("key", entry.get("key"), required=True, rule=_key_rule)
    name = entry.get("name")
    if name is None and is_unknown(key):
        name = key  # the front door names the entry (default_entry_name) once its key is known
    name = own.string("name", name, required=True, rule=rules.name_rule)
    output = entry.get("record_output")
    if output is None:
        if default_output is None:
            own.add("record_output", "is required (on the entry or as the set's record_output)")
        output = default_output
    elif not is_unknown(output):
        output = check_record_output(own, output)
    checked = {
        "key": key,
        "name": name,
        "stream_input": check_stream_input(own, entry.get("stream_input")),
        "record_output": output,
        "notify_url": own.string(
            "notify_url", entry.get("notify_url"), required=False, rule=rules.http_url_rule
        ),
    }
    for sub_path, reason in own.items:
        failures.add(f"{path}.{sub_path}", reason)
    return {field: item for field, item in checked.items() if item is not None}
