"""The local IMS console over HTTP: where it is, what it serves, what it shows (as data), what it refuses."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from alibabacloud_ice20201109 import models as m

from pulumi_ims_record.local import console, recorder
from pulumi_ims_record.local._rec_state import STATE_FILE_NAME, FormatState, JobState, Slice
from pulumi_ims_record.local.recorder import RecordedFile

from .conftest import RunningIms, sdk_client

HOSTILE_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def submit(server: RunningIms, name: str, url: str) -> str:
    answer = sdk_client(server.port).submit_live_record_job(
        m.SubmitLiveRecordJobRequest(
            name=name,
            stream_input=m.SubmitLiveRecordJobRequestStreamInput(type="rtmp", url=url),
            record_output=m.SubmitLiveRecordJobRequestRecordOutput(type="oss", bucket="console-bucket"),
            template_id="ims-system-m3u8",
        )
    )
    return str(answer.body.job_id)


def client(server: RunningIms) -> httpx.Client:
    return httpx.Client(base_url=server.ims.endpoint, timeout=10.0)


def test_a_browser_at_the_endpoint_is_sent_to_the_console(server: RunningIms) -> None:
    with client(server) as http:
        answer = http.get("/")
        assert (answer.status_code, answer.headers["location"]) == (302, "/_console/")
        page = http.get("/_console/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<title>Local IMS console</title>" in page.text
        # The page loads scripts from this server only and no inline script can run.
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert page.headers["x-content-type-options"] == "nosniff"
        for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert src.startswith("/_console/"), src  # nothing from a CDN: it works offline
            assert http.get(src).status_code == 200, src
        # An API call at / is still the API (a signed one is tested everywhere else).
        unsigned = http.get("/", params={"Action": "ListLiveRecordJobs"})
        assert unsigned.status_code >= 400 and "Code" in unsigned.json()


def test_a_long_job_shows_its_newest_recordings_first_and_how_many_there_are(server: RunningIms) -> None:
    job_id = submit(server, "long", "rtmp://127.0.0.1:1935/live/long")
    start = datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)
    cycles = console.FILES_SHOWN + 5
    for index in range(cycles):  # 20-second cycles, reported in order
        begins, ends = start + timedelta(seconds=20 * index), start + timedelta(seconds=20 * index + 20)
        key = f"record/long/{index}.mp4"
        server.backend.on_file(RecordedFile(job_id, "mp4", key, begins, ends, 20.0, 1, 1))
    with client(server) as http:
        [job] = http.get("/_console/api/state").json()["jobs"]
    shown = [int(file["objectKey"].rsplit("/", 1)[1].split(".")[0]) for file in job["files"]]
    assert shown == list(range(cycles - 1, cycles - 1 - console.FILES_SHOWN, -1))
    assert job["filesTotal"] == cycles


@pytest.mark.parametrize(
    "path",
    ["/_console/../ims.sqlite3", "/_console/%2e%2e/ims.sqlite3", "/_console/vendor/../../server.log",
     "/_console/index.html/", "/_console/console.js.map", "/_console//etc/passwd"],
)  # fmt: skip
def test_the_console_serves_its_own_files_and_nothing_else(server: RunningIms, path: str) -> None:
    with client(server) as http:
        answer = http.get(path)
    assert answer.status_code == 404, (path, answer.text[:200])
    assert not answer.content.startswith(b"SQLite format")


def test_the_state_shows_jobs_as_data_masks_stream_tokens_and_keeps_the_timeline(server: RunningIms) -> None:
    job_id = submit(server, HOSTILE_NAME, "rtmp://user:pw@127.0.0.1:1935/live/cam?token=s3cret")
    server.backend.on_status(job_id, "started")
    key = "record/cam/0_2030-05-01-12-00-00_2030-05-01-12-01-00"
    bucket = server.backend.bucket_dir("console-bucket")
    (bucket / key).parent.mkdir(parents=True)
    (bucket / f"{key}.m3u8").write_text("#EXTM3U\n#EXTINF:6.0,\nslice%3A1.ts\n#EXT-X-ENDLIST\n")
    (bucket / "record/cam/slice:1.ts").write_bytes(b"\0" * 1000)
    start = datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)
    server.backend.on_file(
        RecordedFile(job_id, "m3u8", f"{key}.m3u8", start, start + timedelta(seconds=60), 6.0, 640, 360)
    )

    with client(server) as http:
        answer = http.get("/_console/api/state")
    assert answer.status_code == 200 and "default-src 'none'" in answer.headers["content-security-policy"]
    assert "s3cret" not in answer.text and "pw" not in answer.text
    [job] = answer.json()["jobs"]
    assert job["name"] == HOSTILE_NAME  # data, shown as text by the page
    assert job["stream"] == "rtmp://…@127.0.0.1:1935/live/cam?…"
    assert [event["status"] for event in job["events"]] == ["initial", "started"]
    [file] = job["files"]
    playlist_size = (bucket / f"{key}.m3u8").stat().st_size
    assert file["url"] == f"/_buckets/console-bucket/{key}.m3u8"
    assert (file["size"], file["duration"], file["width"]) == (playlist_size + 1000, 6.0, 640)
    templates = {template["id"]: template for template in answer.json()["templates"]}
    assert templates["ims-system-m3u8"]["type"] == "system"


def test_a_file_deleted_outside_the_api_shows_as_gone(server: RunningIms) -> None:
    job_id = submit(server, "gone", "rtmp://127.0.0.1:1935/live/gone")
    start = datetime(2030, 5, 1, 12, 0, tzinfo=timezone.utc)
    server.backend.on_file(RecordedFile(job_id, "mp4", "record/gone.mp4", start, start, 1.0, 640, 360))
    with client(server) as http:
        [job] = http.get("/_console/api/state").json()["jobs"]
    assert job["files"][0]["size"] is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtmp://127.0.0.1:1935/live/a", "rtmp://127.0.0.1:1935/live/a"),
        ("rtmp://h/live/a?auth_key=1-0-0-abc", "rtmp://h/live/a?…"),
        ("rtmp://u:p@h:19350/app/s", "rtmp://…@h:19350/app/s"),
    ],
)
def test_masked_stream_urls(url: str, shown: str) -> None:
    assert recorder.masked_url(url) == shown


def test_the_vendored_player_is_the_npm_release_the_manifest_names() -> None:
    manifest = (console.STATIC_DIR / "vendor" / "README.md").read_text()
    for name, digest in re.findall(r"\| `([^`]+)` \| npm [^|]+\| `([0-9a-f]{64})` \|", manifest):
        assert hashlib.sha256((console.STATIC_DIR / "vendor" / name).read_bytes()).hexdigest() == digest, name
    assert {"hls.light.min.js", "hls.js.LICENSE"} <= {
        path.name for path in Path(console.STATIC_DIR / "vendor").iterdir()
    }
    assert len(re.findall(r"\| `([^`]+)` \| npm ", manifest)) == 2


def test_the_console_is_refused_to_clients_that_are_not_loopback(
    seen_from_outside: tuple[RunningIms, str],
) -> None:
    running, address = seen_from_outside
    with httpx.Client(base_url=f"http://{address}:{running.port}", timeout=10.0) as http:
        for path in ("/_console/", "/_console/api/state", "/_console/console.js"):
            answer = http.get(path)
            assert answer.status_code == 403, (path, answer.text[:200])
            assert "loopback clients only" in answer.text
        # The recordings and the signed API stay where --host 0.0.0.0 put them.
        assert http.get("/_buckets/b/none.m3u8").status_code == 404
    with client(running) as local:
        assert local.get("/_console/api/state").status_code == 200


def test_a_recording_jobs_open_cycle_is_a_growing_live_playlist(server: RunningIms) -> None:
    job_id = submit(server, "live", "rtmp://127.0.0.1:1935/live/live")
    with client(server) as http:
        [job] = http.get("/_console/api/state").json()["jobs"]
        assert job["live"] is None  # nothing recorded yet
        assert http.get(f"/_console/live/{job_id}.m3u8").status_code == 404

        # What the recorder saves while a cycle is open: the slices already in the bucket.
        slices = [Slice("record/live/1:0.ts", 5.0, 0, 0), Slice("record/live/1:1.ts", 4.2, 1, 1)]
        work_dir = server.backend.work_dir(job_id)
        work_dir.mkdir(parents=True)
        state = JobState(job_id=job_id, formats=[FormatState(format="m3u8", slices=slices)])
        state.save(work_dir / STATE_FILE_NAME)

        [job] = http.get("/_console/api/state").json()["jobs"]
        assert job["live"] == {"url": f"/_console/live/{job_id}.m3u8", "slices": 2, "seconds": 9.2}
        live = http.get(job["live"]["url"])
        assert live.status_code == 200 and live.headers["content-type"] == "application/vnd.apple.mpegurl"
        assert live.text.splitlines() == [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            "#EXT-X-PLAYLIST-TYPE:EVENT",
            "#EXT-X-TARGETDURATION:5",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXTINF:5.000,",
            "/_buckets/console-bucket/record/live/1%3A0.ts",
            "#EXT-X-DISCONTINUITY",
            "#EXTINF:4.200,",
            "/_buckets/console-bucket/record/live/1%3A1.ts",
        ]  # no #EXT-X-ENDLIST: the player polls for more

        server.backend.on_gave_up(job_id)  # the recording is over: nothing live any more
        assert http.get("/_console/api/state").json()["jobs"][0]["live"] is None
        assert http.get(f"/_console/live/{job_id}.m3u8").status_code == 404
        assert http.get("/_console/live/..%2F..%2Fims.sqlite3.m3u8").status_code == 404
