"""The value rules of the live-recording API, written once for every layer that needs them.

The provider's ``check`` (preview time, zero API calls) and the local IMS (which answers ``InvalidParameter``)
both use this module; neither may import the other, and both may import ``ice``. Each rule is a pure function
returning None when the value is fine, else the rule it breaks as a short phrase without the parameter's
name (``"must be shorter than 256 bytes (got 300)"``): the provider puts the property path in front of it,
the local IMS the API parameter name. Where the public documentation is silent, the limit chosen here is
documented in ``docs/local-ims.md`` and ``docs/resources.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from urllib.parse import SplitResult, urlsplit

from pulumi_ims_record.api.fields import (
    LiveRecordJob,
    Parameters,
    PrefixVariable,
    RecordFormat,
    RecordOutput,
    StreamInput,
)

# --- enums --------------------------------------------------------------------------------------------------

RECORD_FORMATS = ("m3u8", "mp4", "flv")
STREAM_TYPES = ("rtmp",)
DEFAULT_STREAM_TYPE: str = StreamInput.type.default
OUTPUT_TYPES = ("oss", "vod")
DEFAULT_OUTPUT_TYPE: str = RecordOutput.type.default
JOB_STATUSES = ("initial", "started", "paused")
INITIAL_STATUS, STARTED_STATUS, PAUSED_STATUS = JOB_STATUSES
assert LiveRecordJob.status.default == INITIAL_STATUS, "api.fields and api.rules disagree"
TEMPLATE_TYPES = ("system", "custom")
SORT_ORDERS = ("asc", "desc")

# --- ranges, limits and defaults ----------------------------------------------------------------------------

SLICE_DURATION_RANGE = (5, 30)  # seconds
DEFAULT_SLICE_DURATION: int = RecordFormat.slice_duration.default
CYCLE_DURATION_RANGE = (5, 21600)  # seconds: the documented default (6 h) is also the largest value accepted
DEFAULT_CYCLE_DURATION: int = RecordFormat.cycle_duration.default

MAX_NAME_LENGTH = 128
MAX_ID_LENGTH = 128
MAX_URL_LENGTH = 1024
MAX_KEYWORD_LENGTH = 128
MAX_STORAGE_NAME_LENGTH = 255
MAX_PREFIX_BYTES = 255  # the API says "< 256 bytes"
MAX_OBJECT_KEY_BYTES = 1023  # OSS's own object-name limit
MAX_IDS_PER_REQUEST = 100

TEMPLATE_PAGE_SIZE_RANGE = (1, 100)
JOB_PAGE_SIZE_RANGE = (1, 100)
FILE_PAGE_SIZE_RANGE = (5, 30)  # documented for ListLiveRecordFiles
DEFAULT_PAGE_SIZE: int = Parameters.page_size.default
JOB_LIST_WINDOW = timedelta(days=30)
FILE_LIST_WINDOW = timedelta(days=4)

# --- recording prefixes -------------------------------------------------------------------------------------

DEFAULT_OSS_OBJECT_PREFIX: str = RecordFormat.oss_object_prefix.default
DEFAULT_SLICE_OSS_OBJECT_PREFIX: str = RecordFormat.slice_oss_object_prefix.default
_V = PrefixVariable
OSS_OBJECT_PREFIX_VARIABLES = frozenset(
    {_V.JOB_ID, _V.SEQUENCE, _V.START_TIME, _V.END_TIME, _V.ESCAPED_START_TIME, _V.ESCAPED_END_TIME}
)
SLICE_PREFIX_VARIABLES = frozenset({_V.JOB_ID, _V.UNIX_TIMESTAMP, _V.SEQUENCE})
OSS_OBJECT_PREFIX_REQUIRED = ((_V.START_TIME, _V.ESCAPED_START_TIME), (_V.END_TIME, _V.ESCAPED_END_TIME))
"""Each group: at least one of its variables must appear."""
SLICE_PREFIX_REQUIRED = ((_V.UNIX_TIMESTAMP,), (_V.SEQUENCE,))

PREFIX_VARIABLE = re.compile(r"\{([^{}]*)\}")
"""A ``{Name}`` variable in a prefix (the local recorder expands prefixes with the same pattern)."""

UTC_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_UTC_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_OSS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_VOD_STORAGE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9](\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")
_ID = re.compile(r"^[A-Za-z0-9*._-]+$")
_ENDPOINT_RULE = (
    "must be a host name like oss-cn-shanghai.aliyuncs.com (optionally with http:// or https:// and a port "
    "from 1 to 65535)"
)


def parse_utc_time(value: str) -> datetime | None:
    """A time in the API's one form, ``2022-07-20T02:48:58Z`` (ASCII digits, upper-case T and Z), or None.
    (``strptime`` alone would also take lower-case letters and other scripts' digits.)"""
    if not _UTC_TIME.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, UTC_TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:  # the right shape, an impossible date (month 13)
        return None


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


# --- names, ids, URLs ---------------------------------------------------------------------------------------


def name_rule(value: str) -> str | None:
    """A template or job name."""
    if len(value) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters (got {len(value)})"
    if has_control_characters(value):
        return "must not contain control characters"
    if not value.strip():
        return "must not be empty or blank"
    return None


def id_rule(value: str) -> str | None:
    """A TemplateId or JobId as the service issues them."""
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH or not _ID.match(value):
        return f"must be an id of letters, digits, '-', '_' or '.' (at most {MAX_ID_LENGTH} characters)"
    return None


def _url_text_rule(value: str) -> str | None:
    if len(value) > MAX_URL_LENGTH or has_control_characters(value) or any(ch.isspace() for ch in value):
        return f"must be at most {MAX_URL_LENGTH} characters without spaces or control characters"
    return None


def _split_url(value: str) -> SplitResult | None:
    """The URL's parts, or ``None`` when it cannot be parsed: an unclosed ``[``, a port that is not a number
    from 1 to 65535 (``urlsplit`` and ``.port`` raise ``ValueError`` for these; a rule answers instead)."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if port == 0:
        return None
    return parts


def rtmp_url_rule(value: str) -> str | None:
    """``StreamInput.Url``: an rtmp:// URL naming an application and a stream."""
    parts = _split_url(value)
    if parts is None or parts.scheme.lower() != "rtmp" or not parts.hostname:
        return (
            "must be an rtmp:// URL with a host and, if any, a port from 1 to 65535, "
            "e.g. rtmp://example.com/live/stream1"
        )
    problem = _url_text_rule(value)
    if problem:
        return problem
    if parts.path.strip("/") == "":
        return "must name an application and a stream, e.g. rtmp://example.com/live/stream1"
    return None


def http_url_rule(value: str) -> str | None:
    """``NotifyUrl``: where the service posts callbacks."""
    parts = _split_url(value)
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host and, if any, a port from 1 to 65535"
    return _url_text_rule(value)


def oss_bucket_rule(value: str) -> str | None:
    """``RecordOutput.Bucket`` of an ``oss`` output: OSS bucket naming."""
    if not _OSS_BUCKET.match(value):
        return (
            "must be an OSS bucket name: 3–63 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit"
        )
    return None


def vod_storage_rule(value: str) -> str | None:
    """``RecordOutput.Bucket`` of a ``vod`` output: a VOD storage location, the host name of the OSS bucket
    behind it (``outin-xxxx.oss-cn-shanghai.aliyuncs.com``). Its first label is an OSS bucket name, the rest
    lower-case DNS labels. (The local IMS keeps the files in a directory of that name: no ``/`` or ``..``.)"""
    if len(value) > MAX_STORAGE_NAME_LENGTH or not _VOD_STORAGE.match(value):
        return (
            "must be a VOD storage location like outin-xxxxxxxx.oss-cn-shanghai.aliyuncs.com: an OSS bucket "
            "name (3–63 lowercase letters, digits or '-'), then optional dot-separated lower-case labels, "
            f"at most {MAX_STORAGE_NAME_LENGTH} characters"
        )
    return None


def bucket_rule(output_type: str) -> Callable[[str], str | None]:
    """The rule for ``RecordOutput.Bucket`` of an output of this type (``oss`` or ``vod``)."""
    return vod_storage_rule if output_type.lower() == "vod" else oss_bucket_rule


def endpoint_rule(value: str) -> str | None:
    """``RecordOutput.Endpoint``: a host name, optionally with an http(s) scheme."""
    scheme, separator, host = value.partition("://")
    if not separator:
        host = value
    elif scheme.lower() not in ("http", "https"):
        return _ENDPOINT_RULE
    matched = _HOST_PORT.match(host.rstrip("/"))
    if not matched or (matched.group(2) and not 1 <= int(matched.group(2)[1:]) <= 65535):
        return _ENDPOINT_RULE
    return None


# --- object keys and prefixes -------------------------------------------------------------------------------


def object_key_rule(key: str) -> str | None:
    """A "/"-separated object key that stays inside its bucket (what the local IMS can store safely)."""
    if not key:
        return "must not be empty"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_OBJECT_KEY_BYTES:
        return f"must be at most {MAX_OBJECT_KEY_BYTES} bytes"
    if has_control_characters(key):
        return "must not contain control characters"
    if "\\" in key:
        return "must not contain a backslash"
    if key.startswith("/"):
        return "must not start with '/'"
    if key.endswith("/"):
        return "must not end with '/' (a folder, not an object)"
    for part in key.split("/"):
        if part == "":
            return "must not contain an empty path segment ('//')"
        if part in (".", ".."):
            return f"must not contain a '{part}' path segment"
    return None


def _braced(names: Iterable[str]) -> str:
    return ", ".join("{" + name + "}" for name in names)


def _prefix_rule(
    prefix: str, *, allowed: frozenset[str], required: tuple[tuple[str, ...], ...]
) -> str | None:
    if not prefix:
        return "must be non-empty"
    size = len(prefix.encode("utf-8", "surrogatepass"))
    if size > MAX_PREFIX_BYTES:
        return f"must be shorter than 256 bytes (got {size})"
    without_variables = PREFIX_VARIABLE.sub("", prefix)
    if "{" in without_variables or "}" in without_variables:
        return "has an unmatched '{' or '}'"
    names = PREFIX_VARIABLE.findall(prefix)
    unsupported = sorted({name for name in names if name not in allowed})
    if unsupported:
        noun = "variable" if len(unsupported) == 1 else "variables"
        return f"contains the unsupported {noun} {_braced(unsupported)}; allowed: {_braced(sorted(allowed))}"
    for alternatives in required:
        if not any(name in names for name in alternatives):
            return "must contain " + " or ".join("{" + name + "}" for name in alternatives)
    # Every variable expands to a non-empty value without '/' or '.', so a placeholder shows the key's shape.
    key_problem = object_key_rule(PREFIX_VARIABLE.sub("0", prefix) + ".ts")
    if key_problem:
        return f"must name a safe object key: it {key_problem}"
    return None


def oss_object_prefix_rule(prefix: str) -> str | None:
    """``OssObjectPrefix``: < 256 bytes, documented variables only, ({StartTime} or {EscapedStartTime}) and
    ({EndTime} or {EscapedEndTime}), and an object key that stays inside the bucket."""
    return _prefix_rule(prefix, allowed=OSS_OBJECT_PREFIX_VARIABLES, required=OSS_OBJECT_PREFIX_REQUIRED)


def slice_prefix_rule(prefix: str) -> str | None:
    """``SliceOssObjectPrefix``: < 256 bytes, documented variables only, {UnixTimestamp} and {Sequence}."""
    return _prefix_rule(prefix, allowed=SLICE_PREFIX_VARIABLES, required=SLICE_PREFIX_REQUIRED)


# --- numbers ------------------------------------------------------------------------------------------------


def integer_range_rule(value: int, low: int, high: int, unit: str = "seconds") -> str | None:
    if not low <= value <= high:
        return f"must be {low}–{high} {unit}"
    return None
