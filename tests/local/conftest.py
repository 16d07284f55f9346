"""Fixtures for the local IMS server tests: an in-process server with a fake recorder, official SDK clients.

The fake recorder records what the backend asked of it and lets a test play the recorder's part
(``on_status``, ``on_file``, ``on_gave_up``); real ffmpeg recording is covered by the recording tests.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from alibabacloud_ice20201109 import models as ice_models
from alibabacloud_ice20201109.client import Client as SdkClient
from alibabacloud_tea_openapi.utils_models import Config

from pulumi_ims_record.local import LocalIms, ServerConfig
from pulumi_ims_record.local.auth import AccessKey
from pulumi_ims_record.local.models import Backend
from pulumi_ims_record.local.recorder import RecordingSpec, Waiting

DEFAULT_KEY_ID = "ims-local-key"
DEFAULT_SECRET = "ims-local-secret"
STS_KEY = AccessKey("STS.test-key", "sts-secret", "sts-token-123")

M3U8_FORMAT = {
    "Format": "m3u8",
    "OssObjectPrefix": "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
    "SliceOssObjectPrefix": "record/{JobId}/{UnixTimestamp}_{Sequence}",
    "SliceDuration": 10,
    "CycleDuration": 60,
}


@dataclass
class FakeRecorder:
    """Implements the Recorder interface; remembers calls so tests can assert what the backend did."""

    events: Backend
    started: list[RecordingSpec] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    stop_all_calls: int = 0
    reasons: dict[str, Waiting] = field(default_factory=dict)  # what waiting() answers, set by a test
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, spec: RecordingSpec) -> None:
        with self.lock:
            self.started.append(spec)

    def stop(self, job_id: str) -> None:
        with self.lock:
            self.stopped.append(job_id)

    def stop_all(self) -> None:
        with self.lock:
            self.stop_all_calls += 1

    def is_recording(self, job_id: str) -> bool:
        with self.lock:
            return job_id in {spec.job_id for spec in self.started} and job_id not in self.stopped

    def waiting(self, job_id: str) -> Waiting | None:
        with self.lock:
            return self.reasons.get(job_id)

    def started_ids(self) -> list[str]:
        with self.lock:
            return [spec.job_id for spec in self.started]


@dataclass
class RunningIms:
    ims: LocalIms
    recorder: FakeRecorder

    @property
    def port(self) -> int:
        return self.ims.port

    @property
    def backend(self) -> Backend:
        return self.ims.backend


def start_in_process(data_dir: Path, **config: Any) -> RunningIms:
    recorders: list[FakeRecorder] = []

    def factory(backend: Backend) -> FakeRecorder:
        recorder = FakeRecorder(backend)
        recorders.append(recorder)
        return recorder

    ims = LocalIms(ServerConfig(data_dir=data_dir, **config), recorder_factory=factory)
    ims.start()
    return RunningIms(ims, recorders[0])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningIms]:
    """An in-process local IMS (API + admin) with a fake recorder, the default key and one STS key."""
    running = start_in_process(
        tmp_path / "ims",
        access_keys=[AccessKey(DEFAULT_KEY_ID, DEFAULT_SECRET), STS_KEY],
    )
    yield running
    running.ims.stop()


def sdk_client(
    port: int,
    *,
    key_id: str = DEFAULT_KEY_ID,
    secret: str = DEFAULT_SECRET,
    token: str | None = None,
    v2: bool = False,
) -> SdkClient:
    """The official SDK, unchanged, pointed at the local IMS over plain HTTP."""
    config = Config(
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=token,
        endpoint=f"127.0.0.1:{port}",
        protocol="http",
        read_timeout=30000,
        connect_timeout=5000,
    )
    if v2:
        config.signature_algorithm = "v2"
    return SdkClient(config)


def sdk_record_formats(
    *entries: dict[str, Any],
) -> list[ice_models.CreateLiveRecordTemplateRequestRecordFormat]:
    return [
        ice_models.CreateLiveRecordTemplateRequestRecordFormat(
            format=entry.get("Format"),
            oss_object_prefix=entry.get("OssObjectPrefix"),
            slice_oss_object_prefix=entry.get("SliceOssObjectPrefix"),
            slice_duration=entry.get("SliceDuration"),
            cycle_duration=entry.get("CycleDuration"),
        )
        for entry in entries
    ]


# --- a hand-made signer, so tests can tamper with every part of a request ---


@dataclass
class SignedCall:
    """One V3-signed request; build it, optionally tamper with it, send it with ``send``."""

    port: int
    action: str
    method: str = "GET"
    query: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_type: str | None = None
    key_id: str = DEFAULT_KEY_ID
    secret: str = DEFAULT_SECRET
    token: str | None = None
    date: str | None = None
    nonce: str | None = None
    version: str = "2020-11-09"
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        from datetime import datetime, timezone

        from pulumi_ims_record.api import signing

        headers = {
            "host": f"127.0.0.1:{self.port}",
            "x-acs-action": self.action,
            "x-acs-version": self.version,
            "x-acs-date": self.date or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": uuid.uuid4().hex if self.nonce is None else self.nonce,
            "x-acs-content-sha256": signing.sha256_hex(self.body),
            **self.extra_headers,
        }
        if not headers["x-acs-signature-nonce"]:
            del headers["x-acs-signature-nonce"]  # nonce="" leaves it out
        if self.content_type:
            headers["content-type"] = self.content_type
        if self.token:
            headers["x-acs-security-token"] = self.token
        canonical = signing.v3_canonical_request(
            method=self.method,
            query=self.query,
            headers=headers,
            signed_headers=list(headers),
            payload_hash=headers["x-acs-content-sha256"],
        )
        signature = signing.v3_signature(self.secret, canonical)
        headers["authorization"] = signing.v3_authorization(self.key_id, list(headers), signature)
        return headers

    def send(self, headers: dict[str, str] | None = None, body: bytes | None = None) -> httpx.Response:
        with httpx.Client(timeout=30.0) as client:
            return client.request(
                self.method,
                f"http://127.0.0.1:{self.port}/",
                params=self.query,
                headers=headers if headers is not None else self.headers(),
                content=self.body if body is None else body,
            )


def form_body(params: dict[str, str]) -> bytes:
    return urlencode(params).encode()


def json_text(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def this_machines_address() -> str | None:
    """An address of this machine that is not loopback (the one its default route would use), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # UDP: picks a route, sends nothing
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


@pytest.fixture
def seen_from_outside(tmp_path: Path) -> Iterator[tuple[RunningIms, str]]:
    """An in-process local IMS listening on every interface, and this machine's non-loopback address to
    reach it by (as another machine would); skipped where the machine has no such address."""
    address = this_machines_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    running = start_in_process(tmp_path / "ims-public", host="0.0.0.0")
    yield running, address
    running.ims.stop()
