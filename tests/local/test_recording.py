"""The recorder against a real RTMP stream (nginx-rtmp + ffmpeg): files, slices, the 3-minute rule, kill -9.

Durations: SliceDuration 5 s, CycleDuration 10 s (or long, so one file spans a test), keyframes every 2 s.
A cycle closes at the first segment boundary where it holds CycleDuration minus half a segment, and a segment
boundary is the first keyframe at or after the next multiple of SliceDuration in stream time (ffmpeg's segment
muxer), so a slice lasts SliceDuration give or take one keyframe interval (6, 4, 6, 4 ... with keyframes every
2 s; they do not drift), and a closed cycle between ``cycle - slice/2`` and
``cycle - slice/2 + slice + keyframe``.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path

import pytest

from pulumi_ims_record.local import recorder as recorder_module
from pulumi_ims_record.local.recorder import RecordedFile, Recorder, segment_seconds
from pulumi_ims_record.local.teststream import TestStream
from tests.local.conftest_recording import (
    EventLog,
    file_format,
    m3u8_format,
    make_spec,
    playlist_entries,
    probe,
    read_driver_events,
    recording_tools_missing,
    slice_files,
    start_driver,
    wait_for,
)

pytestmark = [
    pytest.mark.recording,
    pytest.mark.skipif(recording_tools_missing() is not None, reason=str(recording_tools_missing())),
]

SLICE = 5
KEYFRAME = 2.0
TOLERANCE = 0.25  # container rounding between what ffmpeg's segment list says and what ffprobe reads
SIZE = "320x180"


@pytest.fixture
def stream() -> Iterator[TestStream]:
    with TestStream(name="cam", size=SIZE, rate=25, keyframe_seconds=KEYFRAME) as test_stream:
        yield test_stream


@pytest.fixture
def recorders() -> Iterator[list[Recorder]]:
    """Recorders a test creates; all of them are stopped afterwards, even when the test fails."""
    created: list[Recorder] = []
    yield created
    for recorder in created:
        recorder.stop_all()


def new_recorder(recorders: list[Recorder], events: EventLog, *, pull_timeout: float) -> Recorder:
    recorder = Recorder(events, pull_timeout=pull_timeout)
    recorders.append(recorder)
    return recorder


def assert_valid_file(bucket: Path, recorded: RecordedFile) -> None:
    path = bucket / recorded.object_key
    assert path.is_file(), f"{recorded.object_key} was reported but is not in the bucket"
    info = probe(path)
    assert info.duration == pytest.approx(recorded.duration, abs=TOLERANCE)
    assert (info.width, info.height) == (320, 180) == (recorded.width, recorded.height)
    assert recorded.start_time.tzinfo == timezone.utc
    assert recorded.end_time > recorded.start_time


def assert_valid_playlist(bucket: Path, recorded: RecordedFile) -> list[tuple[float, Path]]:
    playlist = bucket / recorded.object_key
    text = playlist.read_text()
    assert text.startswith("#EXTM3U\n") and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
    entries = playlist_entries(playlist)
    assert entries, "a playlist without slices"
    for duration, slice_path in entries:
        assert slice_path.is_file(), f"{slice_path} is in the playlist but not in the bucket"
        assert bucket.resolve() in slice_path.parents
        assert probe(slice_path).duration == pytest.approx(duration, abs=TOLERANCE)
    assert sum(duration for duration, _ in entries) == pytest.approx(recorded.duration, abs=TOLERANCE)
    return entries


def test_segment_length_serves_every_format() -> None:
    assert segment_seconds((m3u8_format(cycle=600, slice_seconds=10), m3u8_format(cycle=600))) == 5
    assert segment_seconds((file_format("mp4", cycle=600),)) == 10
    assert segment_seconds((file_format("mp4", cycle=3),)) == 3
    assert segment_seconds((m3u8_format(cycle=4, slice_seconds=5),)) == 4


def test_live_stream_gives_slices_playlists_mp4_and_flv_per_cycle(
    tmp_path: Path, stream: TestStream, recorders: list[Recorder]
) -> None:
    cycle = 10
    spec = make_spec(
        tmp_path,
        stream.url,
        m3u8_format(cycle=cycle),
        file_format("mp4", cycle=cycle),
        file_format("flv", cycle=cycle),
    )
    events = EventLog()
    recorder = new_recorder(recorders, events, pull_timeout=30)
    recorder.start(spec)
    recorder.start(spec)  # idempotent: still one ffmpeg, one set of files
    wait_for(lambda: len(events.files("mp4")) >= 2, timeout=90, message="two mp4 cycles")
    recorder.stop(spec.job_id)

    assert events.statuses()[0] == "started"
    assert not events.gave_up()
    keys = [file.object_key for file in events.files()]
    assert len(keys) == len(set(keys)), "a file was reported twice"
    bucket = spec.bucket_dir
    for fmt in ("m3u8", "mp4", "flv"):
        files = events.files(fmt)
        assert len(files) >= 2, f"{fmt}: expected a file per cycle plus the one closed by stop()"
        for file in files:
            if fmt == "m3u8":
                assert re.fullmatch(r"record/job-1/\d+_[\d-]{19}_[\d-]{19}\.m3u8", file.object_key)
                assert_valid_playlist(bucket, file)
            else:
                assert re.fullmatch(
                    rf"record/job-1/{fmt}/\d+_\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ_[^/]+Z\.{fmt}",
                    file.object_key,
                )
                assert_valid_file(bucket, file)
        assert [file.object_key.split("/")[-1].split("_")[0] for file in files] == [
            str(number) for number in range(len(files))
        ], f"{fmt}: {{Sequence}} counts the cycles"
        for file in files[:-1]:  # closed by the cycle rule; the last one was closed by stop()
            assert cycle - SLICE / 2 <= file.duration <= cycle - SLICE / 2 + SLICE + KEYFRAME + TOLERANCE
    # All formats cut the same segments, so their cycles start and end together.
    firsts = {fmt: events.files(fmt)[0] for fmt in ("m3u8", "mp4", "flv")}
    assert len({(file.start_time, file.end_time) for file in firsts.values()}) == 1
    assert firsts["mp4"].duration == pytest.approx(firsts["m3u8"].duration, abs=TOLERANCE)
    # Slices: every slice but the very last (cut by stop()) lasts SliceDuration give or take a keyframe
    # interval,
    # and on average SliceDuration.
    durations = [
        duration
        for playlist in events.files("m3u8")
        for duration, _ in playlist_entries(bucket / playlist.object_key)
    ]
    for duration in durations[:-1]:
        assert abs(duration - SLICE) <= KEYFRAME + TOLERANCE
    assert sum(durations[:-1]) / len(durations[:-1]) == pytest.approx(SLICE, abs=KEYFRAME / 2)
    assert len(slice_files(bucket)) == len(durations), "slices in the bucket that no playlist names"
    assert not list((spec.work_dir / "segments").glob("*.ts")), "segments left behind after stop()"


@pytest.mark.parametrize("server", ["no RTMP server", "no publisher"])
def test_no_stream_at_all_gives_up_after_pull_timeout_without_files(
    tmp_path: Path, recorders: list[Recorder], server: str
) -> None:
    events = EventLog()
    recorder = new_recorder(recorders, events, pull_timeout=3)
    with TestStream(name="absent", size=SIZE) as rtmp_only:
        rtmp_only.stop_publisher()
        url = rtmp_only.url if server == "no publisher" else "rtmp://127.0.0.1:9/live/absent"
        spec = make_spec(tmp_path, url, m3u8_format(cycle=10), file_format("mp4", cycle=10))
        recorder.start(spec)
        wait_for(events.gave_up, timeout=60, message="on_gave_up")
    assert events.statuses() == [], "a job that never pulled stays 'initial'"
    assert events.files() == []
    assert not spec.bucket_dir.exists() or not any(spec.bucket_dir.rglob("*"))
    recorder.start(spec)  # a job that gave up is over: starting it again records nothing
    wait_for(lambda: not recorder.is_recording(spec.job_id), timeout=10, message="the supervisor to exit")
    assert events.files() == [] and [kind for kind, _ in events.snapshot()].count("gave_up") == 1


def test_interruption_shorter_than_pull_timeout_continues_the_same_file(
    tmp_path: Path, stream: TestStream, recorders: list[Recorder]
) -> None:
    spec = make_spec(tmp_path, stream.url, m3u8_format(cycle=600), file_format("mp4", cycle=600))
    events = EventLog()
    recorder = new_recorder(recorders, events, pull_timeout=20)
    recorder.start(spec)
    wait_for(lambda: len(slice_files(spec.bucket_dir)) >= 1, timeout=60, message="the first slice")
    stream.stop_publisher()
    wait_for(lambda: "paused" in events.statuses(), timeout=30, message="status paused")
    stream.restart_publisher()
    wait_for(lambda: events.statuses()[-1:] == ["started"], timeout=30, message="status started again")
    slices_after_restart = len(slice_files(spec.bucket_dir))
    wait_for(
        lambda: len(slice_files(spec.bucket_dir)) > slices_after_restart,
        timeout=60,
        message="a slice after resuming",
    )
    recorder.stop(spec.job_id)

    assert events.statuses()[:3] == ["started", "paused", "started"]
    assert not events.gave_up()
    (playlist,) = events.files("m3u8")
    (mp4,) = events.files("mp4")
    entries = assert_valid_playlist(spec.bucket_dir, playlist)
    assert_valid_file(spec.bucket_dir, mp4)
    assert "#EXT-X-DISCONTINUITY" in (spec.bucket_dir / playlist.object_key).read_text()
    assert len(entries) == len(slice_files(spec.bucket_dir)) >= 2
    assert mp4.duration == pytest.approx(sum(duration for duration, _ in entries), abs=1.0)
    # The one file spans the interruption: more wall time than recorded media.
    assert (mp4.end_time - mp4.start_time).total_seconds() > mp4.duration


def test_interruption_longer_than_pull_timeout_closes_the_file_and_gives_up(
    tmp_path: Path, stream: TestStream, recorders: list[Recorder]
) -> None:
    spec = make_spec(tmp_path, stream.url, m3u8_format(cycle=600), file_format("mp4", cycle=600))
    events = EventLog()
    recorder = new_recorder(recorders, events, pull_timeout=5)
    recorder.start(spec)
    wait_for(lambda: len(slice_files(spec.bucket_dir)) >= 1, timeout=60, message="the first slice")
    stream.stop_publisher()
    wait_for(events.gave_up, timeout=60, message="on_gave_up")

    kinds = [kind for kind, _ in events.snapshot()]
    assert kinds[-1] == "gave_up" and kinds.count("gave_up") == 1
    assert events.statuses()[0] == "started"
    (playlist,) = events.files("m3u8")
    (mp4,) = events.files("mp4")
    assert_valid_playlist(spec.bucket_dir, playlist)
    assert_valid_file(spec.bucket_dir, mp4)
    stream.restart_publisher()
    recorder.start(spec)  # gave up for good: the stream coming back changes nothing
    wait_for(lambda: not recorder.is_recording(spec.job_id), timeout=10, message="the supervisor to exit")
    assert len(events.files()) == 2


def test_kill_9_mid_cycle_then_restart_loses_no_finished_media(tmp_path: Path, stream: TestStream) -> None:
    spec = make_spec(tmp_path, stream.url, m3u8_format(cycle=600), file_format("mp4", cycle=600))
    first_log, second_log = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first = start_driver(spec, first_log, pull_timeout=30)
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: len(slice_files(spec.bucket_dir)) >= 2, timeout=60, message="two slices")
        slices_before_crash = slice_files(spec.bucket_dir)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert [event["event"] for event in read_driver_events(first_log)] == ["status"]

        second = start_driver(spec, second_log, pull_timeout=30)
        wait_for(
            lambda: any(event.get("status") == "started" for event in read_driver_events(second_log)),
            timeout=60,
            message="the restarted recorder to pull again",
        )
        count = len(slice_files(spec.bucket_dir))
        wait_for(
            lambda: len(slice_files(spec.bucket_dir)) > count, timeout=60, message="a slice after the restart"
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    files = [event for event in read_driver_events(second_log) if event["event"] == "file"]
    assert sorted(file["format"] for file in files) == ["m3u8", "mp4"], (
        "one cycle, continued across the crash"
    )
    by_format = {file["format"]: file for file in files}
    playlist = spec.bucket_dir / by_format["m3u8"]["object_key"]
    entries = playlist_entries(playlist)
    listed = {path for _, path in entries}
    for slice_path in slices_before_crash:
        assert slice_path.resolve() in listed, (
            f"{slice_path.name}, written before the crash, is not in the playlist"
        )
    for duration, slice_path in entries:
        assert probe(slice_path).duration == pytest.approx(duration, abs=TOLERANCE)
    recorded = sum(duration for duration, _ in entries)
    mp4 = spec.bucket_dir / by_format["mp4"]["object_key"]
    assert probe(mp4).duration == pytest.approx(recorded, abs=1.0)
    assert probe(playlist).duration == pytest.approx(recorded, abs=TOLERANCE)
    assert recorded >= sum(probe(path).duration for path in slices_before_crash)


def test_stop_is_prompt_and_idempotent_without_a_stream(tmp_path: Path, recorders: list[Recorder]) -> None:
    events = EventLog()
    recorder = new_recorder(recorders, events, pull_timeout=600)
    spec = make_spec(tmp_path, "rtmp://127.0.0.1:9/live/absent", file_format("mp4", cycle=10))
    recorder.start(spec)
    wait_for(lambda: (spec.work_dir / "state.json").exists(), timeout=10, message="the recorder's state file")
    recorder.stop(spec.job_id)
    assert not recorder.is_recording(spec.job_id)
    recorder.stop(spec.job_id)
    recorder.stop("no-such-job")
    assert events.snapshot() == []


def test_no_space_left_pauses_the_job_instead_of_crashing_it(
    tmp_path: Path,
    stream: TestStream,
    recorders: list[Recorder],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The device fills up while a job records: slices cannot be written. The job reports ``paused`` with a
    log line that says why and what to do, its ffmpeg is stopped, and the server goes on."""
    written: list[Path] = []
    real_install = recorder_module.storage.install_file

    def install_until_the_disk_is_full(source: Path, target: Path, *, keep_source: bool = False) -> None:
        if written:  # the second slice finds the disk full
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real_install(source, target, keep_source=keep_source)
        written.append(target)

    monkeypatch.setattr(recorder_module.storage, "install_file", install_until_the_disk_is_full)
    events = EventLog()
    recorder = new_recorder(recorders, events, pull_timeout=60)
    spec = make_spec(tmp_path, stream.url, m3u8_format(cycle=600))
    recorder.start(spec)
    wait_for(lambda: not recorder.is_recording(spec.job_id), timeout=60, message="the recorder to stop")
    assert events.statuses()[-2:] == ["started", "paused"]
    assert len(written) == 1 and written[0].is_file()  # what was written before stays
    assert "no space left for its files" in caplog.text
    assert "restart the server to record again" in caplog.text
    assert "unexpected error" not in caplog.text
