"""The backend without HTTP: templates, jobs, statuses from recorder events, files, persistence, callbacks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pulumi_ims_record.local.db import Database
from pulumi_ims_record.local.exceptions import (
    ImsApiError,
    InvalidParameter,
    MissingParameter,
    NotFound,
    OperationDenied,
)
from pulumi_ims_record.local.models import Backend
from pulumi_ims_record.local.recorder import RecordedFile

from .conftest import M3U8_FORMAT, FakeRecorder

STREAM = {"Type": "rtmp", "Url": "rtmp://127.0.0.1/live/s"}
OUTPUT = {"Type": "oss", "Bucket": "unit-bucket", "Endpoint": "oss-cn-shanghai.aliyuncs.com"}
MP4 = {"Format": "mp4", "OssObjectPrefix": "mp4/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"}


@dataclass
class Sink:
    events: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)

    def send(self, url: str, event_type: str, message_body: Mapping[str, object]) -> None:
        self.events.append((url, event_type, dict(message_body)))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 5, 1, 12, 0, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class World:
    backend: Backend
    recorder: FakeRecorder
    sink: Sink
    db: Database
    data_dir: Path


def open_world(data_dir: Path, clock: Clock | None = None) -> World:
    db = Database(data_dir / "ims.sqlite3")
    sink = Sink()
    backend = Backend(db, data_dir, events=sink, clock=clock or Clock())
    recorder = FakeRecorder(backend)
    backend.attach_recorder(recorder)
    return World(backend, recorder, sink, db, data_dir)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    opened = open_world(tmp_path)
    yield opened
    opened.db.close()


def submit(world: World, name: str = "job", template_id: str = "ims-system-m3u8", **extra: object) -> str:
    job = world.backend.submit_job(
        name=name, stream_input=STREAM, record_output=OUTPUT, template_id=template_id, **extra
    )
    return job.job_id


def recorded(job_id: str, key: str, fmt: str = "m3u8", minute: int = 0) -> RecordedFile:
    start = datetime(2030, 5, 1, 12, minute, 0, tzinfo=timezone.utc)
    return RecordedFile(job_id, fmt, key, start, start + timedelta(seconds=60), 60.0, 1280, 720)


def test_template_lifecycle_and_validation(world: World) -> None:
    template = world.backend.create_template("hls", [M3U8_FORMAT, MP4])
    assert template.type == "custom"
    assert len(template.template_id) == 36 and template.template_id.count("-") == 4
    assert world.backend.get_template(template.template_id) == template
    world.backend.update_template(template.template_id, "renamed", [MP4])
    updated = world.backend.get_template(template.template_id)
    assert (updated.name, [f.format for f in updated.formats]) == ("renamed", ["mp4"])
    assert updated.last_modified > template.last_modified
    world.backend.delete_template(template.template_id)
    with pytest.raises(NotFound):
        world.backend.get_template(template.template_id)
    with pytest.raises(MissingParameter):
        world.backend.create_template(None, [MP4])
    with pytest.raises(InvalidParameter):
        world.backend.create_template("x", [{"Format": "mp4", "OssObjectPrefix": "no-variables"}])
    with pytest.raises(OperationDenied):
        world.backend.delete_template("ims-system-m3u8")


def test_template_listing_filters_pages_and_sorts(world: World) -> None:
    ids = [world.backend.create_template(f"name {i}", [MP4]).template_id for i in range(5)]
    page, listing = world.backend.list_templates(
        template_type="custom", page_size=2, page_no=2, sort_by="asc"
    )
    assert (page.total, [t.template_id for t in page.items]) == (5, ids[2:4])
    assert (listing.page_no, listing.page_size, listing.sort_by) == (2, 2, "asc")
    newest, _ = world.backend.list_templates(template_type="custom", page_size=1)
    assert newest.items[0].template_id == ids[-1]  # default: newest first
    by_keyword, _ = world.backend.list_templates(keyword="NAME 3")
    assert [t.template_id for t in by_keyword.items] == [ids[3]]
    by_id, _ = world.backend.list_templates(keyword=ids[1])
    assert [t.template_id for t in by_id.items] == [ids[1]]
    by_ids, _ = world.backend.list_templates(template_ids=[ids[0], "ims-system-m3u8"])
    assert {t.template_id for t in by_ids.items} == {ids[0], "ims-system-m3u8"}
    system, _ = world.backend.list_templates(template_type="system")
    assert {t.template_id for t in system.items} == {"ims-system-m3u8", "ims-system-m3u8-mp4"}


def test_job_status_follows_recorder_events_and_giving_up_is_final(world: World) -> None:
    job_id = submit(world, notify_url="http://127.0.0.1:9/cb")
    assert world.backend.get_job(job_id).status == "initial"
    world.backend.on_status(job_id, "started")
    assert world.backend.get_job(job_id).status == "started"
    world.backend.on_status(job_id, "paused")
    world.backend.on_status(job_id, "started")
    world.backend.on_gave_up(job_id)
    job = world.backend.get_job(job_id)
    assert (job.status, job.gave_up) == ("paused", True)
    world.backend.on_status(job_id, "started")  # a late event cannot revive it
    assert world.backend.get_job(job_id).status == "paused"
    statuses = [
        (body["Status"], body["GaveUp"])
        for _, kind, body in world.sink.events
        if kind == "LiveRecordTaskStatus"
    ]
    assert statuses == [
        ("initial", False),
        ("started", False),
        ("paused", False),
        ("started", False),
        ("paused", True),
    ]
    assert world.backend.resume_jobs() == 0


def test_jobs_list_by_status_keyword_and_window(world: World) -> None:
    first = submit(world, name="alpha stage")
    second = submit(world, name="beta stage")
    world.backend.on_status(second, "started")
    page, _ = world.backend.list_jobs(status="started")
    assert [j.job_id for j in page.items] == [second]
    page, _ = world.backend.list_jobs(keyword="STAGE", sort_by="asc")
    assert [j.job_id for j in page.items] == [first, second]
    created = world.backend.get_job(first).create_time
    page, _ = world.backend.list_jobs(start_time=created, end_time=created)
    assert [j.job_id for j in page.items] == [first]


def test_files_are_recorded_listed_and_deleted_with_their_objects(world: World) -> None:
    job_id = submit(world, notify_url="http://127.0.0.1:9/cb")
    bucket = world.data_dir / "buckets" / "unit-bucket"
    (bucket / "rec").mkdir(parents=True)
    (bucket / "rec" / "0.m3u8").write_text(
        "#EXTM3U\n#EXTINF:10,\n1_0.ts\n#EXTINF:10,\n../escape.ts\n#EXT-X-ENDLIST\n"
    )
    (bucket / "rec" / "1_0.ts").write_bytes(b"ts")
    (bucket / "rec" / "0.mp4").write_bytes(b"mp4")
    outside = world.data_dir / "buckets" / "escape.ts"
    outside.write_bytes(b"not in the bucket")
    world.backend.on_file(recorded(job_id, "rec/0.m3u8", "m3u8", minute=1))
    world.backend.on_file(recorded(job_id, "rec/0.mp4", "mp4", minute=0))
    world.backend.on_file(recorded(job_id, "rec/0.mp4", "mp4", minute=0))  # a repeated event is stored once

    page, listing = world.backend.list_files(job_ids=[job_id])
    assert [(f.format, f.object_key) for f in page.items] == [("mp4", "rec/0.mp4"), ("m3u8", "rec/0.m3u8")]
    assert listing.sort_by == "asc"
    only_m3u8, _ = world.backend.list_files(job_ids=[job_id], record_format="M3U8")
    assert [f.format for f in only_m3u8.items] == ["m3u8"]
    created = [body for _, kind, body in world.sink.events if kind == "LiveRecordFileCreated"]
    assert [body["Object"] for body in created] == ["rec/0.m3u8", "rec/0.mp4"]
    assert created[0]["RecordUrl"] == "http://127.0.0.1/_buckets/unit-bucket/rec/0.m3u8"
    assert created[0]["Duration"] == 60.0

    playlist_record = only_m3u8.items[0].record_id
    results = world.backend.delete_files([playlist_record, "missing"], remove_file=True)
    assert [(r.record_id, r.code) for r in results] == [
        (playlist_record, "OK"),
        ("missing", "InvalidRecordId.NotFound"),
    ]
    assert not (bucket / "rec" / "0.m3u8").exists()
    assert not (bucket / "rec" / "1_0.ts").exists()
    assert (bucket / "rec" / "0.mp4").exists()
    assert outside.exists()
    mp4_record = world.backend.list_files(job_ids=[job_id])[0].items[0].record_id
    world.backend.delete_files([mp4_record])  # without RemoveFile only the record goes
    assert (bucket / "rec" / "0.mp4").exists()
    assert world.backend.list_files(job_ids=[job_id])[0].total == 0


def test_state_survives_reopening_and_unfinished_jobs_resume(tmp_path: Path) -> None:
    first = open_world(tmp_path)
    template = first.backend.create_template("kept", [M3U8_FORMAT])
    recording = submit(first, name="recording", template_id=template.template_id)
    gave_up = submit(first, name="gave up")
    first.backend.on_status(recording, "started")
    first.backend.on_gave_up(gave_up)
    first.backend.on_file(recorded(recording, "rec/kept.m3u8"))
    first.db.close()

    second = open_world(tmp_path)
    try:
        assert second.backend.get_template(template.template_id).name == "kept"
        assert second.backend.get_job(recording).status == "started"
        assert second.backend.get_job(gave_up).status == "paused"
        assert second.backend.resume_jobs() == 1
        assert second.recorder.started_ids() == [recording]
        spec = second.recorder.started[0]
        assert spec.work_dir == tmp_path / "work" / recording
        assert [f.slice_duration for f in spec.formats] == [10]
        assert [f.object_key for f in second.backend.list_files()[0].items] == ["rec/kept.m3u8"]
    finally:
        second.db.close()


def test_removed_job_stops_its_recorder_and_later_events_are_ignored(world: World) -> None:
    job_id = submit(world)
    assert world.backend.remove_job(job_id)
    assert world.recorder.stopped == [job_id]
    world.backend.on_status(job_id, "started")
    world.backend.on_file(recorded(job_id, "rec/late.m3u8"))
    assert world.backend.list_files()[0].total == 0
    assert not world.backend.remove_job(job_id)


def test_a_failing_recorder_start_does_not_lose_the_job(world: World) -> None:
    class Exploding(FakeRecorder):
        def start(self, spec: object) -> None:
            raise RuntimeError("ffmpeg missing")

    world.backend.attach_recorder(Exploding(world.backend))
    job_id = submit(world)
    assert world.backend.get_job(job_id).status == "initial"


def test_every_error_names_its_parameter(world: World) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"stream_input": {"Type": "rtmp", "Url": "rtmp://"}}, "StreamInput.Url"),
        ({"record_output": {"Type": "oss", "Bucket": "x" * 3 + "_"}}, "RecordOutput.Bucket"),
        ({"record_output": "not an object"}, "RecordOutput"),
        ({"name": "   "}, "Name"),
        ({"name": "bad\nname"}, "Name"),
        ({"notify_url": "ftp://h/x"}, "NotifyUrl"),
    ]
    for overrides, parameter in cases:
        arguments: dict[str, object] = {
            "name": "n",
            "stream_input": STREAM,
            "record_output": OUTPUT,
            "template_id": "ims-system-m3u8",
            **overrides,
        }
        with pytest.raises(ImsApiError) as refused:
            world.backend.submit_job(**arguments)  # type: ignore[arg-type]
        assert refused.value.status == 400
        assert parameter in refused.value.message, refused.value.message
