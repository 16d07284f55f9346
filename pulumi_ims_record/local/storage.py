"""Local buckets: directories under ``<data-dir>/buckets``, object keys that cannot escape them and the naming
rules of ICE recording templates (``OssObjectPrefix`` / ``SliceOssObjectPrefix`` variables).

Everything here is pure or touches only the filesystem, so the backend (validation) and the recorder (writing)
share one definition of what a valid prefix and a safe object key are.

Variable formats (the public docs name the variables but not all formats; see ``docs/recording.md``):

=====================  =====================================  ===========================================
variable               example                                meaning
=====================  =====================================  ===========================================
``{JobId}``            ``3a1c...``                            the job id
``{Sequence}``         ``0``, ``1``, ...                      file (or slice) number within the job, from 0
``{StartTime}``        ``2022-07-20T02:48:58Z``               UTC start, ISO 8601 as the API writes times
``{EndTime}``          ``2022-07-20T02:54:58Z``               UTC end, same format
``{EscapedStartTime}`` ``2022-07-20-02-48-58``                UTC start, only digits and ``-`` (URL/file safe)
``{EscapedEndTime}``   ``2022-07-20-02-54-58``                UTC end, same format
``{UnixTimestamp}``    ``1658285338``                         UTC start of the slice, seconds since the epoch
=====================  =====================================  ===========================================
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_OSS_OBJECT_PREFIX = "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"
DEFAULT_SLICE_OSS_OBJECT_PREFIX = "record/{JobId}/{UnixTimestamp}_{Sequence}"

OSS_OBJECT_PREFIX_VARIABLES = frozenset(
    {"JobId", "Sequence", "StartTime", "EndTime", "EscapedStartTime", "EscapedEndTime"}
)
SLICE_OSS_OBJECT_PREFIX_VARIABLES = frozenset({"JobId", "UnixTimestamp", "Sequence"})
ALL_VARIABLES = OSS_OBJECT_PREFIX_VARIABLES | SLICE_OSS_OBJECT_PREFIX_VARIABLES

MAX_PREFIX_BYTES = 255  # the docs say "< 256 bytes"
MAX_OBJECT_KEY_BYTES = 1023  # OSS's own object-name limit

EXTENSIONS: Mapping[str, str] = {"m3u8": ".m3u8", "mp4": ".mp4", "flv": ".flv", "ts": ".ts"}

_VARIABLE = re.compile(r"\{([^{}]*)\}")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


class UnsafeObjectKeyError(ValueError):
    """An object key (or bucket name) that would leave its bucket directory or is not a valid name."""


# ----------------------------------------------------------------------------------------------------------
# buckets and object paths


def validate_bucket_name(name: str) -> str | None:
    """OSS bucket naming: 3-63 characters, lowercase letters, digits and ``-``, starting and ending
    alphanumeric.
    """
    if not isinstance(name, str) or not _BUCKET_NAME.match(name):
        return (
            "Bucket must be 3-63 characters of lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def bucket_dir(data_dir: Path, bucket: str) -> Path:
    """``<data-dir>/buckets/<bucket>`` (not created). Raises :class:`UnsafeObjectKeyError` for an invalid
    name.
    """
    error = validate_bucket_name(bucket)
    if error is not None:
        raise UnsafeObjectKeyError(f"{error}: {bucket!r}")
    return Path(data_dir) / "buckets" / bucket


def validate_object_key(key: str) -> str | None:
    """Why ``key`` is not a safe, "/"-separated relative object key, or None when it is."""
    if not isinstance(key, str) or not key:
        return "the object key is empty"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_OBJECT_KEY_BYTES:
        return f"the object key is longer than {MAX_OBJECT_KEY_BYTES} bytes"
    if "\x00" in key:
        return "the object key contains a NUL character"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        return "the object key contains a control character"
    if "\\" in key:
        return "the object key contains a backslash"
    if key.startswith("/"):
        return "the object key is absolute (starts with '/')"
    if key.endswith("/"):
        return "the object key ends with '/' (a directory, not an object)"
    for part in key.split("/"):
        if part == "":
            return "the object key contains an empty path segment ('//')"
        if part in (".", ".."):
            return f"the object key contains a '{part}' path segment"
    return None


def safe_object_path(bucket_directory: Path, key: str) -> Path:
    """The filesystem path of ``key`` inside ``bucket_directory``.

    Refuses (:class:`UnsafeObjectKeyError`) keys with ``..``, absolute keys, backslashes, NUL or control
    characters, and keys whose existing path components are symlinks that lead outside the bucket directory.
    """
    error = validate_object_key(key)
    if error is not None:
        raise UnsafeObjectKeyError(f"unsafe object key {key!r}: {error}")
    root = Path(bucket_directory).resolve()
    candidate = root.joinpath(*key.split("/"))
    # resolve() follows every symlink that already exists along the way, including the last component.
    resolved = candidate.resolve()
    if resolved != root and root not in resolved.parents:
        raise UnsafeObjectKeyError(
            f"unsafe object key {key!r}: it resolves outside its bucket (through a symlink)"
        )
    return candidate


def object_key(prefix: str, extension: str) -> str:
    """The object key of an expanded prefix: the format's extension is always appended (``.m3u8``, ``.ts``,
    ...).
    """
    suffix = EXTENSIONS.get(extension.lstrip("."))
    if suffix is None:
        raise ValueError(f"unknown recording extension {extension!r}; expected one of {sorted(EXTENSIONS)}")
    return prefix + suffix


# ----------------------------------------------------------------------------------------------------------
# prefix variables


def format_time(moment: datetime) -> str:
    """``{StartTime}`` / ``{EndTime}``: UTC ISO 8601 to the second, ``2022-07-20T02:48:58Z``."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_escaped_time(moment: datetime) -> str:
    """``{EscapedStartTime}`` / ``{EscapedEndTime}``: UTC, digits and ``-`` only, ``2022-07-20-02-48-58``."""
    return _utc(moment).strftime("%Y-%m-%d-%H-%M-%S")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("recording times must be timezone-aware (UTC)")
    return moment.astimezone(timezone.utc)


def file_variables(*, job_id: str, sequence: int, start: datetime, end: datetime) -> dict[str, str]:
    """Values for an ``OssObjectPrefix`` (a cycle's playlist, mp4 or flv)."""
    return {
        "JobId": job_id,
        "Sequence": str(sequence),
        "StartTime": format_time(start),
        "EndTime": format_time(end),
        "EscapedStartTime": format_escaped_time(start),
        "EscapedEndTime": format_escaped_time(end),
        "UnixTimestamp": str(int(_utc(start).timestamp())),
    }


def slice_variables(*, job_id: str, sequence: int, start: datetime) -> dict[str, str]:
    """Values for a ``SliceOssObjectPrefix`` (one TS slice)."""
    return {"JobId": job_id, "Sequence": str(sequence), "UnixTimestamp": str(int(_utc(start).timestamp()))}


def expand_prefix(prefix: str, values: Mapping[str, str]) -> str:
    """Replace every ``{Name}`` in ``prefix``; a variable without a value raises ``KeyError`` naming it."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for the prefix variable {{{name}}}")
        return values[name]

    return _VARIABLE.sub(replace, prefix)


# ----------------------------------------------------------------------------------------------------------
# validation (the backend answers InvalidParameter with these messages)


def validate_oss_object_prefix(prefix: str) -> str | None:
    """Why ``prefix`` is not a valid ``OssObjectPrefix``, or None. The message names the parameter and the
    rule.
    """
    return _validate_prefix(
        "OssObjectPrefix",
        prefix,
        allowed=OSS_OBJECT_PREFIX_VARIABLES,
        required=(("StartTime", "EscapedStartTime"), ("EndTime", "EscapedEndTime")),
    )


def validate_slice_prefix(prefix: str) -> str | None:
    """Why ``prefix`` is not a valid ``SliceOssObjectPrefix``, or None."""
    return _validate_prefix(
        "SliceOssObjectPrefix",
        prefix,
        allowed=SLICE_OSS_OBJECT_PREFIX_VARIABLES,
        required=(("UnixTimestamp",), ("Sequence",)),
    )


def _validate_prefix(
    parameter: str, prefix: str, *, allowed: frozenset[str], required: tuple[tuple[str, ...], ...]
) -> str | None:
    if not isinstance(prefix, str) or not prefix:
        return f"{parameter} must be a non-empty string"
    if len(prefix.encode("utf-8", "surrogatepass")) > MAX_PREFIX_BYTES:
        return f"{parameter} must be shorter than 256 bytes"
    names = _VARIABLE.findall(prefix)
    if "{" in _VARIABLE.sub("", prefix) or "}" in _VARIABLE.sub("", prefix):
        return f"{parameter} contains an unmatched '{{' or '}}'"
    allowed_list = ", ".join("{" + name + "}" for name in sorted(allowed))
    for name in names:
        if name not in allowed:
            return f"{parameter} contains the unsupported variable {{{name}}}; allowed: {allowed_list}"
    for alternatives in required:
        if not any(name in names for name in alternatives):
            wanted = " or ".join("{" + name + "}" for name in alternatives)
            return f"{parameter} must contain {wanted}"
    sample_time = datetime(2000, 1, 1, tzinfo=timezone.utc)
    sample = file_variables(job_id="job", sequence=0, start=sample_time, end=sample_time)
    key_error = validate_object_key(expand_prefix(prefix, sample) + ".ts")
    if key_error is not None:
        return f"{parameter} does not name a safe object: {key_error}"
    return None


# ----------------------------------------------------------------------------------------------------------
# atomic writes


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(
        OSError
    ):  # some filesystems refuse to open directories; the rename still happened
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temporary_sibling(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target``; readers see the old file or all of the new one (temp, fsync, rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(target)
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_directory(target.parent)


def install_file(source: Path, target: Path, *, keep_source: bool = False) -> None:
    """Put the finished file ``source`` at ``target`` atomically (fsync, rename; copy across filesystems).

    With ``keep_source`` the source stays (a hard link, or a copy when linking is impossible).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as handle:
        os.fsync(handle.fileno())
    temporary = _temporary_sibling(target)
    try:
        try:
            if keep_source:
                os.link(source, temporary)
            else:
                os.replace(source, temporary)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copyfile(source, temporary)
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            if not keep_source:
                source.unlink()
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_directory(target.parent)


def remove_object(bucket_directory: Path, key: str) -> bool:
    """Delete the object ``key``; True if a file was removed. Empty directories it leaves behind are removed
    too.
    """
    path = safe_object_path(bucket_directory, key)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    root = Path(bucket_directory).resolve()
    parent = path.parent
    while parent.resolve() != root and root in parent.resolve().parents:
        try:
            parent.rmdir()
        except OSError:  # not empty (or already gone): stop climbing
            break
        parent = parent.parent
    return True
