"""Local buckets: directories under ``<data-dir>/buckets``, object keys that cannot escape them and the
expansion of ICE recording prefixes (``OssObjectPrefix`` / ``SliceOssObjectPrefix`` variables).

Everything here is pure or touches only the filesystem. What a valid prefix, bucket name and object key are is
written once in ``api.rules`` (shared with the provider's ``check``); the backend validates with it and the
recorder writes only keys it accepts.

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
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path

from pulumi_ims_record.api import rules
from pulumi_ims_record.api.fields import PrefixVariable

# The API's naming rules (prefix variables, lengths, bucket names, safe keys) live in ``api.rules``, shared
# with the provider's ``check``; this module applies them to the filesystem.
EXTENSIONS: Mapping[str, str] = {"m3u8": ".m3u8", "mp4": ".mp4", "flv": ".flv", "ts": ".ts"}


class UnsafeObjectKeyError(ValueError):
    """An object key (or bucket name) that would leave its bucket directory or is not a valid name."""


# ----------------------------------------------------------------------------------------------------------
# buckets and object paths


def validate_bucket_name(name: str) -> str | None:
    """Why ``name`` is not a bucket directory name (an OSS bucket name, or a VOD storage location such as
    ``outin-x.oss-cn-shanghai.aliyuncs.com``; neither can hold ``/`` or ``..``), or None."""
    if not isinstance(name, str):
        return "must be a string"
    return rules.vod_storage_rule(name)  # every OSS bucket name is also a valid first label


def validate_object_key(key: str) -> str | None:
    """Why ``key`` is not a safe, "/"-separated relative object key, or None when it is."""
    if not isinstance(key, str):
        return "must be a string"
    return rules.object_key_rule(key)


def safe_object_path(bucket_directory: Path, key: str) -> Path:
    """The filesystem path of ``key`` inside ``bucket_directory``.

    Refuses (:class:`UnsafeObjectKeyError`) keys with ``..``, absolute keys, backslashes, NUL or control
    characters, keys whose existing path components are symlinks that lead outside the bucket directory, and
    a bucket directory that is itself a symlink (it would carry every key with it to somewhere else).
    """
    error = validate_object_key(key)
    if error is not None:
        raise UnsafeObjectKeyError(f"unsafe object key {key!r}: {error}")
    bucket_directory = Path(bucket_directory)
    root = bucket_directory.resolve()
    # The folder that holds the buckets may be a link (a data directory moved elsewhere); a bucket may not.
    if root != bucket_directory.parent.resolve() / bucket_directory.name:
        raise UnsafeObjectKeyError(f"the bucket directory {bucket_directory} is a symlink; refused")
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
        **slice_variables(job_id=job_id, sequence=sequence, start=start),
        PrefixVariable.START_TIME: format_time(start),
        PrefixVariable.END_TIME: format_time(end),
        PrefixVariable.ESCAPED_START_TIME: format_escaped_time(start),
        PrefixVariable.ESCAPED_END_TIME: format_escaped_time(end),
    }


def slice_variables(*, job_id: str, sequence: int, start: datetime) -> dict[str, str]:
    """Values for a ``SliceOssObjectPrefix`` (one TS slice)."""
    return {
        PrefixVariable.JOB_ID: job_id,
        PrefixVariable.SEQUENCE: str(sequence),
        PrefixVariable.UNIX_TIMESTAMP: str(int(_utc(start).timestamp())),
    }


def expand_prefix(prefix: str, values: Mapping[str, str]) -> str:
    """Replace every ``{Name}`` in ``prefix``; a variable without a value raises ``KeyError`` naming it."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for the prefix variable {{{name}}}")
        return values[name]

    return rules.PREFIX_VARIABLE.sub(replace, prefix)


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


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A temporary sibling of ``target`` for the caller to fill and fsync; renamed over ``target`` when the
    block succeeds, removed when it fails, so readers never see a half-written ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(target)
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_directory(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target``; readers see the old file or all of the new one (temp, fsync, rename)."""
    with _replacing(target) as temporary, open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def install_file(source: Path, target: Path, *, keep_source: bool = False) -> None:
    """Put the finished file ``source`` at ``target`` atomically (fsync, rename; copy across filesystems).

    With ``keep_source`` the source stays (a hard link, or a copy when linking is impossible).
    """
    with open(source, "rb") as handle:
        os.fsync(handle.fileno())
    with _replacing(target) as temporary:
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


def directory_size(directory: Path) -> int:
    """Bytes in the regular files below ``directory``, as ``du -sb`` counts them: a file with several names
    (the recorder hard-links a finished slice into the bucket and keeps its work copy) once; links not
    followed; a file vanishing meanwhile: 0."""
    total = 0
    seen: set[tuple[int, int]] = set()
    pending = [directory]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    status = entry.stat(follow_symlinks=False)
                    if status.st_nlink > 1:
                        if (status.st_dev, status.st_ino) in seen:
                            continue
                        seen.add((status.st_dev, status.st_ino))
                    total += status.st_size
            except OSError:
                continue
    return total
