"""Shared fixtures of the ICE client tests: an isolated environment, a recording MockTransport, fake time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_ims_record.ice import Credentials, IceClient

TEST_CREDENTIALS = Credentials("YourAccessKeyId", "YourAccessKeySecret")

# Every variable any part of the client reads; cleared for each test so the developer's shell cannot leak in.
CLIENT_ENV_VARS = (
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_KEY",
    "ALICLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_PROFILE",
    "ALIBABA_CLOUD_CONFIG_FILE",
    "ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
    "ALIBABA_CLOUD_REGION_ID",
    "ALIBABA_CLOUD_REGION",
    "ALICLOUD_REGION",
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME",
    "ALIBABA_CLOUD_STS_REGION",
    "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED",
    "ALIBABA_CLOUD_ECS_METADATA",
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
    "ALICLOUD_ECS_ROLE_NAME",
)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No client variable set and an empty temporary HOME; returns that HOME."""
    for name in CLIENT_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def write_profile_file(home: Path, document: dict[str, Any]) -> Path:
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """A MockTransport handler that records every request and answers from a queue (or a default)."""

    answers: list[httpx.Response | Exception | Handler] = field(default_factory=list)
    default: httpx.Response | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.answers:
            answer = self.answers.pop(0)
        elif self.default is not None:
            answer = self.default
        else:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def actions(self) -> list[str]:
        return [r.headers.get("x-acs-action", "") for r in self.requests]


def ok(body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


def error(
    status: int, code: str, message: str = "msg", request_id: str = "REQ-1", **headers: str
) -> httpx.Response:
    return httpx.Response(
        status,
        json={"RequestId": request_id, "Code": code, "Message": message, "HostId": "ice"},
        headers=headers,
    )


@dataclass
class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is called; records the sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_client(recorder: Recorder, fake_time: FakeTime) -> Iterator[Callable[..., IceClient]]:
    """Build clients on the recorder with fake time; every client is closed after the test."""
    clients: list[IceClient] = []

    def build(**overrides: Any) -> IceClient:
        options: dict[str, Any] = {
            "region": "cn-shanghai",
            "credentials": TEST_CREDENTIALS,
            "transport": recorder.transport,
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "jitter": lambda: 1.0,
        }
        options.update(overrides)
        client = IceClient(**options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
