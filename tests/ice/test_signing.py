"""Signing: the official V3/V2 vectors, the self-derived ICE vectors (ims-api.md §5.1), and a property-based
cross-check of whole requests against the official signer in ``alibabacloud_tea_openapi``."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from alibabacloud_tea_openapi.utils import Utils as SdkUtils
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_ims_record.api.signing import (
    sha256_hex,
    v2_signature,
    v2_string_to_sign,
    v3_canonical_request,
    v3_sign_headers,
    v3_signature,
)
from pulumi_ims_record.ice import Credentials
from pulumi_ims_record.ice._endpoints import Endpoint
from pulumi_ims_record.ice._wire import build_request

EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()

AK, SK = "YourAccessKeyId", "YourAccessKeySecret"
DATE, NONCE = "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"
DOC_SIGNED = [
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
]


def doc_headers(
    host: str, action: str, version: str, payload_hash: str = EMPTY_BODY_SHA256
) -> dict[str, str]:
    return {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": DATE,
        "x-acs-signature-nonce": NONCE,
        "x-acs-content-sha256": payload_hash,
    }


def test_official_v3_vector() -> None:
    canonical = v3_canonical_request(
        method="POST",
        query={"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"},
        headers=doc_headers("ecs.cn-shanghai.aliyuncs.com", "RunInstances", "2014-05-26"),
        signed_headers=DOC_SIGNED,
        payload_hash=EMPTY_BODY_SHA256,
    )
    assert (
        sha256_hex(canonical.encode()) == "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )
    assert v3_signature(SK, canonical) == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"


def test_official_v2_vector() -> None:
    params = {
        "Timestamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }
    assert v2_signature("testsecret", v2_string_to_sign("GET", params)) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert v2_signature("testsecret", v2_string_to_sign("POST", params)) == "MxbnVAM4w6sft9xjVpe/GCKueuk="


SUBMIT_BODY = (
    b"Name=live+stream+record+1&RecordOutput=%7B%22Bucket%22%3A%22imsbucket1%22%2C%22Endpoint%22%3A%22oss-cn-"
    b"shanghai.aliyuncs.com%22%2C%22Type%22%3A%22oss%22%7D&StreamInput=%7B%22Type%22%3A%22rtmp%22%2C%22Url%22%3A"
    b"%22rtmp%3A%2F%2Fexample.com%2Flive%2Fstream1%22%7D&TemplateId=69e1f9fe-1e97-11ed-ba64-0c42a1b73d66"
)


@pytest.mark.parametrize(
    ("method", "action", "query", "body", "content_type", "hashed_canonical", "signature"),
    [
        (
            "GET",
            "GetLiveRecordJob",
            [("JobId", "ab0e3e76-1e9d-11ed-ba64-0c42a1b73d66")],
            b"",
            None,
            "72cb6818f8d85510a28256bf905c18ddd670ddcc90442a43faa888ed6065c783",
            "09ac781376c608517f1c563d25b51531d0d31d009aadd9d9fbbfb1837b8264da",
        ),
        (
            "POST",
            "SubmitLiveRecordJob",
            [],
            SUBMIT_BODY,
            "application/x-www-form-urlencoded",
            "99a6497fdbcb5f6cfa491057a616344f4c0ef896a83252fb60c31667db79cc34",
            "3744b7dc1eb621cf1468da06ce381f14987c3a4336b79861eafff42462b901ee",
        ),
        (
            "GET",
            "ListLiveRecordTemplates",
            [("TemplateIds.1", "t1"), ("TemplateIds.2", "t 2*~"), ("Type", "custom")],
            b"",
            None,
            "cde5227953750480af23922cceafd520369ac2b24cdc917d5d58b328f52eb410",
            "cb22ab070f3580839b8cc6f36298fc5a33407b5c4c46445bda70e6195a8c23b8",
        ),
    ],
)
def test_self_derived_ice_vectors(
    method: str,
    action: str,
    query: list[tuple[str, str]],
    body: bytes,
    content_type: str | None,
    hashed_canonical: str,
    signature: str,
) -> None:
    payload_hash = sha256_hex(body)
    headers = doc_headers("ice.cn-shanghai.aliyuncs.com", action, "2020-11-09", payload_hash)
    if content_type:
        headers["content-type"] = content_type
    canonical = v3_canonical_request(
        method=method, query=query, headers=headers, signed_headers=list(headers), payload_hash=payload_hash
    )
    assert sha256_hex(canonical.encode()) == hashed_canonical
    assert v3_signature(SK, canonical) == signature
    assert v3_sign_headers(
        method=method, query=query, headers=headers, access_key_id=AK, access_key_secret=SK
    ) == (f"ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={';'.join(sorted(headers))},Signature={signature}")


def test_self_derived_sts_vector() -> None:
    headers = doc_headers("ice.cn-shanghai.aliyuncs.com", "GetLiveRecordJob", "2020-11-09")
    headers["x-acs-security-token"] = "STS.exampleToken"
    headers["x-acs-accesskey-id"] = AK
    authorization = v3_sign_headers(
        method="GET",
        query=[("JobId", "ab0e3e76-1e9d-11ed-ba64-0c42a1b73d66")],
        headers=headers,
        access_key_id=AK,
        access_key_secret=SK,
    )
    assert authorization.endswith(
        "Signature=33228cab09edca5abdffb50102445fcf2ee72762f087af1a2f1ad9cdb486bb67"
    )


def test_submit_body_built_by_the_client_matches_the_vector_payload() -> None:
    # The body the client builds for the documented SubmitLiveRecordJob example has the vector's payload.
    from pulumi_ims_record.ice._wire import json_field

    form = [
        ("Name", "live stream record 1"),
        (
            "RecordOutput",
            json_field({"Type": "oss", "Bucket": "imsbucket1", "Endpoint": "oss-cn-shanghai.aliyuncs.com"}),
        ),
        ("StreamInput", json_field({"Url": "rtmp://example.com/live/stream1", "Type": "rtmp"})),
        ("TemplateId", "69e1f9fe-1e97-11ed-ba64-0c42a1b73d66"),
    ]
    wire = build_request(
        endpoint=Endpoint("https", "ice.cn-shanghai.aliyuncs.com"),
        action="SubmitLiveRecordJob",
        method="POST",
        query=[],
        form=form,
        credentials=Credentials(AK, SK),
        user_agent="ua",
    )
    assert wire.body == SUBMIT_BODY
    assert (
        wire.headers["x-acs-content-sha256"]
        == "475222d723ee9a934ead8c42a47328f6484e3cb873622caf8f1d67a8fa1521de"
    )


# --- property-based cross-check against the official signer -----------------------------------------------

# Values: any text without lone surrogates, biased towards the characters encodings disagree on.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(" *~+/%&=?#:;,'\"!$()[]{}@^`|\\<>.-_")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=24,
)
# Names: ICE's parameter names are ASCII words, maybe with a ``.N`` list suffix (the SDK never encodes names).
param_name = st.from_regex(r"[A-Z][A-Za-z]{0,11}(\.[1-9][0-9]?)?", fullmatch=True)
params_strategy = st.dictionaries(param_name, tricky_text, max_size=8)


def sdk_authorization(method: str, query: dict[str, str], headers: dict[str, str]) -> str:
    request = SimpleNamespace(method=method, pathname="/", query=query, headers=headers)
    return str(
        SdkUtils.get_authorization(request, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], AK, SK)
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    query=params_strategy,
    form=st.one_of(st.none(), params_strategy),
    token=st.one_of(st.none(), st.text(alphabet="ABCDEFabcdef0123456789+/=.", min_size=1, max_size=40)),
    host=st.sampled_from(
        ["ice.cn-shanghai.aliyuncs.com", "ice-vpc.cn-beijing.aliyuncs.com", "127.0.0.1:8080"]
    ),
)
def test_whole_request_matches_the_official_signer(
    query: dict[str, str], form: dict[str, str] | None, token: str | None, host: str
) -> None:
    method = "POST" if form is not None else "GET"
    wire = build_request(
        endpoint=Endpoint("http" if host.startswith("127.") else "https", host),
        action="ListLiveRecordTemplates",
        method=method,
        query=list(query.items()),
        form=None if form is None else list(form.items()),
        credentials=Credentials(AK, SK, token),
        user_agent="pulumi-ims-record/test",
        now=lambda: 1698315752.0,
        nonce=lambda: NONCE,
    )
    # What goes over the wire decodes back to exactly the parameters given ...
    sent_query = dict(parse_qsl(urlsplit(wire.url).query, keep_blank_values=True))
    assert sent_query == query
    if form is not None:
        assert dict(parse_qsl(wire.body.decode(), keep_blank_values=True)) == form
        # ... the body is byte for byte the SDK's form encoding ...
        assert wire.body == SdkUtils.to_form(form).encode()
    else:
        assert wire.body == b""
    # ... and the SDK's signer, fed the parsed query and the headers sent, produces the same Authorization.
    headers = {name: value for name, value in wire.headers.items() if name != "authorization"}
    assert wire.headers["authorization"] == sdk_authorization(method, sent_query, headers)
    assert ("x-acs-security-token" in headers) == bool(token)
