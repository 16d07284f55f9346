"""Disk limits: the oldest finished recordings go when the data directory is over --max-data-size or they are
older than --max-recording-age; a recording in progress is never touched. With a live stream:
tests/local/test_limits_recording.py."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from pulumi_ims_record.local import storage
from pulumi_ims_record.local.limits import Janitor, Limits, parse_age, parse_size
from pulumi_ims_record.local.recorder import RecordedFile

from .conftest import RunningIms
from .test_console import submit


@pytest.mark.parametrize(
    ("text", "size"),
    [("20G", 20 * 2**30), ("500M", 500 * 2**20), ("1.5GiB", int(1.5 * 2**30)), ("64k", 64 * 2**10),
     ("1048576", 2**20), ("0", None), ("0G", None)],
)  # fmt: skip
def test_sizes(text: str, size: int | None) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "age"), [("7d", 7 * 86400.0), ("12h", 43200.0), ("30m", 1800.0), ("45", 45.0), ("0", None)]
)
def test_ages(text: str, age: float | None) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["", "-1G", "20 GB of disk", "7 days", "1e9", "ten"])
def test_what_is_not_a_size_or_an_age(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)
    with pytest.raises(ValueError):
        parse_age(text)


def recorded(server: RunningIms, job_id: str, name: str, size: int, minute: int) -> str:
    """A finished mp4 of ``size`` bytes in the bucket, reported by the recorder; its object key."""
    key = f"record/{name}.mp4"
    path = server.backend.bucket_dir("console-bucket") / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    start = datetime(2030, 5, 1, 12, minute, tzinfo=timezone.utc)
    end = start + timedelta(minutes=1)
    server.backend.on_file(RecordedFile(job_id, "mp4", key, start, end, 60.0, 320, 180))
    return key


def test_over_the_size_limit_the_oldest_finished_recordings_go_first(server: RunningIms) -> None:
    job_id = submit(server, "limited", "rtmp://127.0.0.1:1935/live/limited")
    keys = [recorded(server, job_id, f"cycle-{index}", 400_000, index) for index in range(4)]
    # The recording in progress: slices of the open cycle, not yet a reported file.
    in_progress = server.backend.bucket_dir("console-bucket") / "record/open-0.ts"
    in_progress.write_bytes(b"\0" * 300_000)
    used = storage.directory_size(server.backend.data_dir)
    limit = used - 500_000  # two of the four files must go

    deleted = Janitor(server.backend, Limits(max_data_size=limit)).enforce()

    assert [record.object_key for record in deleted] == keys[:2]
    assert storage.directory_size(server.backend.data_dir) <= limit
    bucket = server.backend.bucket_dir("console-bucket")
    assert [(bucket / key).exists() for key in keys] == [False, False, True, True]
    assert in_progress.exists()
    assert [record.object_key for record in server.backend.db.every_file()] == keys[2:]


def test_recordings_older_than_the_age_limit_go(server: RunningIms) -> None:
    job_id = submit(server, "aged", "rtmp://127.0.0.1:1935/live/aged")
    now = datetime.now(timezone.utc)
    server.backend.clock = lambda: now - timedelta(days=8)  # finished 8 days ago
    old = recorded(server, job_id, "old", 1000, 0)
    server.backend.clock = lambda: now
    new = recorded(server, job_id, "new", 1000, 1)

    deleted = Janitor(server.backend, Limits(max_recording_age=7 * 86400)).enforce()

    assert [record.object_key for record in deleted] == [old]
    assert [record.object_key for record in server.backend.db.every_file()] == [new]


def test_when_only_recordings_in_progress_are_left_nothing_else_goes(
    server: RunningIms, caplog: pytest.LogCaptureFixture
) -> None:
    in_progress = server.backend.bucket_dir("console-bucket") / "record/open-0.ts"
    in_progress.parent.mkdir(parents=True)
    in_progress.write_bytes(b"\0" * 100_000)
    caplog.set_level(logging.INFO, logger="pulumi_ims_record.local.limits")
    # Over the limit by the recording in progress alone; under it without.
    limit = storage.directory_size(server.backend.data_dir) - 50_000
    janitor = Janitor(server.backend, Limits(max_data_size=limit))
    assert janitor.enforce() == []
    assert in_progress.exists() and "no finished recording left to delete" in caplog.text
    # Said once per change, not at every pass: again only after it was back under the limit.
    for _ in range(3):
        janitor.enforce()
    assert caplog.text.count("no finished recording left to delete") == 1
    in_progress.unlink()
    janitor.enforce()
    assert "back under --max-data-size" in caplog.text
    in_progress.write_bytes(b"\0" * 100_000)
    janitor.enforce()
    assert caplog.text.count("no finished recording left to delete") == 2


def test_the_limits_show_in_health(server: RunningIms) -> None:
    health = httpx.get(f"{server.ims.endpoint}/_health").json()
    assert health["limits"] == {"maxDataSize": None, "maxRecordingAge": None}  # in-process: none unless given
