"""The value rules of the live-recording API, as pure functions: each returns None when the value is fine,
else the rule it breaks as a short sentence (``"must be 5–30 seconds"``).

Written once here and used by ``check`` (preview time, zero API calls). The local IMS enforces the same
prefix rules in ``local/storage.py``; the provider may not import ``local/`` (layering), so the two copies
must be kept in step until the shared rules move into ``ice/``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

RECORD_FORMATS = ("m3u8", "mp4", "flv")
STREAM_TYPES = ("rtmp",)
OUTPUT_TYPES = ("oss", "vod")
JOB_STATUSES = ("initial", "started", "paused")

MAX_NAME_LENGTH = 128
MAX_ID_LENGTH = 128
MAX_URL_LENGTH = 1024
MAX_PREFIX_BYTES = 255  # the API says "< 256 bytes"
SLICE_DURATION_RANGE = (5, 30)
DEFAULT_SLICE_DURATION = 30
CYCLE_DURATION_RANGE = (
    5,
    21600,
)  # seconds: the documented default (6 h) is also the largest value accepted here
DEFAULT_CYCLE_DURATION = 21600
WAIT_TIMEOUT_RANGE = (1, 3600)
DEFAULT_WAIT_TIMEOUT = 300

OSS_OBJECT_PREFIX_VARIABLES = frozenset(
    {"JobId", "Sequence", "StartTime", "EndTime", "EscapedStartTime", "EscapedEndTime"}
)
SLICE_PREFIX_VARIABLES = frozenset({"JobId", "UnixTimestamp", "Sequence"})

_VARIABLE = re.compile(r"\{([^{}]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_OSS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")
_ID = re.compile(r"^[A-Za-z0-9*._-]+$")


def name_rule(value: str) -> str | None:
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters (got {len(value)})"
    if _CONTROL.search(value):
        return "must not contain control characters"
    return None


def id_rule(value: str) -> str | None:
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH or not _ID.match(value):
        return f"must be an id of letters, digits, '-', '_' or '.' (at most {MAX_ID_LENGTH} characters)"
    return None


def rtmp_url_rule(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme.lower() != "rtmp" or not parts.hostname:
        return "must be an rtmp:// URL with a host, e.g. rtmp://example.com/live/stream1"
    if len(value) > MAX_URL_LENGTH or _CONTROL.search(value) or " " in value:
        return f"must be at most {MAX_URL_LENGTH} characters without spaces or control characters"
    if parts.path.strip("/") == "":
        return "must name an application and a stream, e.g. rtmp://example.com/live/stream1"
    return None


def http_url_rule(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if len(value) > MAX_URL_LENGTH or _CONTROL.search(value) or " " in value:
        return f"must be at most {MAX_URL_LENGTH} characters without spaces or control characters"
    return None


def oss_bucket_rule(value: str) -> str | None:
    if not _OSS_BUCKET.match(value):
        return (
            "must be an OSS bucket name: 3–63 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit"
        )
    return None


def storage_name_rule(value: str) -> str | None:
    """A VOD storage location (e.g. ``outin-xxxx.oss-cn-shanghai.aliyuncs.com``): free-form but sane."""
    if not value or len(value) > 255 or _CONTROL.search(value) or " " in value:
        return "must be a storage location without spaces or control characters (at most 255 characters)"
    return None


def endpoint_rule(value: str) -> str | None:
    host = value.split("://", 1)[1] if "://" in value else value
    if "://" in value and value.split("://", 1)[0].lower() not in ("http", "https"):
        return "must be a host name like oss-cn-shanghai.aliyuncs.com (optionally with http:// or https://)"
    if not _HOST_PORT.match(host.rstrip("/")):
        return "must be a host name like oss-cn-shanghai.aliyuncs.com (optionally with http:// or https://)"
    return None


def _object_key_rule(value: str) -> str | None:
    if not value:
        return "must not be empty"
    if len(value.encode("utf-8")) > MAX_PREFIX_BYTES:
        return f"must be shorter than 256 bytes (got {len(value.encode('utf-8'))})"
    if _CONTROL.search(value):
        return "must not contain control characters"
    if value.startswith(("/", "\\")):
        return "must not start with '/' or '\\'"
    if any(segment in ("..", ".") for segment in value.split("/")):
        return "must not contain '.' or '..' path segments"
    return None


def _variables_rule(value: str, allowed: frozenset[str]) -> str | None:
    unknown = sorted({name for name in _VARIABLE.findall(value) if name not in allowed})
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        allowed_text = ", ".join("{" + name + "}" for name in sorted(allowed))
        return f"unknown variable {names} (allowed: {allowed_text})"
    stripped = _VARIABLE.sub("", value)
    if "{" in stripped or "}" in stripped:
        return "has an unbalanced '{' or '}'"
    return None


def validate_oss_object_prefix(value: str) -> str | None:
    """Object name of a recording: < 256 bytes, variables from the documented set, and it must contain
    ({StartTime} or {EscapedStartTime}) and ({EndTime} or {EscapedEndTime})."""
    problem = _object_key_rule(value) or _variables_rule(value, OSS_OBJECT_PREFIX_VARIABLES)
    if problem:
        return problem
    variables = set(_VARIABLE.findall(value))
    if not variables & {"StartTime", "EscapedStartTime"} or not variables & {"EndTime", "EscapedEndTime"}:
        return "must contain {StartTime} or {EscapedStartTime}, and {EndTime} or {EscapedEndTime}"
    return None


def validate_slice_prefix(value: str) -> str | None:
    """Object name of an m3u8 segment: < 256 bytes, must contain {UnixTimestamp} and {Sequence}."""
    problem = _object_key_rule(value) or _variables_rule(value, SLICE_PREFIX_VARIABLES)
    if problem:
        return problem
    variables = set(_VARIABLE.findall(value))
    if not {"UnixTimestamp", "Sequence"} <= variables:
        return "must contain {UnixTimestamp} and {Sequence}"
    return None


def integer_range_rule(value: int, low: int, high: int, unit: str = "seconds") -> str | None:
    if not low <= value <= high:
        return f"must be {low}–{high} {unit}"
    return None
