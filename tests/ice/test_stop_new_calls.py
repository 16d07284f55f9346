"""``stop_new_calls``: once a process stops its calls (its Pulumi engine is gone), no client sends a request,
a retry included; the requests already on the wire end, and the stop waits for them (up to its limit)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from pulumi_ims_record.ice import CallsStoppedError, GetLiveRecordJobResponse, IceClient, stop_new_calls
from pulumi_ims_record.ice import _client as client_module

from .conftest import Recorder, error, ok

JOB_ANSWER = ok({"RequestId": "R", "RecordJob": {"JobId": "j"}})


@pytest.fixture(autouse=True)
def own_gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A gate of the test's own: stopping the process-wide one would stop every later test in this worker."""
    monkeypatch.setattr(client_module, "_CALL_GATE", client_module._CallGate())
    yield


def test_after_the_stop_no_request_is_sent(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.default = JOB_ANSWER
    client = make_client()
    client.get_live_record_job(job_id="j")

    assert stop_new_calls("the Pulumi engine is gone") == 0
    with pytest.raises(
        CallsStoppedError, match="GetLiveRecordJob: not sent, the Pulumi engine is gone"
    ) as raised:
        client.get_live_record_job(job_id="j")
    assert raised.value.reason == "the Pulumi engine is gone"
    assert len(recorder.requests) == 1
    with pytest.raises(CallsStoppedError):  # another client of the process as well
        make_client().get_live_record_job(job_id="j")
    assert len(recorder.requests) == 1


def test_a_retry_after_the_stop_is_not_sent(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    """A read that failed with a 5xx would be retried; the stop comes between the two attempts."""

    def fail_then_stop(request: httpx.Request) -> httpx.Response:
        stop_new_calls("stopped")
        return error(503, "ServiceUnavailable")

    recorder.answers = [fail_then_stop]
    recorder.default = JOB_ANSWER
    with pytest.raises(CallsStoppedError):
        make_client().get_live_record_job(job_id="j")
    assert len(recorder.requests) == 1


def test_the_stop_waits_for_the_requests_on_the_wire(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    on_the_wire, release = threading.Event(), threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        on_the_wire.set()
        assert release.wait(10)
        return JOB_ANSWER

    recorder.answers = [slow]
    answers: list[GetLiveRecordJobResponse] = []
    caller = threading.Thread(target=lambda: answers.append(make_client().get_live_record_job(job_id="j")))
    caller.start()
    assert on_the_wire.wait(10)

    assert stop_new_calls("stopped", wait=0.05) == 1  # still on the wire when the wait ran out
    threading.Timer(0.2, release.set).start()
    assert stop_new_calls("stopped", wait=10) == 0  # it ended: its answer reached the caller
    caller.join(10)
    assert [answer.record_job.job_id for answer in answers] == ["j"]
