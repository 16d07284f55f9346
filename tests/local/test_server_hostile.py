"""Hostile and malformed input: each gets its documented error and the server keeps serving everyone else."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_ims_record.local import storage

from .conftest import M3U8_FORMAT, RunningIms, SignedCall, form_body, json_text

FORM = "application/x-www-form-urlencoded"
GOOD_STREAM = json_text({"Type": "rtmp", "Url": "rtmp://127.0.0.1/live/s"})
GOOD_OUTPUT = json_text({"Type": "oss", "Bucket": "good-bucket"})


def post(server: RunningIms, action: str, params: dict[str, str]) -> httpx.Response:
    return SignedCall(server.port, action, method="POST", body=form_body(params), content_type=FORM).send()


def submit(server: RunningIms, **overrides: str) -> httpx.Response:
    params = {
        "Name": "job",
        "StreamInput": GOOD_STREAM,
        "RecordOutput": GOOD_OUTPUT,
        "TemplateId": "ims-system-m3u8",
        **overrides,
    }
    return post(server, "SubmitLiveRecordJob", {k: v for k, v in params.items() if v != "<omit>"})


def create_template(server: RunningIms, formats: Any, name: str = "t") -> httpx.Response:
    return post(server, "CreateLiveRecordTemplate", {"Name": name, "RecordFormat": json_text(formats)})


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body.get("Code", ""), body.get("Message", "")


def still_serving(server: RunningIms) -> None:
    assert SignedCall(server.port, "ListLiveRecordTemplates").send().status_code == 200


@pytest.mark.parametrize(
    "prefix",
    [
        "../../etc/{StartTime}_{EndTime}",
        "a/../../{StartTime}_{EndTime}",
        "/abs/{StartTime}_{EndTime}",
        "a\\b/{StartTime}_{EndTime}",
        "a\x00b/{StartTime}_{EndTime}",
        "a//b/{StartTime}_{EndTime}",
        "x/{Secret}/{StartTime}_{EndTime}",
        "x/{StartTime}",
        "x/{StartTime_{EndTime}",
        "x" * 250 + "{StartTime}{EndTime}",
    ],
)
def test_hostile_object_prefixes_are_invalid_parameter(server: RunningIms, prefix: str) -> None:
    status, code, message = error(create_template(server, [{"Format": "mp4", "OssObjectPrefix": prefix}]))
    assert (status, code) == (400, "InvalidParameter")
    assert "RecordFormat.1.OssObjectPrefix" in message
    still_serving(server)


@pytest.mark.parametrize(
    "slice_prefix",
    ["../{UnixTimestamp}_{Sequence}", "seg/{UnixTimestamp}", "seg/{JobId}_{Sequence}_{StartTime}"],
)
def test_hostile_slice_prefixes_are_invalid_parameter(server: RunningIms, slice_prefix: str) -> None:
    formats = [{**M3U8_FORMAT, "SliceOssObjectPrefix": slice_prefix}]
    status, code, message = error(create_template(server, formats))
    assert (status, code) == (400, "InvalidParameter")
    assert "SliceOssObjectPrefix" in message


@pytest.mark.parametrize(
    ("formats", "code", "parameter"),
    [
        ([{"Format": "mkv"}], "InvalidParameter", "RecordFormat.1.Format"),
        ([{"Format": "m3u8", "SliceDuration": 10}], "MissingParameter", "SliceOssObjectPrefix"),
        ([{**M3U8_FORMAT, "SliceDuration": 4}], "InvalidParameter", "SliceDuration"),
        ([{**M3U8_FORMAT, "SliceDuration": 31}], "InvalidParameter", "SliceDuration"),
        ([{**M3U8_FORMAT, "SliceDuration": "ten"}], "InvalidParameter", "SliceDuration"),
        ([{**M3U8_FORMAT, "SliceDuration": True}], "InvalidParameter", "SliceDuration"),
        ([{**M3U8_FORMAT, "CycleDuration": 10**9}], "InvalidParameter", "CycleDuration"),
        ([M3U8_FORMAT, M3U8_FORMAT], "InvalidParameter", "RecordFormat.2"),
        ([], "InvalidParameter", "RecordFormat"),
        ({"Format": "mp4"}, "InvalidParameter", "RecordFormat"),
        (["mp4"], "InvalidParameter", "RecordFormat.1"),
        ([{"Format": ["mp4"]}], "InvalidParameter", "RecordFormat.1.Format"),
    ],
)
def test_invalid_record_formats(server: RunningIms, formats: Any, code: str, parameter: str) -> None:
    status, got_code, message = error(create_template(server, formats))
    assert (status, got_code) == (400, code)
    assert parameter in message


def test_malformed_json_and_missing_parameters(server: RunningIms) -> None:
    bad_json = post(server, "CreateLiveRecordTemplate", {"Name": "t", "RecordFormat": '[{"Format": "mp4"'})
    assert error(bad_json)[:2] == (400, "InvalidParameter")
    assert "malformed JSON" in error(bad_json)[2]
    deep = post(server, "CreateLiveRecordTemplate", {"Name": "t", "RecordFormat": "[" * 100_000})
    assert error(deep)[:2] == (400, "InvalidParameter")
    no_name = post(server, "CreateLiveRecordTemplate", {"RecordFormat": json_text([M3U8_FORMAT])})
    assert error(no_name)[:2] == (400, "MissingParameter")
    assert "Name" in error(no_name)[2]
    still_serving(server)


@pytest.mark.parametrize(
    ("overrides", "code", "parameter"),
    [
        ({"Name": "<omit>"}, "MissingParameter", "Name"),
        ({"Name": "n" * 129}, "InvalidParameter", "Name"),
        ({"StreamInput": "<omit>"}, "MissingParameter", "StreamInput"),
        ({"StreamInput": json_text({"Type": "rtmp"})}, "MissingParameter", "StreamInput.Url"),
        (
            {"StreamInput": json_text({"Type": "hls", "Url": "rtmp://h/a"})},
            "InvalidParameter",
            "StreamInput.Type",
        ),
        (
            {"StreamInput": json_text({"Type": "rtmp", "Url": "http://h/a"})},
            "InvalidParameter",
            "StreamInput.Url",
        ),
        ({"StreamInput": json_text({"Type": "rtmp", "Url": 42})}, "InvalidParameter", "StreamInput.Url"),
        ({"StreamInput": json_text(["rtmp"])}, "InvalidParameter", "StreamInput"),
        (
            {"RecordOutput": json_text({"Type": "s3", "Bucket": "b-1"})},
            "InvalidParameter",
            "RecordOutput.Type",
        ),
        ({"RecordOutput": json_text({"Type": "oss"})}, "MissingParameter", "RecordOutput.Bucket"),
        ({"RecordOutput": json_text({"Type": "oss", "Bucket": "../etc"})}, "InvalidParameter", "Bucket"),
        ({"RecordOutput": json_text({"Type": "oss", "Bucket": "UPPER"})}, "InvalidParameter", "Bucket"),
        ({"RecordOutput": json_text({"Type": "oss", "Bucket": "-dash"})}, "InvalidParameter", "Bucket"),
        ({"RecordOutput": json_text({"Type": "oss", "Bucket": "ab"})}, "InvalidParameter", "Bucket"),
        ({"RecordOutput": json_text({"Type": "oss", "Bucket": "b" * 64})}, "InvalidParameter", "Bucket"),
        ({"RecordOutput": json_text({"Type": "oss", "Bucket": "a/b"})}, "InvalidParameter", "Bucket"),
        (
            {"RecordOutput": json_text({"Type": "oss", "Bucket": "outin-1.oss.aliyuncs.com"})},
            "InvalidParameter",
            "Bucket",
        ),
        (
            {"RecordOutput": json_text({"Type": "vod", "Bucket": "outin/../../x"})},
            "InvalidParameter",
            "Bucket",
        ),
        ({"RecordOutput": json_text({"Type": "vod", "Bucket": "outin-1..x"})}, "InvalidParameter", "Bucket"),
        ({"NotifyUrl": "file:///etc/passwd"}, "InvalidParameter", "NotifyUrl"),
        ({"TemplateId": "t" * 5000}, "InvalidParameter", "TemplateId"),
        # Unparseable URLs (urlsplit raises) and out-of-range ports are the rule's 400, not a 500.
        (
            {"StreamInput": json_text({"Type": "rtmp", "Url": "rtmp://[::1/live/x"})},
            "InvalidParameter",
            "Url",
        ),
        (
            {"StreamInput": json_text({"Type": "rtmp", "Url": "rtmp://h:99999/live/s"})},
            "InvalidParameter",
            "Url",
        ),
        (
            {"StreamInput": json_text({"Type": "rtmp", "Url": "rtmp://h:abc/live/s"})},
            "InvalidParameter",
            "Url",
        ),
        ({"NotifyUrl": "http://[::1/hook"}, "InvalidParameter", "NotifyUrl"),
        ({"NotifyUrl": "http://example.com:70000/hook"}, "InvalidParameter", "NotifyUrl"),
        (
            {
                "RecordOutput": json_text(
                    {"Type": "oss", "Bucket": "b-1", "Endpoint": "oss.example.com:99999"}
                )
            },
            "InvalidParameter",
            "Endpoint",
        ),
    ],
)
def test_invalid_submit_parameters(
    server: RunningIms, overrides: dict[str, str], code: str, parameter: str
) -> None:
    status, got_code, message = error(submit(server, **overrides))
    assert (status, got_code) == (400, code)
    assert parameter in message
    assert server.recorder.started == []


def test_legacy_flattened_parameters_are_accepted(server: RunningIms) -> None:
    created = post(
        server,
        "CreateLiveRecordTemplate",
        {
            "Name": "flat",
            "RecordFormat.1.Format": "m3u8",
            "RecordFormat.1.SliceOssObjectPrefix": "s/{UnixTimestamp}_{Sequence}",
            "RecordFormat.1.SliceDuration": "15",
            "RecordFormat.2.Format": "flv",
            "RecordFormat.2.OssObjectPrefix": "f/{EscapedStartTime}_{EscapedEndTime}",
        },
    )
    assert created.status_code == 200, created.text
    template_id = created.json()["TemplateId"]
    job = post(
        server,
        "SubmitLiveRecordJob",
        {
            "Name": "flat job",
            "StreamInput.Type": "rtmp",
            "StreamInput.Url": "rtmp://127.0.0.1/live/flat",
            "RecordOutput.Type": "oss",
            "RecordOutput.Bucket": "flat-bucket",
            "TemplateId": template_id,
        },
    )
    assert job.status_code == 200, job.text
    got = SignedCall(server.port, "GetLiveRecordTemplate", query=[("TemplateId", template_id)]).send().json()
    formats = got["RecordTemplate"]["RecordFormatList"]
    assert [(f["Format"], f.get("SliceDuration")) for f in formats] == [("m3u8", 15), ("flv", None)]


def test_booleans_are_case_insensitive_and_checked(server: RunningIms) -> None:
    for value in ("True", "true", "FALSE"):
        call = SignedCall(
            server.port,
            "DeleteLiveRecordFiles",
            method="POST",
            query=[("RecordIds.1", "r"), ("RemoveFile", value)],
        )
        assert call.send().status_code == 200
    bad = SignedCall(
        server.port,
        "DeleteLiveRecordFiles",
        method="POST",
        query=[("RecordIds.1", "r"), ("RemoveFile", "yes")],
    )
    assert error(bad.send())[:2] == (400, "InvalidParameter")


@pytest.mark.parametrize(
    ("action", "query", "parameter"),
    [
        ("ListLiveRecordFiles", [("PageSize", "4")], "PageSize"),
        ("ListLiveRecordFiles", [("PageSize", "31")], "PageSize"),
        ("ListLiveRecordTemplates", [("PageSize", "101")], "PageSize"),
        ("ListLiveRecordTemplates", [("PageSize", "0")], "PageSize"),
        ("ListLiveRecordTemplates", [("PageNo", "0")], "PageNo"),
        ("ListLiveRecordTemplates", [("PageNo", "9" * 40)], "PageNo"),
        ("ListLiveRecordTemplates", [("Type", "shared")], "Type"),
        ("ListLiveRecordJobs", [("SortBy", "sideways")], "SortBy"),
        ("ListLiveRecordJobs", [("Status", "stopped")], "Status"),
        (
            "ListLiveRecordJobs",
            [("StartTime", "2024-01-01T00:00:00Z"), ("EndTime", "2024-02-01T00:00:01Z")],
            "EndTime",
        ),
        (
            "ListLiveRecordJobs",
            [("StartTime", "2024-02-01T00:00:00Z"), ("EndTime", "2024-01-01T00:00:00Z")],
            "EndTime",
        ),
        ("ListLiveRecordJobs", [("StartTime", "Monday")], "StartTime"),
        (
            "ListLiveRecordFiles",
            [("StartTime", "2024-01-01T00:00:00Z"), ("EndTime", "2024-01-05T00:00:01Z")],
            "EndTime",
        ),
        ("ListLiveRecordFiles", [("RecordFormat", "mkv")], "RecordFormat"),
        ("ListLiveRecordFiles", [(f"JobIds.{i}", "j") for i in range(1, 102)], "JobIds"),
        ("DeleteLiveRecordFiles", [], "RecordIds"),
        ("GetLiveRecordJob", [], "JobId"),
        ("GetLiveRecordTemplate", [], "TemplateId"),
    ],
)
def test_invalid_listing_parameters(
    server: RunningIms, action: str, query: list[tuple[str, str]], parameter: str
) -> None:
    status, code, message = error(SignedCall(server.port, action, query=query).send())
    assert status == 400 and code in ("InvalidParameter", "MissingParameter")
    assert parameter in message


def test_windows_at_their_limits_are_accepted(server: RunningIms) -> None:
    jobs = [("StartTime", "2024-01-01T00:00:00Z"), ("EndTime", "2024-01-31T00:00:00Z")]
    assert SignedCall(server.port, "ListLiveRecordJobs", query=jobs).send().status_code == 200
    files = [("StartTime", "2024-01-01T00:00:00Z"), ("EndTime", "2024-01-05T00:00:00Z"), ("PageSize", "30")]
    assert SignedCall(server.port, "ListLiveRecordFiles", query=files).send().status_code == 200


def test_ten_megabyte_body_is_413_and_the_server_keeps_serving(server: RunningIms) -> None:
    huge = b"Name=" + b"x" * (10 * 1024 * 1024)
    call = SignedCall(server.port, "CreateLiveRecordTemplate", method="POST", body=huge, content_type=FORM)
    response = call.send()
    assert error(response)[:2] == (413, "RequestEntityTooLarge")
    still_serving(server)


def test_declared_huge_body_is_refused_without_being_sent(server: RunningIms) -> None:
    # Content-Length beyond what the server drains: it answers 413 and closes, without reading 1 GiB.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nx-acs-action: SubmitLiveRecordJob\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1073741824\r\n\r\n"
        )
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413")
    still_serving(server)


def test_oversized_query_and_garbage_requests_do_not_stop_the_server(server: RunningIms) -> None:
    long_query = [("Keyword", "k" * 200)]
    status, code, _ = error(SignedCall(server.port, "ListLiveRecordJobs", query=long_query).send())
    assert (status, code) == (400, "InvalidParameter")
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(b"\x00\xffNOT-HTTP\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        # A request line without a version gets a status line too (never a bare HTTP/0.9 body), then close.
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b'"Code":"BadRequest"' in answer
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(b"GET /?" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 414")
    wrong_type = SignedCall(
        server.port, "ListLiveRecordJobs", method="POST", body=b'{"a":1}', content_type="application/json"
    ).send()
    assert error(wrong_type)[:2] == (400, "InvalidParameter")
    bad_utf8 = SignedCall(
        server.port, "ListLiveRecordJobs", method="POST", body=b"Keyword=%ff%fe", content_type=FORM
    )
    assert error(bad_utf8.send())[:2] == (400, "InvalidParameter")
    still_serving(server)


def test_bucket_playback_never_leaves_the_bucket(server: RunningIms) -> None:
    bucket = server.ims.data_dir / "buckets" / "play-bucket"
    (bucket / "record").mkdir(parents=True)
    (bucket / "record" / "a.m3u8").write_text("#EXTM3U\n")
    (bucket / "record" / "a.ts").write_bytes(bytes(range(256)) * 4)
    (server.ims.data_dir / "secret.txt").write_text("do not serve")
    base = f"http://127.0.0.1:{server.port}/_buckets"

    playlist = httpx.get(f"{base}/play-bucket/record/a.m3u8")
    assert playlist.status_code == 200
    assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert playlist.headers["access-control-allow-origin"] == "*"
    assert playlist.text == "#EXTM3U\n"

    ranged = httpx.get(f"{base}/play-bucket/record/a.ts", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged.headers["content-type"] == "video/mp2t"
    assert ranged.content == bytes(range(10, 20))
    assert ranged.headers["content-range"] == "bytes 10-19/1024"

    for path in (
        "/play-bucket/../secret.txt",
        "/play-bucket/%2e%2e/secret.txt",
        "/play-bucket/record/..%2f..%2f..%2fsecret.txt",
        "/..%2fsecret.txt",
        "/PLAY/record/a.m3u8",
        "/play-bucket/record",
        "/play-bucket/record/missing.ts",
    ):
        response = httpx.get(base + path)
        assert response.status_code == 404, path
        assert "do not serve" not in response.text


def test_a_bucket_directory_that_is_a_symlink_is_neither_served_nor_written(
    server: RunningIms, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "record").mkdir(parents=True)
    (elsewhere / "record" / "a.m3u8").write_text("outside the data directory")
    buckets = server.ims.data_dir / "buckets"
    buckets.mkdir(exist_ok=True)
    (buckets / "linked-bucket").symlink_to(elsewhere, target_is_directory=True)

    response = httpx.get(f"http://127.0.0.1:{server.port}/_buckets/linked-bucket/record/a.m3u8")
    assert response.status_code == 404
    assert "outside" not in response.text
    with pytest.raises(storage.UnsafeObjectKeyError, match="symlink"):
        storage.safe_object_path(buckets / "linked-bucket", "record/b.ts")
    # A data directory reached through a link is fine: only the bucket level is checked.
    (tmp_path / "data-link").symlink_to(server.ims.data_dir, target_is_directory=True)
    (buckets / "real-bucket").mkdir()
    assert storage.safe_object_path(tmp_path / "data-link" / "buckets" / "real-bucket", "a.ts").name == "a.ts"


def test_lenient_values_are_refused(server: RunningIms) -> None:
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The date in any form but the documented one (lower-case t/z; V2's full-width digits: test_server_auth).
    answer = SignedCall(server.port, "ListLiveRecordJobs", date=now.lower()).send()
    assert error(answer)[:2] == (400, "InvalidTimeStamp.Format")
    # An integer inside JSON must be a JSON number; flattened form text stays decimal text.
    as_string = create_template(server, [{**M3U8_FORMAT, "SliceDuration": "10"}])
    status, code, message = error(as_string)
    assert (status, code) == (400, "InvalidParameter")
    assert "SliceDuration" in message and "JSON number" in message
    flattened = post(
        server,
        "CreateLiveRecordTemplate",
        {"Name": "flat", "RecordFormat.1.Format": "mp4", "RecordFormat.1.CycleDuration": "600"},
    )
    assert flattened.status_code == 200, flattened.text
    # Other scripts' digits are not numbers, in values or in flattened indexes.
    for action, query in (
        ("ListLiveRecordJobs", [("PageSize", "１０")]),
        ("ListLiveRecordJobs", [("PageNo", "٣")]),
        ("ListLiveRecordFiles", [("JobIds.１", "x")]),
    ):
        answer = SignedCall(server.port, action, query=query).send()
        assert error(answer)[:2] == (400, "InvalidParameter"), query
    late = SignedCall(server.port, "ListLiveRecordJobs", query=[("StartTime", now.lower())]).send()
    assert error(late)[:2] == (400, "InvalidParameter")
    # One parameter in two encodings: refused, not "JSON wins".
    both = post(
        server,
        "CreateLiveRecordTemplate",
        {"Name": "both", "RecordFormat": json_text([M3U8_FORMAT]), "RecordFormat.1.Format": "mp4"},
    )
    status, code, message = error(both)
    assert (status, code) == (400, "InvalidParameter")
    assert "RecordFormat" in message and "not both" in message
    still_serving(server)
