"""Provider settings come from ``configure()`` and the environment at run time, in the documented order;
the provider module stays free of ``pulumi_alicloud``; a pickled provider carries nothing and works again."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from typing import Any

import dill
import pytest
from pulumi.dynamic import Config

from pulumi_ims_record.provider import (
    LiveRecordJobProvider,
    LiveRecordTemplateProvider,
    ProviderError,
    ProviderSettings,
    _base,
)
from pulumi_ims_record.provider._settings import NATIVE_DOOR
from tests.conftest import REPO_ROOT, LocalIms

from .conftest import HLS_FORMAT, checked, configured, local_config


def settings(values: dict[str, str], environ: dict[str, str] | None = None) -> ProviderSettings:
    return ProviderSettings.from_config(Config(values, "proj"), environ or {})


def test_region_prefers_ims_record_config_then_alicloud_config() -> None:
    assert (
        settings({"ims-record:region": "cn-beijing", "alicloud:region": "cn-shanghai"}).region == "cn-beijing"
    )
    assert settings({"alicloud:region": "cn-shanghai"}).region == "cn-shanghai"
    assert settings({}).region is None  # left to the client: environment, then the aliyun profile


def test_endpoint_prefers_config_then_the_environment() -> None:
    env = {"ALIBABA_CLOUD_ICE_ENDPOINT": "http://127.0.0.1:2"}
    assert settings({"ims-record:endpoint": "http://127.0.0.1:1"}, env).endpoint == "http://127.0.0.1:1"
    assert settings({}, env).endpoint == "http://127.0.0.1:2"
    assert settings({}).endpoint is None


def test_config_credentials_need_both_keys_and_never_show_in_repr() -> None:
    assert settings({"alicloud:accessKey": "id-only"}).config_credentials is None
    full = settings(
        {"alicloud:accessKey": "AK", "alicloud:secretKey": "SK-secret", "alicloud:securityToken": "TOK"}
    )
    assert full.config_credentials is not None and full.config_credentials.security_token == "TOK"
    assert "SK-secret" not in repr(full) and "TOK" not in repr(full)


def test_the_environment_chain_comes_before_config_credentials(
    local_ims: LocalIms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "wrong-key")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong-secret")
    provider = configured(LiveRecordTemplateProvider(), local_config(local_ims))
    inputs = checked(provider, {"name": "t", "record_formats": [dict(HLS_FORMAT)]})
    with pytest.raises(ProviderError, match="Code InvalidAccessKeyId") as caught:
        provider.create(inputs)
    assert "wrong-secret" not in str(caught.value)


def test_endpoint_from_the_environment_reaches_the_local_ims(
    local_ims: LocalIms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ICE_ENDPOINT", local_ims.endpoint)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "ims-local-key")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ims-local-secret")
    provider = LiveRecordTemplateProvider()  # never configured: environment only
    inputs = checked(provider, {"name": "t", "record_formats": [dict(HLS_FORMAT)]})
    assert provider.create(inputs).outs["type"] == "custom"


def test_no_region_and_no_endpoint_is_a_clear_error() -> None:
    provider = configured(LiveRecordJobProvider(), {})
    with pytest.raises(ProviderError, match="cannot set up the IMS client: no region") as caught:
        provider.client()
    # Said the way a Pulumi user sets it, not as the Python client's "pass region=...".
    assert "`pulumi config set alicloud:region cn-shanghai`" in str(caught.value)
    assert "region=..." not in str(caught.value)


def test_no_credentials_names_the_environment_the_stack_config_and_the_local_keys(
    local_ims: LocalIms,
) -> None:
    provider = configured(LiveRecordTemplateProvider(), {"ims-record:endpoint": local_ims.endpoint})
    inputs = checked(provider, {"name": "t", "record_formats": [dict(HLS_FORMAT)]})
    with pytest.raises(ProviderError, match="no credentials") as caught:
        provider.create(inputs)
    message = str(caught.value)
    for expected in (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "`pulumi config set --secret alicloud:secretKey <secret>`",
        "ims-local-key / ims-local-secret",
    ):
        assert expected in message, message
    assert "credentials=Credentials(" not in message


def test_a_local_endpoint_without_a_scheme_says_to_write_http() -> None:
    provider = configured(LiveRecordJobProvider(), {"ims-record:endpoint": "127.0.0.1:28787"})
    with pytest.raises(ProviderError) as caught:
        provider.client()
    assert "write http://127.0.0.1:28787" in str(caught.value)
    assert "set by the stack config ims-record:endpoint" in str(caught.value)


def test_an_endpoint_nobody_answers_on_names_where_it_was_set(
    local_ims: LocalIms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_base, "PROVIDER_MAX_RETRIES", 0)  # connection refused is retried; not for this test
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the socket is closed
    provider = configured(
        LiveRecordTemplateProvider(),
        local_config(local_ims, **{"ims-record:endpoint": f"http://127.0.0.1:{closed_port}"}),
    )
    inputs = checked(provider, {"name": "t", "record_formats": [dict(HLS_FORMAT)]})
    with pytest.raises(ProviderError, match="could not connect") as caught:
        provider.create(inputs)
    assert (
        f"is the IMS at http://127.0.0.1:{closed_port} running? The endpoint is set by the stack config "
        "ims-record:endpoint"
    ) in str(caught.value)


def test_a_pickled_provider_carries_nothing_and_works_after_unpickling(local_ims: LocalIms) -> None:
    original = configured(LiveRecordTemplateProvider(), local_config(local_ims))
    original.client()
    restored = dill.loads(dill.dumps(original, recurse=True))
    assert restored._settings is None and restored._client is None
    configured(restored, local_config(local_ims))
    inputs = checked(restored, {"name": "t", "record_formats": [dict(HLS_FORMAT)]})
    assert restored.create(inputs).id


def test_threads_share_one_lazily_created_client(local_ims: LocalIms) -> None:
    provider = configured(LiveRecordJobProvider(), local_config(local_ims))
    clients = []
    barrier = threading.Barrier(4)

    def grab() -> None:
        barrier.wait()
        clients.append(provider.client())

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(clients) == 4 and len({id(client) for client in clients}) == 1


def test_importing_the_provider_does_not_import_pulumi_alicloud() -> None:
    code = (
        "import sys, pulumi_ims_record.provider\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi_alicloud')\n"
        "assert not loaded, loaded\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_wrong_secret_says_to_check_the_secret_the_way_each_door_sets_it(local_ims: LocalIms) -> None:
    def create_error(provider: Any, config: dict[str, str]) -> str:
        configured(provider, config)
        inputs = checked(provider, {"name": "t", "record_formats": [dict(HLS_FORMAT)]})
        with pytest.raises(ProviderError) as caught:
            provider.create(inputs)
        return str(caught.value)

    wrong = {**local_config(local_ims), "alicloud:secretKey": "not-the-secret"}
    said = create_error(LiveRecordTemplateProvider(), wrong)
    assert "Code SignatureDoesNotMatch" in said, said
    assert "check that the AccessKey secret is the one that goes with the AccessKey id" in said, said
    assert "`pulumi config set --secret alicloud:secretKey <secret>`" in said, said
    assert "not-the-secret" not in said
    native_said = create_error(LiveRecordTemplateProvider(NATIVE_DOOR), wrong)
    assert "`pulumi config set --secret ims-record:secretKey <secret>`" in native_said, native_said
