"""Signature verification of the local IMS: V3 and V2, each failure with its documented code."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from alibabacloud_ice20201109 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from pulumi_ims_record.api import signing

from .conftest import (
    DEFAULT_KEY_ID,
    DEFAULT_SECRET,
    M3U8_FORMAT,
    RunningIms,
    SignedCall,
    form_body,
    sdk_client,
)


def utc(offset: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["Code"]


def test_a_correctly_signed_request_passes(server: RunningIms) -> None:
    response = SignedCall(
        server.port, "ListLiveRecordJobs", query=[("Keyword", "a b*c~"), ("PageSize", "5")]
    ).send()
    assert response.status_code == 200, response.text


def test_query_values_with_reserved_characters_verify_through_the_sdk(server: RunningIms) -> None:
    # The SDK sends "a+b%2Ac~"; the server must decode and re-encode as "a%20b%2Ac~" to verify.
    for v2 in (False, True):
        body = sdk_client(server.port, v2=v2).list_live_record_jobs(
            m.ListLiveRecordJobsRequest(keyword="a b*c~/é")
        )
        assert body.body.total_count == 0


def test_tampered_signature_is_signature_does_not_match(server: RunningIms) -> None:
    call = SignedCall(server.port, "ListLiveRecordJobs")
    headers = call.headers()
    last = headers["authorization"][-1]
    headers["authorization"] = headers["authorization"][:-1] + ("0" if last != "0" else "1")
    assert code_of(call.send(headers)) == (400, "SignatureDoesNotMatch")


def test_tampered_body_is_refused_by_the_content_hash(server: RunningIms) -> None:
    call = SignedCall(
        server.port,
        "CreateLiveRecordTemplate",
        method="POST",
        body=form_body({"Name": "original", "RecordFormat": "[]"}),
        content_type="application/x-www-form-urlencoded",
    )
    response = call.send(body=form_body({"Name": "tampered", "RecordFormat": "[]"}))
    assert code_of(response) == (400, "SignatureDoesNotMatch")
    assert "x-acs-content-sha256" in response.json()["Message"]


def test_tampered_query_is_signature_does_not_match(server: RunningIms) -> None:
    call = SignedCall(server.port, "GetLiveRecordJob", query=[("JobId", "a")])
    headers = call.headers()
    call.query = [("JobId", "b")]
    assert code_of(call.send(headers)) == (400, "SignatureDoesNotMatch")


def test_wrong_secret_through_the_sdk_is_signature_does_not_match(server: RunningIms) -> None:
    for v2 in (False, True):
        with pytest.raises(ClientException) as refused:
            sdk_client(server.port, secret="not-the-secret", v2=v2).list_live_record_jobs(
                m.ListLiveRecordJobsRequest()
            )
        assert (refused.value.status_code, refused.value.code) == (400, "SignatureDoesNotMatch")


@pytest.mark.parametrize("offset", [timedelta(minutes=-16), timedelta(minutes=16)])
def test_stale_or_future_date_is_expired(server: RunningIms, offset: timedelta) -> None:
    response = SignedCall(server.port, "ListLiveRecordJobs", date=utc(offset)).send()
    assert code_of(response) == (400, "InvalidTimeStamp.Expired")


def test_dates_within_fifteen_minutes_pass(server: RunningIms) -> None:
    for offset in (timedelta(minutes=-14), timedelta(minutes=14)):
        assert SignedCall(server.port, "ListLiveRecordJobs", date=utc(offset)).send().status_code == 200


def test_malformed_date_is_invalid_timestamp_format(server: RunningIms) -> None:
    response = SignedCall(server.port, "ListLiveRecordJobs", date="yesterday").send()
    assert code_of(response) == (400, "InvalidTimeStamp.Format")


def test_reused_nonce_is_refused_but_a_forged_request_does_not_burn_it(server: RunningIms) -> None:
    nonce = uuid.uuid4().hex
    forged = SignedCall(server.port, "ListLiveRecordJobs", nonce=nonce, secret="forged-secret")
    assert code_of(forged.send()) == (400, "SignatureDoesNotMatch")
    first = SignedCall(server.port, "ListLiveRecordJobs", nonce=nonce).send()
    assert first.status_code == 200
    replay = SignedCall(server.port, "ListLiveRecordJobs", nonce=nonce).send()
    assert code_of(replay) == (400, "SignatureNonceUsed")


def test_unknown_access_key_is_404_not_found(server: RunningIms) -> None:
    response = SignedCall(server.port, "ListLiveRecordJobs", key_id="nobody").send()
    assert code_of(response) == (404, "InvalidAccessKeyId.NotFound")
    for v2 in (False, True):
        with pytest.raises(ClientException) as refused:
            sdk_client(server.port, key_id="nobody", v2=v2).list_live_record_jobs(
                m.ListLiveRecordJobsRequest()
            )
        assert (refused.value.status_code, refused.value.code) == (404, "InvalidAccessKeyId.NotFound")


def test_missing_or_malformed_authorization_is_incomplete_signature(server: RunningIms) -> None:
    call = SignedCall(server.port, "ListLiveRecordJobs")
    headers = call.headers()
    del headers["authorization"]
    assert code_of(call.send(headers)) == (400, "IncompleteSignature")
    headers = call.headers()
    headers["authorization"] = "ACS3-HMAC-SHA256 garbage"
    assert code_of(call.send(headers)) == (400, "IncompleteSignature")


def test_unsigned_acs_header_is_incomplete_signature(server: RunningIms) -> None:
    call = SignedCall(server.port, "ListLiveRecordJobs")
    headers = call.headers()
    headers["x-acs-extra"] = "smuggled"
    response = call.send(headers)
    assert code_of(response) == (400, "IncompleteSignature")
    assert "x-acs-extra" in response.json()["Message"]


def test_missing_nonce_is_missing_parameter(server: RunningIms) -> None:
    call = SignedCall(server.port, "ListLiveRecordJobs", nonce="")
    response = call.send()
    assert code_of(response) == (400, "MissingParameter")
    assert "x-acs-signature-nonce" in response.json()["Message"]


def v2_common() -> dict[str, str]:
    """The parameters every V2 request signs besides its own (a fresh nonce and the current time)."""
    return {
        "Format": "json",
        "Version": "2020-11-09",
        "AccessKeyId": DEFAULT_KEY_ID,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": utc(),
    }


def v2_call(
    port: int, params: dict[str, str], *, secret: str = DEFAULT_SECRET, headers: dict[str, str] | None = None
) -> httpx.Response:
    signed = {**v2_common(), **params}
    signed["Signature"] = signing.v2_signature(secret, signing.v2_string_to_sign("GET", signed))
    return httpx.get(f"http://127.0.0.1:{port}/", params=signed, headers=headers, timeout=30.0)


def test_v2_signature_checks(server: RunningIms) -> None:
    assert v2_call(server.port, {"Action": "ListLiveRecordJobs"}).status_code == 200
    assert code_of(v2_call(server.port, {"Action": "ListLiveRecordJobs"}, secret="bad")) == (
        400,
        "SignatureDoesNotMatch",
    )
    stale = v2_call(server.port, {"Action": "ListLiveRecordJobs", "Timestamp": utc(timedelta(hours=-1))})
    assert code_of(stale) == (400, "InvalidTimeStamp.Expired")
    for odd in (utc().lower(), utc().replace("2", "\uff12")):  # lower-case t/z, full-width digits
        answer = v2_call(server.port, {"Action": "ListLiveRecordJobs", "Timestamp": odd})
        assert code_of(answer) == (400, "InvalidTimeStamp.Format"), odd
    nonce = uuid.uuid4().hex
    assert v2_call(server.port, {"Action": "ListLiveRecordJobs", "SignatureNonce": nonce}).status_code == 200
    replay = v2_call(server.port, {"Action": "ListLiveRecordJobs", "SignatureNonce": nonce})
    assert code_of(replay) == (400, "SignatureNonceUsed")
    method = v2_call(server.port, {"Action": "ListLiveRecordJobs", "SignatureMethod": "HMAC-MD5"})
    assert code_of(method) == (400, "InvalidSignatureMethod")


def test_unsigned_request_is_incomplete_signature(server: RunningIms) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{server.port}/", params={"Action": "ListLiveRecordJobs", "Version": "2020-11-09"}
    )
    assert code_of(response) == (400, "IncompleteSignature")


def test_no_error_ever_echoes_a_secret_or_token(server: RunningIms) -> None:
    responses = [
        SignedCall(server.port, "ListLiveRecordJobs", secret="wrong").send(),
        SignedCall(
            server.port, "ListLiveRecordJobs", key_id="STS.test-key", secret="sts-secret", token="bad"
        ).send(),
        v2_call(server.port, {"Action": "ListLiveRecordJobs"}, secret="wrong"),
    ]
    for response in responses:
        assert response.status_code >= 400
        for secret in (DEFAULT_SECRET, "sts-secret", "sts-token-123", "wrong"):
            assert secret not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"x-acs-action": "DeleteLiveRecordTemplate"},
        {"x-acs-version": "2017-01-01"},
        {"x-acs-action": "DeleteLiveRecordTemplate", "x-acs-version": "2020-11-09"},
    ],
    ids=["action", "version", "action-with-right-version"],
)
def test_v2_runs_the_signed_action_and_refuses_headers_that_disagree(
    server: RunningIms, headers: dict[str, str]
) -> None:
    template_id = server.backend.create_template("kept", [M3U8_FORMAT]).template_id
    get = {"Action": "GetLiveRecordTemplate", "TemplateId": template_id}
    answer = v2_call(server.port, get, headers=headers)
    assert code_of(answer) == (400, "InvalidParameter")
    assert "V2-signed parameter" in answer.json()["Message"]
    assert server.backend.get_template(template_id).name == "kept"
    # Headers that agree with the signed parameters are harmless.
    agreeing = {"x-acs-action": "GetLiveRecordTemplate", "x-acs-version": "2020-11-09"}
    assert v2_call(server.port, get, headers=agreeing).json()["RecordTemplate"]["Name"] == "kept"


def test_v2_routes_on_the_first_signed_action_like_every_parameter(server: RunningIms) -> None:
    template_id = server.backend.create_template("kept", [M3U8_FORMAT]).template_id
    signed = {**v2_common(), "TemplateId": template_id}
    pairs = [("Action", "GetLiveRecordTemplate"), *signed.items(), ("Action", "DeleteLiveRecordTemplate")]
    signature = signing.v2_signature(DEFAULT_SECRET, signing.v2_string_to_sign("GET", pairs))
    answer = httpx.get(f"http://127.0.0.1:{server.port}/", params=[*pairs, ("Signature", signature)])
    assert answer.status_code == 200, answer.text
    assert answer.json()["RecordTemplate"]["Name"] == "kept"
    assert server.backend.get_template(template_id).name == "kept"
