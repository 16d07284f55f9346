"""Providers configured against a local IMS, exactly as the engine would: ``configure(ConfigureRequest(...))``
with stack config, then the methods called directly with plain dicts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_ims_record.provider import LiveRecordJobProvider, LiveRecordTemplateProvider
from tests.conftest import LOCAL_ACCESS_KEY_ID, LOCAL_ACCESS_KEY_SECRET, LocalIms

P = TypeVar("P", LiveRecordJobProvider, LiveRecordTemplateProvider)

CREDENTIAL_ENV_VARS = (
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_KEY",
    "ALICLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_ECS_METADATA",
    "ALICLOUD_ECS_ROLE_NAME",
    "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_PROFILE",
    "ALIBABA_CLOUD_REGION_ID",
    "ALIBABA_CLOUD_REGION",
    "ALICLOUD_REGION",
    "ALIBABA_CLOUD_ICE_ENDPOINT",
)

HLS_FORMAT = {
    "format": "m3u8",
    "oss_object_prefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    "slice_oss_object_prefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
    "slice_duration": 30,
}


@pytest.fixture(autouse=True)
def clean_credentials_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No ambient credentials, region or aliyun profile: every setting comes from the test."""
    for name in CREDENTIAL_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_CONFIG_FILE", str(tmp_path / "no-aliyun-config.json"))


def failure_pairs(failures: Any) -> list[tuple[str, str]]:
    """``(path, rule)`` of each check failure. The engine gets each as the reason ``path: rule`` with no
    property (a property is shown with the top-level input of that name: ``{<nil>}`` for a nested path)."""
    pairs = []
    for failure in failures or []:
        assert failure.property == "", (failure.property, failure.reason)
        path, separator, rule = failure.reason.partition(": ")
        assert separator, failure.reason
        pairs.append((path, rule))
    return pairs


def local_config(server: LocalIms, **extra: str) -> dict[str, str]:
    return {
        "ims-record:endpoint": server.endpoint,
        "alicloud:accessKey": LOCAL_ACCESS_KEY_ID,
        "alicloud:secretKey": LOCAL_ACCESS_KEY_SECRET,
        **extra,
    }


def configured(provider: P, config: dict[str, str]) -> P:
    provider.configure(ConfigureRequest(Config(config, "proj")))
    return provider


@pytest.fixture
def make_provider(local_ims: LocalIms) -> Iterator[Callable[..., Any]]:
    """``make_provider(LiveRecordJobProvider)`` → an instance configured against this test's local IMS."""
    made: list[Any] = []

    def make(provider_type: type[P], **config: str) -> P:
        provider = configured(provider_type(), local_config(local_ims, **config))
        made.append(provider)
        return provider

    yield make
    for provider in made:
        if provider._client is not None:
            provider._client.close()


@pytest.fixture
def template_provider(make_provider: Callable[..., Any]) -> LiveRecordTemplateProvider:
    provider: LiveRecordTemplateProvider = make_provider(LiveRecordTemplateProvider)
    return provider


@pytest.fixture
def job_provider(make_provider: Callable[..., Any]) -> LiveRecordJobProvider:
    provider: LiveRecordJobProvider = make_provider(LiveRecordJobProvider)
    provider.poll_interval = 0.1
    provider.reconcile_seconds = 2.0
    return provider


def checked(provider: Any, news: dict[str, Any]) -> dict[str, Any]:
    """``check`` that must pass; returns the normalised inputs."""
    result = provider.check({}, news)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    inputs: dict[str, Any] = result.inputs
    return inputs


@pytest.fixture
def template_id(template_provider: LiveRecordTemplateProvider) -> str:
    """A custom template created through the provider."""
    inputs = checked(template_provider, {"name": "fixture-hls", "record_formats": [dict(HLS_FORMAT)]})
    template_id: str = template_provider.create(inputs).id
    return template_id


def job_inputs(template_id: str, **overrides: Any) -> dict[str, Any]:
    news: dict[str, Any] = {
        "name": "stage a",
        "stream_input": {"url": "rtmp://127.0.0.1:1935/live/stage-a"},
        "record_output": {"bucket": "recordings", "endpoint": "oss-cn-shanghai.aliyuncs.com"},
        "template_id": template_id,
    }
    news.update(overrides)
    return news
