"""The error hierarchy: classification of answers, messages that name everything, no secret anywhere."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import httpx
import pytest

from pulumi_ims_record.ice import (
    ApiError,
    AuthenticationError,
    AuthorizationError,
    ConfigurationError,
    ConnectError,
    Credentials,
    IceClient,
    IceError,
    InvalidParameterError,
    NotFoundError,
    OutcomeUnknownError,
    ReadTimeout,
    RecordOutput,
    ServerError,
    StreamInput,
    ThrottlingError,
    TimeoutError_,
    TransportError,
)

from .conftest import Recorder, error

SECRET = "SECRET-never-shown-0123456789"
TOKEN = "TOKEN-never-shown-9876543210"


@pytest.mark.parametrize(
    ("status", "code", "headers", "expected"),
    [
        (400, "InvalidParameter", {}, InvalidParameterError),
        (400, "MissingParameter", {}, InvalidParameterError),
        (400, "InvalidTemplateId", {}, InvalidParameterError),
        (400, "SignatureDoesNotMatch", {}, AuthenticationError),
        (404, "InvalidAccessKeyId.NotFound", {}, AuthenticationError),
        (400, "InvalidTimeStamp.Expired", {}, AuthenticationError),
        (400, "SignatureNonceUsed", {}, AuthenticationError),
        (400, "IncompleteSignature", {}, AuthenticationError),
        (403, "InvalidSecurityToken.Expired", {}, AuthenticationError),
        (403, "Forbidden.RAM", {}, AuthorizationError),
        (403, "OperationDenied.SystemTemplate", {}, AuthorizationError),
        (404, "InvalidJobId.NotFound", {}, NotFoundError),
        (404, "InvalidTemplateId.NotFound", {}, NotFoundError),
        (400, "Throttling.User", {}, ThrottlingError),
        (503, "ServiceUnavailable", {"x-acs-retry-after": "200"}, ThrottlingError),
        (500, "InternalError", {}, ServerError),
        (503, "ServiceUnavailable", {}, ServerError),
        (404, "InvalidAction.NotFound", {}, ApiError),  # an unknown API is not a missing resource
        (413, "RequestEntityTooLarge", {}, ApiError),
    ],
)
def test_answers_map_to_distinct_types(
    make_client: Callable[..., IceClient],
    recorder: Recorder,
    status: int,
    code: str,
    headers: dict[str, str],
    expected: type[ApiError],
) -> None:
    recorder.default = error(status, code, "the message", "REQ-42", **headers)
    with pytest.raises(ApiError) as caught:
        make_client(max_retries=0).get_live_record_job(job_id="j")
    assert type(caught.value) is expected
    text = str(caught.value)
    for part in ("GetLiveRecordJob", f"HTTP {status}", code, "the message", "REQ-42"):
        assert part in text
    assert (caught.value.operation, caught.value.status_code, caught.value.code, caught.value.request_id) == (
        "GetLiveRecordJob",
        status,
        code,
        "REQ-42",
    )


def test_recommend_and_body_are_kept(make_client: Callable[..., IceClient], recorder: Recorder) -> None:
    recorder.default = httpx.Response(
        400,
        json={
            "RequestId": "R1",
            "Code": "InvalidParameter",
            "Message": "bad",
            "Recommend": "https://api.aliyun.com/x",
            "AccessDeniedDetail": {"AuthAction": "ice:GetLiveRecordJob"},
        },
    )
    with pytest.raises(InvalidParameterError) as caught:
        make_client().get_live_record_job(job_id="j")
    assert caught.value.recommend == "https://api.aliyun.com/x"
    assert "https://api.aliyun.com/x" in str(caught.value)
    assert caught.value.body["AccessDeniedDetail"] == {"AuthAction": "ice:GetLiveRecordJob"}


def test_non_json_error_body_still_names_everything(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.default = httpx.Response(502, content=b"Bad gateway from the proxy")
    with pytest.raises(ServerError, match=r"GetLiveRecordJob failed: HTTP 502.*Bad gateway from the proxy"):
        make_client(max_retries=0).get_live_record_job(job_id="j")


def test_hierarchy() -> None:
    assert issubclass(ReadTimeout, TimeoutError_) and issubclass(TimeoutError_, TransportError)
    assert issubclass(ConnectError, TransportError) and issubclass(OutcomeUnknownError, TransportError)
    for cls in (
        InvalidParameterError,
        AuthenticationError,
        AuthorizationError,
        NotFoundError,
        ThrottlingError,
        ServerError,
    ):
        assert issubclass(cls, ApiError)
    for cls in (ApiError, TransportError, ConfigurationError):
        assert issubclass(cls, IceError)
        assert cls.__doc__ and cls.__doc__.startswith("Raised")


def test_errors_pickle_without_losing_fields() -> None:
    throttled = ThrottlingError(
        operation="ListLiveRecordJobs",
        status_code=400,
        code="Throttling.User",
        message="slow down",
        request_id="R",
        retry_after=1.5,
    )
    copy = pickle.loads(pickle.dumps(throttled))
    assert (type(copy), copy.retry_after, str(copy)) == (ThrottlingError, 1.5, str(throttled))
    unknown = OutcomeUnknownError(
        "ambiguous",
        operation="SubmitLiveRecordJob",
        cause=ReadTimeout("late", operation="SubmitLiveRecordJob"),
    )
    copy_unknown = pickle.loads(pickle.dumps(unknown))
    assert copy_unknown.operation == "SubmitLiveRecordJob" and isinstance(copy_unknown.cause, ReadTimeout)


def test_no_secret_in_reprs_errors_or_pickles(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    credentials = Credentials("LTAI5tExampleKeyId", SECRET, TOKEN)
    assert (
        SECRET not in repr(credentials) and TOKEN not in repr(credentials) and SECRET not in str(credentials)
    )
    with pytest.raises(TypeError):
        pickle.dumps(credentials)
    client = make_client(credentials=credentials)
    assert SECRET not in repr(client)
    with pytest.raises(TypeError):
        pickle.dumps(client)
    recorder.answers.extend(
        [
            error(400, "SignatureDoesNotMatch", "bad signature"),
            httpx.ReadTimeout("late"),
        ]
    )
    raised: list[IceError] = []
    calls: list[Callable[[], object]] = [
        lambda: client.get_live_record_job(job_id="j"),
        lambda: client.submit_live_record_job(
            name="n", stream_input=StreamInput("rtmp://h/s"), record_output=RecordOutput(), template_id="t"
        ),
    ]
    for call in calls:
        with pytest.raises(IceError) as caught:
            call()
        raised.append(caught.value)
    assert isinstance(raised[0], AuthenticationError) and isinstance(raised[1], OutcomeUnknownError)
    for exc in raised:
        for text in (str(exc), repr(exc), pickle.dumps(exc).decode("latin-1")):
            assert SECRET not in text and TOKEN not in text


def test_credential_providers_refuse_pickling() -> None:
    from pulumi_ims_record.ice import DefaultCredentialsChain, StaticCredentialsProvider

    for provider in (StaticCredentialsProvider(Credentials("id", SECRET)), DefaultCredentialsChain()):
        with pytest.raises(TypeError):
            pickle.dumps(provider)
