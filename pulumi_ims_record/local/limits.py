"""Disk limits of the local IMS: recordings older than ``--max-recording-age`` go, and while the data
directory is over ``--max-data-size`` the oldest recordings go, so a forgotten demo does not fill a disk.

Only finished recordings are ever deleted: files the recorder has closed and reported (the ones
ListLiveRecordFiles lists), a playlist with its slices. The slices of a cycle still being recorded and the
recorder's work files are never touched, so a recording in progress stays whole; when they alone exceed the
limit that is said in the log. Every deletion is logged at INFO."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import timedelta

from pulumi_ims_record.local import storage
from pulumi_ims_record.local._bucket_files import record_size, remove_record_objects
from pulumi_ims_record.local._records import RecordFile
from pulumi_ims_record.local.models import Backend, format_time

logger = logging.getLogger(__name__)

DEFAULT_MAX_DATA_SIZE = "20G"
DEFAULT_MAX_RECORDING_AGE = "7d"
DEFAULT_CHECK_INTERVAL = 10.0

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_size(text: str) -> int | None:
    """``20G``, ``500M``, ``1.5GiB``, ``1048576`` → bytes (binary units); ``0`` → None: no limit."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a size such as 20G, 500M or 1048576")
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])
    return size or None


def parse_age(text: str) -> float | None:
    """``7d``, ``12h``, ``30m``, ``45s``, ``3600`` → seconds; ``0`` → None: no limit."""
    match = _AGE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an age such as 7d, 12h, 30m or 3600")
    seconds = float(match.group(1)) * _AGE_UNITS[match.group(2).lower()]
    return seconds or None


@dataclass(frozen=True)
class Limits:
    max_data_size: int | None = None  # bytes of the whole data directory
    max_recording_age: float | None = None  # seconds since a recording was finished
    check_interval: float = DEFAULT_CHECK_INTERVAL

    @property
    def enabled(self) -> bool:
        return self.max_data_size is not None or self.max_recording_age is not None


class Janitor:
    """Applies ``limits`` to a backend's recordings now (``enforce``) and every ``check_interval`` seconds."""

    def __init__(self, backend: Backend, limits: Limits) -> None:
        self._backend = backend
        self._limits = limits
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ims-limits", daemon=True)
        self._over_with_nothing_to_delete = False
        """Said once when it starts, and once when it ends: not at every pass."""

    def start(self) -> None:
        if self._limits.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self._limits.check_interval):
            try:
                self.enforce()
            except Exception:  # a limit pass must never take the server down
                logger.exception("the disk limits could not be applied; trying again later")

    def enforce(self) -> list[RecordFile]:
        """Delete what the limits say must go, oldest first; returns what was deleted."""
        backend, limits = self._backend, self._limits
        deleted: list[RecordFile] = []
        oldest_first = backend.db.every_file()
        if limits.max_recording_age is not None:
            cutoff = format_time(backend.clock() - timedelta(seconds=limits.max_recording_age))
            for record in [record for record in oldest_first if record.create_time < cutoff]:
                if self._delete(record, "it is older than --max-recording-age"):
                    deleted.append(record)
        if limits.max_data_size is not None:
            gone = {record.record_id for record in deleted}
            used = storage.directory_size(backend.data_dir)
            for record in oldest_first:
                if used <= limits.max_data_size:
                    break
                if record.record_id in gone:
                    continue
                size = record_size(backend.bucket_dir(record.bucket), record) or 0
                if self._delete(record, "the data directory is over --max-data-size"):
                    deleted.append(record)
                    used -= size
            stuck = used > limits.max_data_size
            if stuck and not self._over_with_nothing_to_delete:
                logger.warning(
                    "the data directory holds %d bytes, over --max-data-size (%d), with no finished "
                    "recording left to delete: recordings in progress and the database are never deleted "
                    "(said once; the next line about it says when it is back under)",
                    used,
                    limits.max_data_size,
                )
            elif not stuck and self._over_with_nothing_to_delete:
                logger.info(
                    "the data directory is back under --max-data-size: %d of %d bytes",
                    used,
                    limits.max_data_size,
                )
            self._over_with_nothing_to_delete = stuck
        return deleted

    def _delete(self, record: RecordFile, reason: str) -> bool:
        bucket_dir = self._backend.bucket_dir(record.bucket)
        try:
            remove_record_objects(bucket_dir, record.object_key, record.format)
        except OSError as error:
            logger.warning("could not delete %s/%s (%s): %s", record.bucket, record.object_key, reason, error)
            return False
        self._backend.db.delete_files([record.record_id])
        logger.info(
            "deleted the %s recording %s/%s of job %s, finished %s: %s",
            record.format, record.bucket, record.object_key, record.job_id, record.end_time, reason,
        )  # fmt: skip
        return True


def describe(limits: Limits) -> dict[str, object]:
    """The limits as /_health shows them."""
    return {"maxDataSize": limits.max_data_size, "maxRecordingAge": limits.max_recording_age}
