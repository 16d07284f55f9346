"""Endpoints: the regional host, its VPC twin, explicit overrides, and no silent central-host fallback."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pulumi_ims_record.ice import ConfigurationError, Credentials, IceClient, regional_host
from pulumi_ims_record.ice._endpoints import resolve_endpoint

from .conftest import Recorder, ok


@pytest.mark.parametrize(
    "region",
    [
        "cn-shanghai",
        "cn-beijing",
        "cn-hangzhou",
        "cn-shenzhen",
        "ap-southeast-1",
        "us-west-1",
        "eu-central-1",
    ],
)
def test_every_region_uses_its_own_host(region: str) -> None:
    # The SDK's endpoint map sends most of these to ice.aliyuncs.com; the client never does.
    assert resolve_endpoint(region=region, endpoint=None).base_url == f"https://ice.{region}.aliyuncs.com"
    assert resolve_endpoint(region=region, endpoint=None, vpc=True).host == f"ice-vpc.{region}.aliyuncs.com"


@pytest.mark.parametrize(
    ("given", "base_url", "host"),
    [
        (
            "ice.cn-shanghai.aliyuncs.com",
            "https://ice.cn-shanghai.aliyuncs.com",
            "ice.cn-shanghai.aliyuncs.com",
        ),
        (
            "https://ice.cn-shanghai.aliyuncs.com/",
            "https://ice.cn-shanghai.aliyuncs.com",
            "ice.cn-shanghai.aliyuncs.com",
        ),
        (
            "https://ice.cn-shanghai.aliyuncs.com:443",
            "https://ice.cn-shanghai.aliyuncs.com",
            "ice.cn-shanghai.aliyuncs.com",
        ),
        ("https://gateway.example.com:8443", "https://gateway.example.com:8443", "gateway.example.com:8443"),
        ("http://127.0.0.1:18080", "http://127.0.0.1:18080", "127.0.0.1:18080"),
        ("http://localhost:9000", "http://localhost:9000", "localhost:9000"),
        ("  HTTP://127.0.0.1:80  ", "http://127.0.0.1", "127.0.0.1"),
    ],
)
def test_explicit_endpoints(given: str, base_url: str, host: str) -> None:
    endpoint = resolve_endpoint(region="cn-beijing", endpoint=given)
    assert (endpoint.base_url, endpoint.host) == (base_url, host)


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("http://ice.cn-shanghai.aliyuncs.com", "loopback"),
        ("ftp://127.0.0.1", "scheme"),
        ("https://host/path", "no path"),
        ("https://user:pw@host", "no path"),
        ("https://host?x=1", "no path"),
        ("https://bad host", "not a valid"),
        ("https://[::1", "not a valid"),  # urlsplit raises ValueError: still a ConfigurationError
        ("http://127.0.0.1:99999", "not a valid"),
        ("127.0.0.1:abc", "not a valid"),
    ],
)
def test_bad_endpoints_are_refused(given: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        resolve_endpoint(region=None, endpoint=given)


@pytest.mark.parametrize("region", ["CN-SHANGHAI", "cn_shanghai", "evil.com/x", "cn-shanghai.attacker", ""])
def test_malformed_regions_are_refused(region: str) -> None:
    with pytest.raises(ConfigurationError):
        regional_host(region) if region else resolve_endpoint(region=region, endpoint=None)


def test_requests_go_to_and_sign_the_chosen_host(
    make_client: Callable[..., IceClient], recorder: Recorder
) -> None:
    recorder.default = ok({"RequestId": "R"})
    make_client(region="cn-beijing", vpc=True).delete_live_record_template(template_id="t")
    make_client(endpoint="http://127.0.0.1:18080").delete_live_record_template(template_id="t")
    [vpc, local] = recorder.requests
    assert str(vpc.url) == "https://ice-vpc.cn-beijing.aliyuncs.com/?TemplateId=t"
    assert vpc.headers["host"] == "ice-vpc.cn-beijing.aliyuncs.com"
    assert str(local.url) == "http://127.0.0.1:18080/?TemplateId=t"
    assert local.headers["host"] == "127.0.0.1:18080"


def test_bad_credentials_argument() -> None:
    with pytest.raises(ConfigurationError, match="credentials must be"):
        IceClient(region="cn-shanghai", credentials=("id", "secret"))  # type: ignore[arg-type]


def test_empty_credentials_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="non-empty"):
        Credentials("", "secret")
