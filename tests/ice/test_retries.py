"""Retries: backoff with full jitter bounded by attempts and a deadline, ``x-acs-retry-after`` (milliseconds,
as the SDK reads it), and the rule that a mutation is never repeated after an ambiguous failure."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from pulumi_ims_record.ice import (
    OPERATION_DEADLINE,
    ConnectError,
    DeadlineExceededError,
    IceClient,
    InvalidParameterError,
    OutcomeUnknownError,
    ReadTimeout,
    RecordFormat,
    RecordOutput,
    ServerError,
    StreamInput,
    ThrottlingError,
    TransportError,
)
from pulumi_ims_record.ice._client import BACKOFF_BASE_SECONDS, MAX_THROTTLING_RETRIES, parse_retry_after

from .conftest import TEST_CREDENTIALS, FakeTime, Recorder, error, ok

JOB_ANSWER = ok({"RequestId": "R", "RecordJob": {"JobId": "j"}})
SUBMIT_ANSWER = ok({"RequestId": "R", "JobId": "new-job"})


def submit(client: IceClient) -> str:
    return client.submit_live_record_job(
        name="n",
        stream_input=StreamInput("rtmp://h/s"),
        record_output=RecordOutput(bucket="b"),
        template_id="t",
    ).job_id


def test_reads_retry_5xx_with_exponential_backoff(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.answers.extend(
        [error(500, "InternalError"), error(502, ""), error(503, "ServiceUnavailable"), JOB_ANSWER]
    )
    assert make_client(max_retries=4).get_live_record_job(job_id="j").record_job.job_id == "j"
    assert len(recorder.requests) == 4
    assert fake_time.sleeps == [BACKOFF_BASE_SECONDS * 1, BACKOFF_BASE_SECONDS * 2, BACKOFF_BASE_SECONDS * 4]


def test_full_jitter_scales_each_delay(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    draws = iter([0.5, 0.25])
    recorder.answers.extend([error(500, "InternalError"), error(500, "InternalError"), JOB_ANSWER])
    make_client(jitter=lambda: next(draws)).get_live_record_job(job_id="j")
    assert fake_time.sleeps == [BACKOFF_BASE_SECONDS * 0.5, BACKOFF_BASE_SECONDS * 2 * 0.25]


def test_attempts_are_bounded_by_max_retries(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.default = error(500, "InternalError", request_id="LAST")
    with pytest.raises(ServerError, match="LAST"):
        make_client(max_retries=2).get_live_record_job(job_id="j")
    assert len(recorder.requests) == 3 and len(fake_time.sleeps) == 2


def test_max_retries_zero_means_one_attempt(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.default = error(503, "ServiceUnavailable")
    with pytest.raises(ServerError):
        make_client(max_retries=0).get_live_record_job(job_id="j")
    assert len(recorder.requests) == 1


def test_attempts_are_bounded_by_the_deadline(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.default = error(500, "InternalError")
    # Delays 0.2, 0.4 fit in 1.0 s; the next (0.8) would end past the deadline, so the client stops.
    with pytest.raises(ServerError):
        make_client(max_retries=10, retry_deadline=1.0).get_live_record_job(job_id="j")
    assert fake_time.sleeps == [0.2, 0.4]
    assert len(recorder.requests) == 3


def test_time_spent_in_requests_counts_against_the_deadline(
    make_client: Callable[..., IceClient], fake_time: FakeTime
) -> None:
    def slow_failure(request: httpx.Request) -> httpx.Response:
        fake_time.now += 5.0  # each attempt "takes" 5 s
        return error(500, "InternalError")

    recorder = Recorder(default=None, answers=[slow_failure] * 10)
    with pytest.raises(ServerError):
        make_client(transport=recorder.transport, retry_deadline=12.0).get_live_record_job(job_id="j")
    assert len(recorder.requests) == 3  # 5 + 0.2 + 5 + 0.4 + 5 > 12 after the third


def test_retry_after_header_is_milliseconds_and_honoured_with_jitter(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    # retry_after × (1 + random()): never shorter than the server asked, spread so that callers throttled
    # together do not all come back at the same instant.
    draws = iter([0.0, 0.5])
    throttled = error(400, "Throttling.User", **{"x-acs-retry-after": "1500"})
    recorder.answers.extend([throttled, throttled, JOB_ANSWER])
    make_client(jitter=lambda: next(draws)).get_live_record_job(job_id="j")
    assert fake_time.sleeps == [1.5, 2.25]


def test_throttling_is_retried_past_max_retries_until_the_deadline(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    # A throttled submit provably was not applied: it is resent until the deadline, however many times.
    recorder.default = error(400, "Throttling.User", **{"x-acs-retry-after": "1000"})
    with pytest.raises(ThrottlingError):
        submit(make_client(max_retries=2, retry_deadline=11.0, jitter=lambda: 0.0))
    assert fake_time.sleeps == [1.0] * 11
    assert len(recorder.requests) == 12


def test_throttled_submit_succeeds_after_more_than_max_retries(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    throttled = error(400, "Throttling.User", **{"x-acs-retry-after": "100"})
    recorder.answers.extend([throttled] * 6 + [SUBMIT_ANSWER])
    assert submit(make_client(max_retries=1)) == "new-job"
    assert len(recorder.requests) == 7


def test_throttling_retries_have_a_cap_even_within_the_deadline(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.default = error(400, "Throttling.User", **{"x-acs-retry-after": "1"})
    with pytest.raises(ThrottlingError):
        make_client(retry_deadline=3600.0).get_live_record_job(job_id="j")
    assert len(recorder.requests) == MAX_THROTTLING_RETRIES + 1


def test_other_errors_still_count_against_max_retries_between_throttling(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    throttled = error(400, "Throttling.User", **{"x-acs-retry-after": "100"})
    recorder.answers.extend([throttled, error(500, "InternalError"), throttled, error(502, "BadGateway")])
    recorder.default = error(503, "ServiceUnavailable", request_id="LAST")
    with pytest.raises(ServerError, match="LAST"):
        make_client(max_retries=2).get_live_record_job(job_id="j")
    # 2 throttled + 3 server errors (the first try of a 5xx plus its 2 retries)
    assert len(recorder.requests) == 5


def test_throttling_error_exposes_retry_after_in_seconds(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.default = error(400, "Throttling.User", **{"x-acs-retry-after": "250"})
    with pytest.raises(ThrottlingError) as caught:
        make_client(max_retries=0).get_live_record_job(job_id="j")
    assert caught.value.retry_after == 0.25


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1500", 1.5), ("1", 0.001), ("0", None), ("-5", None), ("", None), ("soon", None), ("1.5", None)],
)
def test_parse_retry_after_matches_the_sdk(value: str, seconds: float | None) -> None:
    from alibabacloud_tea_openapi.utils import Utils as SdkUtils

    assert parse_retry_after({"x-acs-retry-after": value}) == seconds
    sdk_milliseconds = SdkUtils.get_throttling_time_left({"x-acs-retry-after": value})
    assert (None if sdk_milliseconds is None else sdk_milliseconds / 1000) == seconds


def test_retry_after_beyond_the_deadline_gives_up_without_sleeping(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.default = error(400, "Throttling.User", **{"x-acs-retry-after": "90000"})
    with pytest.raises(ThrottlingError):
        make_client(retry_deadline=30.0).get_live_record_job(job_id="j")
    assert fake_time.sleeps == [] and len(recorder.requests) == 1


def test_throttling_without_header_uses_backoff(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.answers.extend([error(400, "Throttling.Api"), JOB_ANSWER])
    make_client().get_live_record_job(job_id="j")
    assert fake_time.sleeps == [BACKOFF_BASE_SECONDS]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("late"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("Server disconnected"),
        httpx.ReadError("reset"),
    ],
)
def test_reads_retry_transport_errors(
    make_client: Callable[..., IceClient], recorder: Recorder, failure: Exception
) -> None:
    recorder.answers.extend([failure, JOB_ANSWER])
    assert make_client().get_live_record_job(job_id="j").record_job.job_id == "j"
    assert len(recorder.requests) == 2


def test_reads_do_not_retry_client_errors(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.default = error(400, "InvalidParameter")
    with pytest.raises(InvalidParameterError):
        make_client().get_live_record_job(job_id="j")
    assert len(recorder.requests) == 1


def test_exhausted_read_timeouts_raise_read_timeout(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.extend([httpx.ReadTimeout("late")] * 3)
    with pytest.raises(ReadTimeout, match="GetLiveRecordJob"):
        make_client(max_retries=2).get_live_record_job(job_id="j")


# --- mutations ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ambiguous",
    [
        httpx.ReadTimeout("late"),
        httpx.WriteTimeout("half sent"),
        httpx.RemoteProtocolError("Server disconnected without sending a response"),
        httpx.ReadError("Connection reset by peer"),
        error(500, "InternalError", request_id="R-500"),
        error(502, "BadGateway"),
        error(504, "GatewayTimeout"),
        httpx.Response(200, content=b"not json"),
    ],
    ids=["read-timeout", "write-timeout", "disconnect", "reset", "500", "502", "504", "garbled-200"],
)
def test_submit_is_never_repeated_after_an_ambiguous_failure(
    make_client: Callable[..., IceClient],
    recorder: Recorder,
    fake_time: FakeTime,
    ambiguous: httpx.Response | Exception,
) -> None:
    recorder.answers.extend([ambiguous, SUBMIT_ANSWER])
    with pytest.raises(OutcomeUnknownError) as caught:
        submit(make_client(max_retries=4))
    assert recorder.actions == ["SubmitLiveRecordJob"]  # sent exactly once
    assert fake_time.sleeps == []
    message = str(caught.value)
    assert "SubmitLiveRecordJob" in message and "may or may not have been applied" in message
    assert caught.value.operation == "SubmitLiveRecordJob"
    assert caught.value.cause is not None and caught.value.__cause__ is caught.value.cause
    if isinstance(ambiguous, httpx.Response) and ambiguous.status_code == 500:
        assert isinstance(caught.value.cause, ServerError) and "R-500" in message


@pytest.mark.parametrize(
    "safe",
    [
        httpx.ConnectError("Connection refused"),
        httpx.ConnectTimeout("no SYN-ACK"),
        httpx.PoolTimeout("no free connection"),
        error(503, "ServiceUnavailable"),
        error(400, "Throttling.User", **{"x-acs-retry-after": "100"}),
        error(400, "Throttling"),
    ],
    ids=["refused", "connect-timeout", "pool-timeout", "503", "throttled-with-header", "throttled"],
)
def test_submit_is_retried_when_provably_not_applied(
    make_client: Callable[..., IceClient], recorder: Recorder, safe: httpx.Response | Exception
) -> None:
    recorder.answers.extend([safe, safe, SUBMIT_ANSWER])
    assert submit(make_client()) == "new-job"
    assert recorder.actions == ["SubmitLiveRecordJob"] * 3


def test_submit_keeps_the_not_applied_error_when_retries_run_out(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.default = error(503, "ServiceUnavailable")
    with pytest.raises(ServerError) as caught:
        submit(make_client(max_retries=1))
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(recorder.requests) == 2


def test_ambiguity_after_safe_retries_still_stops(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.answers.extend([httpx.ConnectError("refused"), httpx.ReadTimeout("late"), SUBMIT_ANSWER])
    with pytest.raises(OutcomeUnknownError):
        submit(make_client())
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_live_record_template(name="t", record_formats=[RecordFormat("mp4")]),
        lambda c: c.update_live_record_template(
            template_id="t", name="t", record_formats=[RecordFormat("mp4")]
        ),
        lambda c: c.delete_live_record_template(template_id="t"),
        lambda c: c.delete_live_record_files(record_ids=["r"]),
    ],
    ids=["create", "update", "delete-template", "delete-files"],
)
def test_every_mutation_follows_the_same_rule(
    make_client: Callable[..., IceClient], recorder: Recorder, call: Callable[[IceClient], object]
) -> None:
    recorder.answers.extend([httpx.ConnectError("refused"), httpx.ReadTimeout("late")])
    with pytest.raises(OutcomeUnknownError):
        call(make_client())
    assert len(recorder.requests) == 2


def test_mutation_client_errors_are_raised_as_is(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.default = error(400, "MissingParameter", "StreamInput.Url")
    with pytest.raises(InvalidParameterError, match=r"StreamInput\.Url"):
        submit(make_client())
    assert len(recorder.requests) == 1


# --- the same rules over real loopback sockets --------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A 127.0.0.1 server that accepts connections, reads, and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


def test_real_read_timeout_on_submit_is_outcome_unknown(
    silent_server: tuple[int, list[socket.socket]], fake_time: FakeTime
) -> None:
    port, accepted = silent_server
    with (
        IceClient(
            endpoint=f"http://127.0.0.1:{port}",
            credentials=TEST_CREDENTIALS,
            timeout=httpx.Timeout(0.3, connect=2.0),
            sleep=fake_time.sleep,
            clock=fake_time.clock,
        ) as client,
        pytest.raises(OutcomeUnknownError) as caught,
    ):
        submit(client)
    assert isinstance(caught.value.cause, ReadTimeout)
    assert len(accepted) == 1  # one connection, never a second attempt


def test_real_connection_refused_is_a_connect_error(fake_time: FakeTime) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with (
        IceClient(
            endpoint=f"http://127.0.0.1:{port}",
            credentials=TEST_CREDENTIALS,
            max_retries=2,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
        ) as client,
        pytest.raises(ConnectError) as caught,
    ):
        submit(client)
    assert isinstance(caught.value, TransportError) and len(fake_time.sleeps) == 2


# --- the caller's deadline (OPERATION_DEADLINE: the provider's customTimeouts) -----------------------------


@contextlib.contextmanager
def operation_deadline(at: float) -> Iterator[None]:
    token = OPERATION_DEADLINE.set(at)
    try:
        yield
    finally:
        OPERATION_DEADLINE.reset(token)


def test_the_operation_deadline_stops_retries_before_the_clients_own(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.default = error(503, "ServiceUnavailable", request_id="LAST")
    client = make_client(max_retries=20, retry_deadline=60)
    assert BACKOFF_BASE_SECONDS == 0.2
    with operation_deadline(fake_time.clock() + 2.0), pytest.raises(DeadlineExceededError) as raised:
        client.get_live_record_job(job_id="j")
    # Backoff 0.2, 0.4, 0.8 fits in the two seconds; the next wait (1.6) would pass them.
    assert fake_time.sleeps == [BACKOFF_BASE_SECONDS * 1, BACKOFF_BASE_SECONDS * 2, BACKOFF_BASE_SECONDS * 4]
    assert len(recorder.requests) == 4 and raised.value.attempts == 4
    assert isinstance(raised.value.cause, ServerError)
    assert str(raised.value).startswith(
        "GetLiveRecordJob: no usable answer in 4 attempt(s) before the deadline of the operation came; "
        "the last:"
    )
    assert "LAST" in str(raised.value)


def test_a_call_is_not_sent_once_the_operation_deadline_has_come(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    with operation_deadline(fake_time.clock()), pytest.raises(DeadlineExceededError, match="not sent"):
        make_client().list_live_record_jobs()
    assert recorder.requests == []


def test_a_throttled_submit_stops_at_the_operation_deadline(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    # Throttled: provably not applied, so stopping is safe and says so (not an unknown outcome).
    recorder.default = error(400, "Throttling.User", **{"x-acs-retry-after": "1000"})
    with operation_deadline(fake_time.clock() + 5.0), pytest.raises(DeadlineExceededError) as raised:
        submit(make_client())
    assert isinstance(raised.value.cause, ThrottlingError)
    assert sum(fake_time.sleeps) <= 5.0 and len(recorder.requests) == 3  # waits of 2 s each (× (1 + 1.0))


def test_each_attempt_waits_at_most_until_the_operation_deadline(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.answers.append(JOB_ANSWER)
    with operation_deadline(fake_time.clock() + 2.5):
        make_client(timeout=30).get_live_record_job(job_id="j")
    phases = recorder.requests[0].extensions["timeout"]
    assert phases == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    recorder.answers.append(JOB_ANSWER)
    make_client(timeout=30).get_live_record_job(job_id="j")  # no deadline: the client's own timeout
    assert recorder.requests[1].extensions["timeout"]["read"] == 30


def test_the_clients_own_retry_deadline_still_comes_first_when_earlier(
    make_client: Callable[..., IceClient], recorder: Recorder, fake_time: FakeTime
) -> None:
    recorder.default = error(503, "ServiceUnavailable")
    with operation_deadline(fake_time.clock() + 600), pytest.raises(ServerError):
        make_client(max_retries=20, retry_deadline=0.5).get_live_record_job(job_id="j")
