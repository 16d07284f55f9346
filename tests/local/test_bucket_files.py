"""Playlists whose slice URIs are percent-encoded (the recorder writes them so: a ``{StartTime}`` gives ``:``,
a prefix may hold spaces or non-ASCII): DeleteLiveRecordFiles RemoveFile=True removes the slices, and the
``/_buckets/`` playback serves them to a player that resolves the URIs against the playlist's URL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin

import httpx
import pytest

from pulumi_ims_record.local import _bucket_files
from pulumi_ims_record.local.db import Database
from pulumi_ims_record.local.models import Backend
from pulumi_ims_record.local.recorder import RecordedFile

from .conftest import FakeRecorder, RunningIms

SLICE_NAMES = ("2022-07-20T02:48:58Z_0.ts", "with space_1.ts", "中文_2.ts", "100%_3.ts")


def write_playlist(bucket: Path, folder: str) -> list[str]:
    """A playlist in ``folder`` referencing one slice per name, URIs encoded as the recorder does."""
    (bucket / folder).mkdir(parents=True, exist_ok=True)
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:10"]
    for name in SLICE_NAMES:
        (bucket / folder / name).write_bytes(name.encode())
        lines += ["#EXTINF:10.000,", quote(name, safe="/-_.~")]
    (bucket / folder / "0.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]))
    return [f"{folder}/{name}" for name in SLICE_NAMES]


def test_segment_keys_are_the_decoded_uris(tmp_path: Path) -> None:
    keys = write_playlist(tmp_path, "rec/job")
    assert _bucket_files.playlist_segment_keys(tmp_path, "rec/job/0.m3u8") == keys


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    db = Database(tmp_path / "ims.sqlite3")
    service = Backend(db, tmp_path)
    service.attach_recorder(FakeRecorder(service))
    yield service
    db.close()


def test_remove_file_removes_slices_with_escaped_names(backend: Backend, tmp_path: Path) -> None:
    job = backend.submit_job(
        name="escaped",
        stream_input={"Type": "rtmp", "Url": "rtmp://127.0.0.1/live/s"},
        record_output={"Type": "oss", "Bucket": "escaped-bucket"},
        template_id="ims-system-m3u8",
    )
    bucket = backend.bucket_dir("escaped-bucket")
    slices = write_playlist(bucket, f"record/{job.job_id}")
    moment = backend.clock()
    backend.on_file(
        RecordedFile(job.job_id, "m3u8", f"record/{job.job_id}/0.m3u8", moment, moment, 40.0, 640, 360)
    )
    record_id = backend.list_files(job_ids=[job.job_id])[0].items[0].record_id

    results = backend.delete_files([record_id], remove_file=True)

    assert [(result.record_id, result.code) for result in results] == [(record_id, "OK")]
    assert [key for key in slices if (bucket / key).exists()] == []
    assert list(bucket.iterdir()) == []  # emptied folders go too: nothing orphaned stays behind


def test_a_playlist_with_encoded_uris_plays(server: RunningIms) -> None:
    bucket = server.ims.data_dir / "buckets" / "play-bucket"
    write_playlist(bucket, "record/job")
    playlist_url = f"{server.ims.endpoint}/_buckets/play-bucket/record/job/0.m3u8"
    with httpx.Client(timeout=10.0) as player:
        playlist = player.get(playlist_url)
        assert playlist.status_code == 200
        uris = [line for line in playlist.text.splitlines() if line and not line.startswith("#")]
        assert len(uris) == len(SLICE_NAMES)
        for uri, name in zip(uris, SLICE_NAMES, strict=True):
            segment = player.get(urljoin(playlist_url, uri))  # what a player does with a relative URI
            assert (segment.status_code, segment.content) == (200, name.encode()), uri


def test_a_raw_utf8_request_path_is_served(server: RunningIms) -> None:
    """Some players send non-ASCII paths unencoded; http.server reads the request line as Latin-1."""
    bucket = server.ims.data_dir / "buckets" / "play-bucket"
    write_playlist(bucket, "record/job")
    request = "GET /_buckets/play-bucket/record/job/中文_2.ts HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10.0) as connection:
        connection.sendall(request.encode("utf-8"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 200 " in status_line, status_line
    assert rest.endswith("中文_2.ts".encode())
