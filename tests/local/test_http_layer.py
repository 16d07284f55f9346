"""The local IMS's HTTP layer as standard clients use it: chunked bodies (the Node.js SDK streams every
form body, the Java SDK sends its empty POSTs chunked), hostile chunking, Expect, HTTP/1.0, Connection: close,
header case, the Host header in HostId and RecordUrl, and parameters split between query and body.

Requests go through ``http.client`` over a raw socket, signed by hand (V3 and V2) over the decoded body
bytes."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import pytest

from pulumi_ims_record.api import signing
from pulumi_ims_record.local import _body
from pulumi_ims_record.local.recorder import RecordedFile

from .conftest import DEFAULT_KEY_ID, DEFAULT_SECRET, M3U8_FORMAT, RunningIms, SignedCall, json_text

FORM = "application/x-www-form-urlencoded"
Params = list[tuple[str, str]]


def signed(
    port: int, action: str, query: Params, form: Params, *, v2: bool
) -> tuple[str, dict[str, str], bytes]:
    """``(url, headers, body)`` of a POST signed as the SDKs sign it; the signature covers the body."""
    body = urlencode(form).encode()
    if v2:
        common = [
            ("Action", action),
            ("Format", "json"),
            ("Version", "2020-11-09"),
            ("AccessKeyId", DEFAULT_KEY_ID),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", uuid.uuid4().hex),
            ("Timestamp", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ]
        signature = signing.v2_signature(
            DEFAULT_SECRET, signing.v2_string_to_sign("POST", [*common, *query, *form])
        )
        headers = {"host": f"127.0.0.1:{port}"}
        if body:
            headers["content-type"] = FORM
        return "/?" + urlencode([*common, *query, ("Signature", signature)]), headers, body
    call = SignedCall(
        port, action, method="POST", query=query, body=body, content_type=FORM if body else None
    )
    return ("/?" + urlencode(query) if query else "/"), call.headers(), body


def send(
    port: int, url: str, headers: dict[str, str], body: bytes, *, chunked: bool
) -> tuple[int, dict[str, Any], http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:
            # Small pieces so one body spans many chunks; an empty body is the bare final chunk.
            pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
            connection.request("POST", url, body=iter(pieces), headers=headers)
        else:
            connection.request("POST", url, body=body, headers=headers)
        response = connection.getresponse()
        payload = json.loads(response.read() or b"{}")
        return response.status, payload, response
    finally:
        connection.close()


def call(
    server: RunningIms, action: str, *, query: Params = (), form: Params = (), v2: bool, chunked: bool
) -> tuple[int, dict[str, Any]]:
    url, headers, body = signed(server.port, action, list(query), list(form), v2=v2)
    status, payload, _ = send(server.port, url, headers, body, chunked=chunked)
    payload.pop("RequestId", None)
    return status, payload


def both(server: RunningIms, action: str, *, v2: bool, **params: Params) -> dict[str, Any]:
    """Send once with a Content-Length and once chunked; the answers must be the same. Returns it."""
    with_length = call(server, action, v2=v2, chunked=False, **params)
    chunked = call(server, action, v2=v2, chunked=True, **params)
    assert chunked == with_length, action
    assert with_length[0] == 200, with_length
    return with_length[1]


TEMPLATE_FORM = [("Name", "chunky"), ("RecordFormat", json_text([M3U8_FORMAT]))]


def created(server: RunningIms, action: str, form: Params, *, v2: bool, key: str) -> tuple[str, str]:
    """A create/submit sent both ways: same status and answer fields, two new ids."""
    (status_a, a), (status_b, b) = (call(server, action, form=form, v2=v2, chunked=c) for c in (False, True))
    assert (status_a, status_b) == (200, 200), (a, b)
    assert sorted(a) == sorted(b) == [key]
    return a[key], b[key]


@pytest.mark.parametrize("v2", [False, True], ids=["v3", "v2"])
def test_every_operation_answers_the_same_with_a_chunked_body(server: RunningIms, v2: bool) -> None:
    template, chunked_template = created(
        server, "CreateLiveRecordTemplate", TEMPLATE_FORM, v2=v2, key="TemplateId"
    )
    both(
        server,
        "UpdateLiveRecordTemplate",
        v2=v2,
        form=[("TemplateId", template), ("Name", "renamed"), ("RecordFormat", json_text([M3U8_FORMAT]))],
    )
    assert (
        both(server, "GetLiveRecordTemplate", v2=v2, form=[("TemplateId", template)])["RecordTemplate"][
            "Name"
        ]
        == "renamed"
    )
    listed = both(server, "ListLiveRecordTemplates", v2=v2, form=[("Type", "custom"), ("PageSize", "100")])
    assert {t["TemplateId"] for t in listed["RecordTemplateList"]} >= {template, chunked_template}

    job_form = [
        ("Name", "chunked-job"),
        ("StreamInput", json_text({"Type": "rtmp", "Url": "rtmp://127.0.0.1/live/chunks"})),
        (
            "RecordOutput",
            json_text({"Type": "oss", "Bucket": "chunkbucket", "Endpoint": "oss-cn-shanghai.aliyuncs.com"}),
        ),
        ("TemplateId", template),
    ]
    job, chunked_job = created(server, "SubmitLiveRecordJob", job_form, v2=v2, key="JobId")
    assert (
        both(server, "GetLiveRecordJob", v2=v2, form=[("JobId", chunked_job)])["RecordJob"]["Name"]
        == "chunked-job"
    )
    jobs = both(server, "ListLiveRecordJobs", v2=v2, form=[("Keyword", "chunked-job")])
    assert {j["JobId"] for j in jobs["LiveRecordJobs"]} == {job, chunked_job}

    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    end = datetime(2030, 1, 2, 3, 5, 5, tzinfo=timezone.utc)
    server.backend.on_file(RecordedFile(job, "m3u8", f"record/{job}/0.m3u8", start, end, 60.0, 640, 360))
    files = both(server, "ListLiveRecordFiles", v2=v2, form=[("JobIds.1", job)])
    assert [f["JobId"] for f in files["Files"]] == [job]
    missing = both(server, "DeleteLiveRecordFiles", v2=v2, form=[("RecordIds.1", "no-such-record")])
    assert [entry["Code"] for entry in missing["DeleteFileInfoList"]] == ["InvalidRecordId.NotFound"]

    # Deletes, each on its own template, with the body chunked, then (as Java sends them) empty and chunked.
    spares = [
        created(server, "CreateLiveRecordTemplate", TEMPLATE_FORM, v2=v2, key="TemplateId") for _ in (1, 2)
    ]
    answers = [
        call(server, "DeleteLiveRecordTemplate", form=[("TemplateId", spares[0][0])], v2=v2, chunked=False),
        call(server, "DeleteLiveRecordTemplate", form=[("TemplateId", spares[0][1])], v2=v2, chunked=True),
        call(server, "DeleteLiveRecordTemplate", query=[("TemplateId", spares[1][0])], v2=v2, chunked=False),
        call(server, "DeleteLiveRecordTemplate", query=[("TemplateId", spares[1][1])], v2=v2, chunked=True),
    ]
    assert answers == [(200, {})] * 4
    for spare in (*spares[0], *spares[1]):
        assert (
            call(server, "GetLiveRecordTemplate", form=[("TemplateId", spare)], v2=v2, chunked=False)[0]
            == 404
        )
    record_id = files["Files"][0]["RecordId"]
    empty_bodies = [
        call(server, "DeleteLiveRecordFiles", query=[("RecordIds.1", "gone")], v2=v2, chunked=chunked)
        for chunked in (False, True)
    ]
    assert empty_bodies[0] == empty_bodies[1]
    deleted = call(server, "DeleteLiveRecordFiles", query=[("RecordIds.1", record_id)], v2=v2, chunked=True)
    assert deleted == (200, {"Message": "OK", "DeleteFileInfoList": []})


# --- hostile and unusual framing, over a raw socket ---------------------------------------------------------


def raw_head(
    port: int, body_headers: str, *, action: str = "ListLiveRecordTemplates", version: str = "1.1"
) -> bytes:
    return (
        f"POST / HTTP/{version}\r\nHost: 127.0.0.1:{port}\r\nx-acs-action: {action}\r\n"
        f"x-acs-version: 2020-11-09\r\nContent-Type: {FORM}\r\n{body_headers}\r\n"
    ).encode()


def read_answer(connection: socket.socket) -> tuple[int, dict[str, Any], bool]:
    """``(status, JSON body, whether the server then closed the connection)``."""
    response = http.client.HTTPResponse(connection)
    response.begin()
    payload = json.loads(response.read())
    # The server closes right after answering when it closes at all; still open after 2 s means kept alive.
    connection.settimeout(2)
    try:
        closed = connection.recv(1) == b""
    except ConnectionResetError:
        closed = True
    except TimeoutError:
        closed = False
    return response.status, payload, closed


def still_serving(server: RunningIms) -> None:
    assert SignedCall(server.port, "ListLiveRecordTemplates").send().status_code == 200


@pytest.mark.parametrize(
    ("framing", "detail"),
    [
        (b"zz\r\nName=x\r\n0\r\n\r\n", "bad chunk size line"),
        (b"5 6\r\nName=\r\n0\r\n\r\n", "bad chunk size line"),
        (b"-5\r\nName=\r\n0\r\n\r\n", "bad chunk size line"),
        (b"5\nName=\r\n0\r\n\r\n", "does not end with CRLF"),
        (b"5\r\nName=xyz\r\n0\r\n\r\n", "not followed by CRLF"),
        (b"5\r\nName=\r\n", "ended before its final 0-size chunk"),
        (b"5\r\nNa", "ended inside a chunk"),
        (b"0\r\nTrailer: " + b"t" * 20000 + b"\r\n\r\n", "longer than"),
    ],
    ids=[
        "not-hex",
        "space-in-size",
        "negative",
        "bare-lf",
        "chunk-too-long",
        "no-final-chunk",
        "cut-in-chunk",
        "huge-trailer",
    ],
)
def test_malformed_chunking_is_400_and_the_connection_closes(
    server: RunningIms, framing: bytes, detail: str
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(raw_head(server.port, "Transfer-Encoding: chunked\r\n") + framing)
        connection.shutdown(socket.SHUT_WR)  # the client has nothing more: a missing final chunk is final
        status, payload, closed = read_answer(connection)
    assert (status, payload["Code"]) == (400, "MalformedBody")
    assert detail in payload["Message"]
    assert closed
    still_serving(server)


def test_chunk_extensions_and_trailers_are_accepted(server: RunningIms) -> None:
    # Unsigned, so the answer is the signature check's: the body was read and parsed to get there.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        body = b"4;name=value\r\nType\r\n7 ;x\r\n=custom\r\n0\r\nX-Trailer: 1\r\n\r\n"
        connection.sendall(raw_head(server.port, "Transfer-Encoding: chunked\r\n") + body)
        status, payload, closed = read_answer(connection)
    assert (status, payload["Code"], closed) == (400, "IncompleteSignature", False)


@pytest.mark.parametrize(
    ("headers", "version", "status", "code"),
    [
        ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "1.1", 400, "MalformedBody"),
        ("Transfer-Encoding: gzip, chunked\r\n", "1.1", 501, "UnsupportedTransferEncoding"),
        ("Transfer-Encoding: chunked\r\n", "1.0", 400, "MalformedBody"),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", "1.1", 400, "MalformedBody"),
        ("Content-Length: +5\r\n", "1.1", 400, "InvalidParameter"),
    ],
    ids=["te-and-length", "gzip", "chunked-http10", "two-lengths", "signed-length"],
)
def test_ambiguous_framing_is_refused_and_closed(
    server: RunningIms, headers: str, version: str, status: int, code: str
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(raw_head(server.port, headers, version=version) + b"5\r\nType=\r\n0\r\n\r\n")
        answer = read_answer(connection)
    assert (answer[0], answer[1]["Code"], answer[2]) == (status, code, True)
    still_serving(server)


def test_a_chunked_body_over_the_limit_is_413(server: RunningIms) -> None:
    # 2 MiB: read and discarded whole, so a client that sends everything before reading sees the answer.
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(
            raw_head(server.port, "Transfer-Encoding: chunked\r\n") + chunk * 32 + b"0\r\n\r\n"
        )
        status, payload, closed = read_answer(connection)
    assert (status, payload["Code"], closed) == (413, "RequestEntityTooLarge", True)
    still_serving(server)


def test_a_100_megabyte_chunked_body_from_a_bounded_sender_is_413(server: RunningIms) -> None:
    # The sender makes each 64 KiB chunk as it goes (no 100 MB in memory here either) and stops at the first
    # refusal; the server answers once it has discarded what it drains, then closes.
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    sent = [0]
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as connection:
        connection.sendall(raw_head(server.port, "Transfer-Encoding: chunked\r\n"))

        def send_body() -> None:
            try:
                for _ in range(100 * 16):
                    connection.sendall(chunk)
                    sent[0] += 65536
                connection.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # refused: the server closed while the body was still coming

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        status, payload, _ = read_answer(connection)
        sender.join(timeout=60)
    assert (status, payload["Code"]) == (413, "RequestEntityTooLarge")
    assert sent[0] < 100 * 1024 * 1024, "the server read the whole 100 MB instead of refusing it"
    still_serving(server)


def slow_chunks(connection: socket.socket, pieces: list[bytes], pause: float) -> None:
    for piece in pieces:
        connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        time.sleep(pause)
    connection.sendall(b"0\r\n\r\n")


def test_slow_chunks_are_waited_for_while_others_are_served(server: RunningIms) -> None:
    url, headers, body = signed(server.port, "ListLiveRecordTemplates", [], [("Type", "custom")], v2=False)
    head = f"POST {url} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
        trickle = threading.Thread(
            target=slow_chunks, args=(connection, [body[:4], body[4:8], body[8:]], 0.5)
        )
        trickle.start()
        still_serving(server)  # another client, answered while this body is half sent
        trickle.join()
        status, payload, closed = read_answer(connection)
    assert (status, closed) == (200, False), payload


def test_a_body_slower_than_the_deadline_is_408(server: RunningIms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_body, "BODY_DEADLINE_SECONDS", 1.0)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(raw_head(server.port, "Transfer-Encoding: chunked\r\n"))
        trickle = threading.Thread(target=lambda: _ignore_os_errors(slow_chunks, connection, [b"a"] * 6, 0.4))
        trickle.start()
        status, payload, closed = read_answer(connection)
        trickle.join()
    assert (status, payload["Code"], closed) == (408, "RequestTimeout", True)
    still_serving(server)


def _ignore_os_errors(function: Any, *args: Any) -> None:
    with contextlib.suppress(OSError):
        function(*args)


# --- the rest of the HTTP layer -----------------------------------------------------------------------------


def test_expect_100_continue_gets_continue_then_the_answer(server: RunningIms) -> None:
    url, headers, body = signed(server.port, "ListLiveRecordTemplates", [], [("Type", "custom")], v2=False)
    head = f"POST {url} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall((head + f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += connection.recv(1)
        assert interim.startswith(b"HTTP/1.1 100")
        connection.sendall(body)
        status, payload, closed = read_answer(connection)
    assert (status, closed) == (200, False), payload


def test_header_names_in_any_case_and_connection_close(server: RunningIms) -> None:
    url, headers, body = signed(server.port, "ListLiveRecordTemplates", [], [("Type", "custom")], v2=False)
    # Header names as a Java or .NET client might capitalise them; the signature was over lower-case names.
    head = f"POST {url} HTTP/1.1\r\n" + "".join(f"{k.title()}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall((head + "TRANSFER-ENCODING: Chunked\r\nConnection: close\r\n\r\n").encode())
        connection.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        response = http.client.HTTPResponse(connection)
        response.begin()
        assert response.status == 200, response.read()
        assert response.getheader("Connection") == "close"
        response.read()
        assert connection.recv(1) == b""


def test_http_1_0_requests_are_answered_and_closed(server: RunningIms) -> None:
    url, headers, body = signed(server.port, "ListLiveRecordTemplates", [], [("Type", "custom")], v2=True)
    head = f"POST {url} HTTP/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall((head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        status, payload, closed = read_answer(connection)
    assert (status, closed) == (200, True), payload


@pytest.mark.parametrize("v2", [False, True], ids=["v3", "v2"])
def test_parameters_split_between_query_and_body(server: RunningIms, v2: bool) -> None:
    status, answer = call(
        server,
        "CreateLiveRecordTemplate",
        query=[("Name", "split")],
        form=[("RecordFormat", json_text([M3U8_FORMAT]))],
        v2=v2,
        chunked=True,
    )
    assert status == 200, answer
    template = call(
        server, "GetLiveRecordTemplate", query=[("TemplateId", answer["TemplateId"])], v2=v2, chunked=False
    )
    assert template[1]["RecordTemplate"]["Name"] == "split"


def test_host_id_and_record_url_follow_the_host_header(server: RunningIms) -> None:
    # A client behind a port mapping reaches the server as ims.example.test:9999.
    mapped = "ims.example.test:9999"
    submit = [
        ("Name", "behind-a-proxy"),
        ("StreamInput", json_text({"Type": "rtmp", "Url": "rtmp://127.0.0.1/live/p"})),
        ("RecordOutput", json_text({"Type": "oss", "Bucket": "proxybucket", "Endpoint": "e"})),
        ("TemplateId", "ims-system-m3u8"),
    ]
    job = call(server, "SubmitLiveRecordJob", form=submit, v2=False, chunked=False)[1]["JobId"]
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    end = datetime(2030, 1, 2, 3, 5, 5, tzinfo=timezone.utc)
    server.backend.on_file(RecordedFile(job, "m3u8", f"record/{job}/0.m3u8", start, end, 60.0, 640, 360))

    def files_as_seen_from(host: str) -> str:
        call_ = SignedCall(server.port, "ListLiveRecordFiles", query=[("JobIds.1", job)])
        call_.extra_headers = {"host": host}
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", "/?" + urlencode(call_.query), headers=call_.headers())
        answer = json.loads(connection.getresponse().read())
        connection.close()
        return str(answer["Files"][0]["RecordUrl"])

    assert files_as_seen_from(mapped) == f"http://{mapped}/_buckets/proxybucket/record/{job}/0.m3u8"
    assert files_as_seen_from(f"127.0.0.1:{server.port}") == (
        f"{server.ims.endpoint}/_buckets/proxybucket/record/{job}/0.m3u8"
    )
    for host, host_id in ((mapped, mapped), ("evil/../x y", f"127.0.0.1:{server.port}")):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        # Unsigned: an error answer (a bare GET / is a browser, sent to the console).
        connection.request("GET", "/?Action=ListLiveRecordJobs", headers={"Host": host})
        error = json.loads(connection.getresponse().read())
        connection.close()
        assert error["HostId"] == host_id


# --- protocol errors and strict parsing (what a front proxy would refuse) ------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status", "detail"),
    [
        (b"GARBAGE\r\n\r\n", 400, "Bad request line"),
        (b"GET /\r\n\r\n", 400, "Bad request line"),  # HTTP/0.9
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "not supported"),
        (b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505, "not supported"),
        (b"GET / FTP/1.1\r\nHost: x\r\n\r\n", 400, "protocol"),
        (b"\x16\x03\x01\x02\x00\x01\x00 \x01\xfc\x03 \x03\r\n\r\n", 400, "Bad request line"),  # TLS
        (b"GET / HTTP/1.1\nHost: x\n\n", 400, "CRLF"),
        (b"GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", 400, "CRLF"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, "Name: value"),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "Name: value"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400, "obs-fold"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host"),
    ],
    ids=[
        "garbage",
        "http-0.9",
        "http-2",
        "http-1.2",
        "not-http",
        "tls-hello",
        "bare-lf",
        "bare-lf-in-headers",
        "no-colon",
        "space-before-colon",
        "folded",
        "two-hosts",
    ],
)
def test_protocol_errors_get_a_status_line_and_close(
    server: RunningIms, request_bytes: bytes, status: int, detail: str
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(request_bytes)
        answer = read_answer(connection)  # http.client: fails on a bare body without a status line
    assert answer[0] == status, answer
    assert detail in answer[1]["Message"]
    assert answer[2], "the connection stays open after a protocol error"
    still_serving(server)
