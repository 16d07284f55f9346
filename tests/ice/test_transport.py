"""How requests reach the wire: straight to the httpx transport (no httpx.Client per-request merging), the
keep-alive pool's size, compressed answers, and environment proxies, which still go through httpx.Client."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_ims_record.ice import ConfigurationError, ConnectError, Credentials, IceClient
from pulumi_ims_record.ice._client import DEFAULT_MAX_CONNECTIONS
from tests.local.conftest import DEFAULT_KEY_ID, DEFAULT_SECRET, RunningIms, start_in_process

from .conftest import TEST_CREDENTIALS, Recorder

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:  # both spellings: urllib and httpx read either
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def ims(tmp_path: Path) -> Iterator[RunningIms]:
    running = start_in_process(tmp_path / "ims")
    yield running
    running.ims.stop()


def local_client(ims: RunningIms, **options: Any) -> IceClient:
    return IceClient(
        endpoint=ims.ims.endpoint, credentials=Credentials(DEFAULT_KEY_ID, DEFAULT_SECRET), **options
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_gzip_answer_is_decoded(recorder: Recorder, make_client: Callable[..., IceClient]) -> None:
    body = gzip.compress(
        json.dumps({"RequestId": "R", "RecordJob": {"JobId": "j", "Name": "zipped"}}).encode()
    )
    recorder.answers.append(httpx.Response(200, content=body, headers={"content-encoding": "gzip"}))
    assert make_client().get_live_record_job(job_id="j").record_job.name == "zipped"
    assert recorder.requests[0].headers["accept-encoding"] == "gzip, deflate"


def test_max_connections_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="max_connections"):
        IceClient(region="cn-shanghai", credentials=TEST_CREDENTIALS, max_connections=0)


def test_sixteen_threads_keep_their_connections_alive(ims: RunningIms) -> None:
    # With a pool smaller than the concurrency, connections beyond it were closed after every request and
    # reopened; now every thread's connection is reused: at most one connection per thread is ever opened.
    accepted = 0
    count_lock = threading.Lock()
    server = ims.ims._api
    assert server is not None and DEFAULT_MAX_CONNECTIONS >= 16
    original = server.process_request

    def counting(request: object, client_address: object) -> None:
        nonlocal accepted
        with count_lock:
            accepted += 1
        original(request, client_address)

    server.process_request = counting  # type: ignore[method-assign]
    start = threading.Barrier(16)
    with local_client(ims) as client:

        def calls() -> None:
            start.wait(timeout=10)
            for _ in range(10):
                client.list_live_record_jobs()

        threads = [threading.Thread(target=calls) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert 1 <= accepted <= 16, accepted


def test_a_proxy_from_the_environment_is_still_used(ims: RunningIms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    with local_client(ims, max_retries=0) as client, pytest.raises(ConnectError):
        client.list_live_record_jobs()  # sent to the (absent) proxy, not to the server
    monkeypatch.delenv("HTTP_PROXY")
    with local_client(ims) as client:
        assert client.list_live_record_jobs().live_record_jobs == ()
