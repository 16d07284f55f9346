"""The credentials chain and the region order, each tested with an isolated environment and a temporary HOME.

STS and the ECS metadata service are only ever reached through httpx.MockTransport.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from pulumi_ims_record.api.signing import v2_signature, v2_string_to_sign
from pulumi_ims_record.ice import (
    ConfigurationError,
    Credentials,
    CredentialsError,
    DefaultCredentialsChain,
    EcsRamRoleCredentialsProvider,
    EnvironmentCredentialsProvider,
    IceClient,
    OidcRoleCredentialsProvider,
    RamRoleArnCredentialsProvider,
    StaticCredentialsProvider,
)
from pulumi_ims_record.ice._config import resolve_region

from .conftest import Recorder, ok, write_profile_file

EXPIRY = "2030-01-01T00:00:00Z"
EXPIRY_EPOCH = 1893456000.0


def sts_answer(key_id: str = "STS.assumed", expiration: str = EXPIRY) -> httpx.Response:
    return ok(
        {
            "RequestId": "S",
            "Credentials": {
                "AccessKeyId": key_id,
                "AccessKeySecret": "assumed-secret",
                "SecurityToken": "assumed-token",
                "Expiration": expiration,
            },
        }
    )


def query(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))


# --- environment --------------------------------------------------------------------------------------------


def test_nothing_configured_names_every_way(isolated_env: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        DefaultCredentialsChain().get_credentials()
    for hint in (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALICLOUD_ACCESS_KEY",
        "config.json",
        "ALIBABA_CLOUD_ROLE_ARN",
        "ALIBABA_CLOUD_ECS_METADATA",
        "credentials=",
    ):
        assert hint in str(caught.value)


def test_alibaba_cloud_names_win_over_alicloud_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "tf-id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "tf-secret")
    assert DefaultCredentialsChain().get_credentials() == Credentials("tf-id", "tf-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "sdk-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sdk-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "sdk-token")
    assert DefaultCredentialsChain().get_credentials() == Credentials("sdk-id", "sdk-secret", "sdk-token")


def test_alicloud_security_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "secret")
    monkeypatch.setenv("ALICLOUD_SECURITY_TOKEN", "tok")
    assert EnvironmentCredentialsProvider().get_credentials().security_token == "tok"


def test_environment_is_read_at_call_time_not_import_time(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = EnvironmentCredentialsProvider()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "late-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "late-secret")
    assert provider.get_credentials().access_key_id == "late-id"


def test_half_a_key_pair_is_an_error_naming_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id-only")
    with pytest.raises(ConfigurationError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET is not"):
        DefaultCredentialsChain().get_credentials()


def test_environment_wins_over_the_profile_file(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    write_profile_file(
        isolated_env,
        {
            "current": "default",
            "profiles": [
                {
                    "name": "default",
                    "mode": "AK",
                    "access_key_id": "file-id",
                    "access_key_secret": "file-secret",
                }
            ],
        },
    )
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    assert DefaultCredentialsChain().get_credentials().access_key_id == "env-id"


# --- profile file -------------------------------------------------------------------------------------------

PROFILES = {
    "current": "main",
    "profiles": [
        {
            "name": "main",
            "mode": "AK",
            "access_key_id": "main-id",
            "access_key_secret": "main-secret",
            "region_id": "cn-hangzhou",
        },
        {
            "name": "sts",
            "mode": "StsToken",
            "access_key_id": "sts-id",
            "access_key_secret": "sts-secret",
            "sts_token": "sts-token",
            "region_id": "cn-beijing",
        },
        {
            "name": "role",
            "mode": "RamRoleArn",
            "access_key_id": "base-id",
            "access_key_secret": "base-secret",
            "ram_role_arn": "acs:ram::123:role/ims",
            "ram_session_name": "deploy",
            "expired_seconds": 900,
            "sts_region": "cn-shanghai",
            "region_id": "cn-shanghai",
        },
        {
            "name": "chained",
            "mode": "ChainableRamRoleArn",
            "source_profile": "main",
            "ram_role_arn": "acs:ram::123:role/other",
        },
        {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "ecs-role"},
        {"name": "odd", "mode": "CloudSSO"},
    ],
}


def test_profile_current_is_used(isolated_env: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    assert DefaultCredentialsChain().get_credentials() == Credentials("main-id", "main-secret")


@pytest.mark.parametrize("variable", ["ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"])
def test_profile_chosen_by_environment(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path, variable: str
) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv(variable, "sts")
    assert DefaultCredentialsChain().get_credentials() == Credentials("sts-id", "sts-secret", "sts-token")


def test_alibaba_cloud_profile_wins_over_alicloud_profile(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALICLOUD_PROFILE", "main")
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "sts")
    assert DefaultCredentialsChain().get_credentials().access_key_id == "sts-id"


def test_a_missing_named_profile_is_an_error(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "nope")
    with pytest.raises(ConfigurationError, match=r"ALIBABA_CLOUD_PROFILE='nope'.*'main'"):
        DefaultCredentialsChain().get_credentials()


def test_unsupported_mode_is_named(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "odd")
    with pytest.raises(ConfigurationError, match="CloudSSO"):
        DefaultCredentialsChain().get_credentials()


def test_unreadable_profile_file(isolated_env: Path) -> None:
    path = isolated_env / ".aliyun" / "config.json"
    path.parent.mkdir()
    path.write_text("{not json")
    with pytest.raises(CredentialsError, match=r"config\.json"):
        DefaultCredentialsChain().get_credentials()


def test_profile_can_be_disabled(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
    with pytest.raises(ConfigurationError, match="no credentials found"):
        DefaultCredentialsChain().get_credentials()


def test_ram_role_arn_profile_assumes_the_role_via_sts(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "role")
    recorder = Recorder(answers=[sts_answer()])
    credentials = DefaultCredentialsChain(transport=recorder.transport).get_credentials()
    assert credentials == Credentials("STS.assumed", "assumed-secret", "assumed-token")
    [request] = recorder.requests
    assert (request.method, request.url.host) == ("GET", "sts.cn-shanghai.aliyuncs.com")
    params = query(request)
    assert {
        k: params[k]
        for k in (
            "Action",
            "Version",
            "RoleArn",
            "RoleSessionName",
            "DurationSeconds",
            "AccessKeyId",
            "SignatureMethod",
            "Format",
        )
    } == {
        "Action": "AssumeRole",
        "Version": "2015-04-01",
        "RoleArn": "acs:ram::123:role/ims",
        "RoleSessionName": "deploy",
        "DurationSeconds": "900",
        "AccessKeyId": "base-id",
        "SignatureMethod": "HMAC-SHA1",
        "Format": "JSON",
    }
    signature = params.pop("Signature")
    assert signature == v2_signature("base-secret", v2_string_to_sign("GET", params))
    assert "base-secret" not in str(request.url)


def test_chainable_ram_role_uses_the_source_profile(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "chained")
    recorder = Recorder(answers=[sts_answer("STS.chained")])
    assert (
        DefaultCredentialsChain(transport=recorder.transport).get_credentials().access_key_id == "STS.chained"
    )
    assert query(recorder.requests[0])["AccessKeyId"] == "main-id"
    assert recorder.requests[0].url.host == "sts.aliyuncs.com"


def test_sts_failure_is_a_credentials_error_without_secrets(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "role")
    recorder = Recorder(
        answers=[
            httpx.Response(
                403,
                json={"RequestId": "STS-REQ", "Code": "NoPermission", "Message": "You are not authorized"},
            )
        ]
    )
    with pytest.raises(CredentialsError) as caught:
        DefaultCredentialsChain(transport=recorder.transport).get_credentials()
    text = str(caught.value)
    assert "NoPermission" in text and "STS-REQ" in text and "acs:ram::123:role/ims" in text
    assert "base-secret" not in text


def test_assumed_role_is_cached_until_shortly_before_expiry() -> None:
    now = [EXPIRY_EPOCH - 3600]
    recorder = Recorder(answers=[sts_answer("STS.first"), sts_answer("STS.second")])
    provider = RamRoleArnCredentialsProvider(
        StaticCredentialsProvider(Credentials("base", "base-secret")),
        "acs:ram::1:role/r",
        transport=recorder.transport,
        clock=lambda: now[0],
    )
    assert provider.get_credentials().access_key_id == "STS.first"
    now[0] = EXPIRY_EPOCH - 600
    assert provider.get_credentials().access_key_id == "STS.first"
    assert len(recorder.requests) == 1
    now[0] = EXPIRY_EPOCH - 60  # inside the refresh margin
    assert provider.get_credentials().access_key_id == "STS.second"
    assert len(recorder.requests) == 2


def test_concurrent_callers_share_one_sts_call() -> None:
    from concurrent.futures import ThreadPoolExecutor

    recorder = Recorder(default=sts_answer())
    provider = RamRoleArnCredentialsProvider(
        StaticCredentialsProvider(Credentials("base", "s")),
        "acs:ram::1:role/r",
        transport=recorder.transport,
        clock=lambda: EXPIRY_EPOCH - 3600,
    )
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: provider.get_credentials(), range(16)))
    assert len(set(results)) == 1 and len(recorder.requests) == 1


# --- OIDC / RRSA --------------------------------------------------------------------------------------------


def test_oidc_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("eyJ.oidc.token\n")
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/rrsa")
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/ack")
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_SESSION_NAME", "pod-1")
    monkeypatch.setenv("ALIBABA_CLOUD_STS_REGION", "cn-beijing")
    monkeypatch.setenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true")
    recorder = Recorder(answers=[sts_answer("STS.oidc")])
    assert DefaultCredentialsChain(transport=recorder.transport).get_credentials().access_key_id == "STS.oidc"
    [request] = recorder.requests
    assert request.url.host == "sts-vpc.cn-beijing.aliyuncs.com"
    params = query(request)
    assert (
        params["Action"],
        params["OIDCToken"],
        params["RoleArn"],
        params["OIDCProviderArn"],
        params["RoleSessionName"],
    ) == (
        "AssumeRoleWithOIDC",
        "eyJ.oidc.token",
        "acs:ram::1:role/rrsa",
        "acs:ram::1:oidc-provider/ack",
        "pod-1",
    )
    assert "Signature" not in params


def test_oidc_needs_all_three_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/rrsa")
    assert not OidcRoleCredentialsProvider()._configured()
    with pytest.raises(ConfigurationError, match="no credentials found"):
        DefaultCredentialsChain(transport=Recorder().transport).get_credentials()


def test_oidc_unreadable_token_file(tmp_path: Path) -> None:
    provider = OidcRoleCredentialsProvider(
        role_arn="r", oidc_provider_arn="p", oidc_token_file=str(tmp_path / "missing")
    )
    with pytest.raises(CredentialsError, match="token file"):
        provider.get_credentials()


def test_profile_wins_over_oidc(monkeypatch: pytest.MonkeyPatch, isolated_env: Path, tmp_path: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/rrsa")
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "p")
    monkeypatch.setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", str(tmp_path / "t"))
    assert (
        DefaultCredentialsChain(transport=Recorder().transport).get_credentials().access_key_id == "main-id"
    )


# --- ECS instance role --------------------------------------------------------------------------------------


def ecs_handler(
    role: str = "ecs-role", expiration: str = EXPIRY
) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "100.100.100.200"
        if request.method == "PUT" and request.url.path == "/latest/api/token":
            assert request.headers["X-aliyun-ecs-metadata-token-ttl-seconds"] == "21600"
            return httpx.Response(200, text="imds-token")
        assert request.headers["X-aliyun-ecs-metadata-token"] == "imds-token"
        if request.url.path == "/latest/meta-data/ram/security-credentials/":
            return httpx.Response(200, text=role)
        assert request.url.path == f"/latest/meta-data/ram/security-credentials/{role}"
        return ok(
            {
                "Code": "Success",
                "AccessKeyId": "STS.ecs",
                "AccessKeySecret": "ecs-secret",
                "SecurityToken": "ecs-token",
                "Expiration": expiration,
                "LastUpdated": "2029-12-31T18:00:00Z",
            }
        )

    return answer


def test_ecs_role_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA", "ecs-role")
    recorder = Recorder(default=None, answers=[ecs_handler()] * 2)
    assert DefaultCredentialsChain(transport=recorder.transport).get_credentials() == Credentials(
        "STS.ecs", "ecs-secret", "ecs-token"
    )
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/ram/security-credentials/ecs-role"),
    ]


def test_ecs_role_is_not_tried_unless_named() -> None:
    recorder = Recorder()  # any request would fail the test
    with pytest.raises(ConfigurationError):
        DefaultCredentialsChain(transport=recorder.transport).get_credentials()
    assert recorder.requests == []


def test_ecs_role_discovery_and_caching() -> None:
    now = [EXPIRY_EPOCH - 7200]
    recorder = Recorder(answers=[ecs_handler()] * 6)
    provider = EcsRamRoleCredentialsProvider(transport=recorder.transport, clock=lambda: now[0])
    provider.get_credentials()
    provider.get_credentials()
    assert len(recorder.requests) == 3  # token, role list, credentials - then cached
    now[0] = EXPIRY_EPOCH - 10
    provider.get_credentials()
    assert len(recorder.requests) == 6


def test_ecs_profile_mode(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "ecs")
    recorder = Recorder(answers=[ecs_handler()] * 2)
    assert DefaultCredentialsChain(transport=recorder.transport).get_credentials().access_key_id == "STS.ecs"


def test_ecs_metadata_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(answers=[httpx.ConnectError("no route")])
    with pytest.raises(CredentialsError, match="ECS"):
        EcsRamRoleCredentialsProvider("r", transport=recorder.transport).get_credentials()


# --- the client uses the chain ------------------------------------------------------------------------------


def test_client_signs_with_assumed_role_credentials(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "role")

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("sts."):
            return sts_answer()
        return ok({"RequestId": "R", "RecordJob": {"JobId": "j"}})

    recorder = Recorder(default=None, answers=[route] * 3)
    with IceClient(transport=recorder.transport) as client:
        assert client.region == "cn-shanghai"  # from the profile
        client.get_live_record_job(job_id="j")
        client.get_live_record_job(job_id="j")
    hosts = [r.url.host for r in recorder.requests]
    assert hosts == [
        "sts.cn-shanghai.aliyuncs.com",
        "ice.cn-shanghai.aliyuncs.com",
        "ice.cn-shanghai.aliyuncs.com",
    ]
    assert recorder.requests[1].headers["x-acs-security-token"] == "assumed-token"
    assert "Credential=STS.assumed," in recorder.requests[1].headers["authorization"]


def test_client_without_credentials_fails_per_call_with_guidance() -> None:
    with (
        IceClient(region="cn-shanghai", transport=Recorder().transport) as client,
        pytest.raises(ConfigurationError, match="no credentials found"),
    ):
        client.get_live_record_job(job_id="j")


# --- region -------------------------------------------------------------------------------------------------


def test_region_order(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    assert resolve_region(None) == "cn-hangzhou"  # profile region_id
    monkeypatch.setenv("ALICLOUD_REGION", "cn-shenzhen")
    assert resolve_region(None) == "cn-shenzhen"
    monkeypatch.setenv("ALIBABA_CLOUD_REGION", "ap-southeast-1")
    assert resolve_region(None) == "ap-southeast-1"
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "us-west-1")
    assert resolve_region(None) == "us-west-1"
    assert resolve_region("cn-beijing") == "cn-beijing"


def test_region_from_the_selected_profile(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    write_profile_file(isolated_env, PROFILES)
    monkeypatch.setenv("ALICLOUD_PROFILE", "sts")
    assert resolve_region(None) == "cn-beijing"


def test_no_region_names_every_way_to_set_one() -> None:
    with pytest.raises(ConfigurationError) as caught:
        IceClient(credentials=Credentials("a", "b"))
    for hint in (
        "region=",
        "ALIBABA_CLOUD_REGION_ID",
        "ALIBABA_CLOUD_REGION",
        "ALICLOUD_REGION",
        "region_id",
        "config.json",
        "endpoint=",
    ):
        assert hint in str(caught.value)


def test_explicit_endpoint_needs_no_region() -> None:
    with IceClient(endpoint="http://127.0.0.1:8080", credentials=Credentials("a", "b")) as client:
        assert client.region is None and client.endpoint.base_url == "http://127.0.0.1:8080"


def test_region_env_is_read_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-beijing")
    with IceClient(credentials=Credentials("a", "b")) as client:
        assert client.endpoint.host == "ice.cn-beijing.aliyuncs.com"


def test_clock_default_is_wall_time() -> None:
    # Expiry comparisons use epoch seconds; a default provider must not use a monotonic clock.
    provider = RamRoleArnCredentialsProvider(StaticCredentialsProvider(Credentials("a", "b")), "arn")
    assert provider._clock is time.time
