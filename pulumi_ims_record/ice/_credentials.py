"""Credentials and where they come from.

The default chain, first source that is configured wins (each source is read when first asked, never at
import time):

1. explicit ``Credentials`` / provider passed to ``IceClient`` (handled by the client);
2. environment: ``ALIBABA_CLOUD_ACCESS_KEY_ID`` + ``ALIBABA_CLOUD_ACCESS_KEY_SECRET``
   (+ ``ALIBABA_CLOUD_SECURITY_TOKEN``),
   then ``ALICLOUD_ACCESS_KEY`` + ``ALICLOUD_SECRET_KEY`` (+ ``ALICLOUD_SECURITY_TOKEN``);
3. the aliyun CLI profile ``~/.aliyun/config.json`` (profile ``ALIBABA_CLOUD_PROFILE`` / ``ALICLOUD_PROFILE``,
   else the file's ``current``), modes ``AK``, ``StsToken``, ``RamRoleArn`` (STS AssumeRole), ``EcsRamRole``,
   ``OIDC`` and ``ChainableRamRoleArn``;
4. OIDC / RRSA: ``ALIBABA_CLOUD_ROLE_ARN`` + ``ALIBABA_CLOUD_OIDC_PROVIDER_ARN`` +
   ``ALIBABA_CLOUD_OIDC_TOKEN_FILE``
   (STS AssumeRoleWithOIDC);
5. the ECS instance RAM role, only when a role is named by ``ALIBABA_CLOUD_ECS_METADATA`` or
   ``ALICLOUD_ECS_ROLE_NAME`` (metadata service 100.100.100.200 with an IMDSv2 token).

STS and metadata calls go through httpx (no ``alibabacloud-credentials``; see docs/client.md for the import
cost that decided this) and their results are cached until shortly before they expire.

No object here lets a secret escape: reprs mask, pickling is refused.
"""

from __future__ import annotations

import calendar
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol, runtime_checkable

import httpx

from pulumi_ims_record.api.fields import Answer
from pulumi_ims_record.api.signing import v2_common_parameters, v2_signature, v2_string_to_sign

from . import _config
from ._exceptions import ConfigurationError, CredentialsError

__all__ = [
    "Credentials",
    "CredentialsProvider",
    "DefaultCredentialsChain",
    "EcsRamRoleCredentialsProvider",
    "EnvironmentCredentialsProvider",
    "OidcRoleCredentialsProvider",
    "ProfileCredentialsProvider",
    "RamRoleArnCredentialsProvider",
    "StaticCredentialsProvider",
]

STS_VERSION = "2015-04-01"
ECS_METADATA_HOST = "100.100.100.200"
# Refresh temporary credentials this long before they expire, so a request signed with them lands in time.
REFRESH_MARGIN_SECONDS = 180.0
DEFAULT_SOURCE_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
METADATA_TIMEOUT = httpx.Timeout(2.0, connect=1.0)


def _mask(value: str) -> str:
    return f"{value[:4]}****" if len(value) > 8 else "****"


def _refuse_pickle(obj: object) -> NoReturn:
    raise TypeError(f"{type(obj).__name__} holds credentials and cannot be pickled or copied by pickle")


@dataclass(frozen=True, repr=False)
class Credentials:
    """An AccessKey pair, optionally with an STS security token. ``repr`` shows only a key-id prefix."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.access_key_secret:
            raise ConfigurationError("Credentials need a non-empty access_key_id and access_key_secret")

    def __repr__(self) -> str:
        token = ", security_token='****'" if self.security_token else ""
        return f"Credentials(access_key_id={_mask(self.access_key_id)!r}, access_key_secret='****'{token})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        _refuse_pickle(self)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _refuse_pickle(self)

    def __getstate__(self) -> NoReturn:
        _refuse_pickle(self)


@runtime_checkable
class CredentialsProvider(Protocol):
    """Anything that can hand out the credentials to sign the next request with (called per request)."""

    def get_credentials(self) -> Credentials: ...


class _Source:
    """A source in the chain: ``load()`` returns None when it is not configured at all (try the next one) and
    raises ``CredentialsError`` when it is configured but fails (do not silently fall through)."""

    name = "source"

    def load(self) -> Credentials | None:
        raise NotImplementedError

    def get_credentials(self) -> Credentials:
        credentials = self.load()
        if credentials is None:
            raise ConfigurationError(f"the {self.name} credentials source is not configured")
        return credentials

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce__(self) -> NoReturn:
        _refuse_pickle(self)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _refuse_pickle(self)


class StaticCredentialsProvider(_Source):
    """Always the same credentials."""

    name = "static"

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class EnvironmentCredentialsProvider(_Source):
    """``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``ALIBABA_CLOUD_SECURITY_TOKEN``, then the
    ``ALICLOUD_*`` names; read on every call."""

    name = "environment"
    NAME_SETS = (
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
        ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"),
    )

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def load(self) -> Credentials | None:
        source = _config.env(self._environ)
        for id_name, secret_name, token_name in self.NAME_SETS:
            key_id = source.get(id_name, "").strip()
            secret = source.get(secret_name, "").strip()
            if key_id and not secret:
                raise ConfigurationError(f"{id_name} is set but {secret_name} is not")
            if secret and not key_id:
                raise ConfigurationError(f"{secret_name} is set but {id_name} is not")
            if key_id:
                return Credentials(key_id, secret, source.get(token_name, "").strip() or None)
        return None


class _CachingSource(_Source):
    """Credentials that expire: fetched once, reused until ``REFRESH_MARGIN_SECONDS`` before expiry.

    Thread-safe: one fetch at a time; concurrent callers wait for it and share the result.
    """

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.time
        self._lock = threading.Lock()
        self._cached: Credentials | None = None
        self._expires_at = 0.0

    def _fetch(self) -> tuple[Credentials, float]:
        """Fresh credentials and their expiry (epoch seconds)."""
        raise NotImplementedError

    def _configured(self) -> bool:
        return True

    def load(self) -> Credentials | None:
        if not self._configured():
            return None
        with self._lock:
            if self._cached is None or self._clock() >= self._expires_at - REFRESH_MARGIN_SECONDS:
                self._cached, self._expires_at = self._fetch()
            return self._cached


def _parse_expiration(value: object, what: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        raise CredentialsError(f"{what}: unreadable Expiration {value!r}") from None


def _credentials_from(document: Mapping[str, Any], what: str) -> tuple[Credentials, float]:
    try:
        credentials = Credentials(
            str(document["AccessKeyId"]), str(document["AccessKeySecret"]), str(document["SecurityToken"])
        )
    except (KeyError, ConfigurationError):
        raise CredentialsError(
            f"{what}: the answer holds no complete AccessKeyId/AccessKeySecret/SecurityToken"
        ) from None
    return credentials, _parse_expiration(document.get("Expiration"), what)


def _sts_host(region: str | None, vpc: bool) -> str:
    prefix = "sts-vpc" if vpc else "sts"
    return f"{prefix}.{region}.aliyuncs.com" if region else "sts.aliyuncs.com"


def _sts_settings(environ: Mapping[str, str] | None) -> tuple[str | None, bool]:
    source = _config.env(environ)
    region = source.get("ALIBABA_CLOUD_STS_REGION", "").strip() or None
    vpc = source.get("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "").strip().lower() == "true"
    return region, vpc


class _StsCaller:
    """The one STS request shape both role sources need: GET ``https://<sts host>/?Action=...`` → JSON."""

    def __init__(
        self, *, sts_endpoint: str, transport: httpx.BaseTransport | None, timeout: httpx.Timeout
    ) -> None:
        self.sts_endpoint = sts_endpoint
        self._transport = transport
        self._timeout = timeout

    def call(self, params: dict[str, str], what: str) -> tuple[Credentials, float]:
        url = self.sts_endpoint if "://" in self.sts_endpoint else f"https://{self.sts_endpoint}"
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as http:
                response = http.get(f"{url.rstrip('/')}/", params=sorted(params.items()))
        except httpx.HTTPError as exc:
            raise CredentialsError(
                f"{what}: STS at {self.sts_endpoint} unreachable ({type(exc).__name__})"
            ) from None
        try:
            document = response.json()
        except ValueError:
            document = {}
        if response.status_code != 200 or not isinstance(document, dict) or "Credentials" not in document:
            answer = document if isinstance(document, dict) else {}
            code = answer.get(Answer.code.api, "")
            message = answer.get(Answer.message.api, "")
            request_id = answer.get(Answer.request_id.api, "")
            raise CredentialsError(
                f"{what}: STS answered HTTP {response.status_code}, Code {code or '(none)'}: {message} "
                f"(RequestId: {request_id or 'unknown'})"
            )
        return _credentials_from(document["Credentials"], what)


def _common_sts_params(action: str, now: float) -> dict[str, str]:
    return v2_common_parameters(action, STS_VERSION, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))


class RamRoleArnCredentialsProvider(_CachingSource):
    """Assume a RAM role with STS ``AssumeRole``, signed (V2, HMAC-SHA1) with the ``source`` credentials."""

    name = "RAM role (AssumeRole)"

    def __init__(
        self,
        source: CredentialsProvider,
        role_arn: str,
        *,
        role_session_name: str | None = None,
        duration_seconds: int = 3600,
        policy: str | None = None,
        external_id: str | None = None,
        sts_endpoint: str | None = None,
        sts_region: str | None = None,
        vpc: bool = False,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_SOURCE_TIMEOUT,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        if not role_arn:
            raise ConfigurationError("RAM role assumption needs a role ARN")
        self._source = source
        self.role_arn = role_arn
        self.role_session_name = role_session_name or f"pulumi-ims-record-{int(time.time())}"
        self.duration_seconds = duration_seconds
        self._policy = policy
        self._external_id = external_id
        self._sts = _StsCaller(
            sts_endpoint=sts_endpoint or _sts_host(sts_region, vpc), transport=transport, timeout=timeout
        )

    def _fetch(self) -> tuple[Credentials, float]:
        base = self._source.get_credentials()
        params = _common_sts_params("AssumeRole", self._clock())
        params.update(
            {
                "RoleArn": self.role_arn,
                "RoleSessionName": self.role_session_name,
                "DurationSeconds": str(self.duration_seconds),
                "AccessKeyId": base.access_key_id,
                "SignatureMethod": "HMAC-SHA1",
                "SignatureVersion": "1.0",
                "SignatureNonce": secrets.token_hex(16),
            }
        )
        if self._policy:
            params["Policy"] = self._policy
        if self._external_id:
            params["ExternalId"] = self._external_id
        if base.security_token:
            params["SecurityToken"] = base.security_token
        params["Signature"] = v2_signature(base.access_key_secret, v2_string_to_sign("GET", params))
        return self._sts.call(params, f"AssumeRole {self.role_arn}")


class OidcRoleCredentialsProvider(_CachingSource):
    """RRSA: exchange the OIDC token in a file for STS credentials (``AssumeRoleWithOIDC``, unsigned).

    Without arguments it reads ``ALIBABA_CLOUD_ROLE_ARN``, ``ALIBABA_CLOUD_OIDC_PROVIDER_ARN``,
    ``ALIBABA_CLOUD_OIDC_TOKEN_FILE`` (and ``ALIBABA_CLOUD_ROLE_SESSION_NAME``, ``ALIBABA_CLOUD_STS_REGION``,
    ``ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED``) when first asked; it is "not configured" unless all three are set.
    """

    name = "OIDC role (AssumeRoleWithOIDC)"

    def __init__(
        self,
        *,
        role_arn: str | None = None,
        oidc_provider_arn: str | None = None,
        oidc_token_file: str | None = None,
        role_session_name: str | None = None,
        duration_seconds: int = 3600,
        policy: str | None = None,
        sts_endpoint: str | None = None,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_SOURCE_TIMEOUT,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        source = _config.env(environ)
        self.role_arn = role_arn or source.get("ALIBABA_CLOUD_ROLE_ARN", "").strip()
        self.oidc_provider_arn = (
            oidc_provider_arn or source.get("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "").strip()
        )
        self.oidc_token_file = oidc_token_file or source.get("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "").strip()
        self.role_session_name = (
            role_session_name
            or source.get("ALIBABA_CLOUD_ROLE_SESSION_NAME", "").strip()
            or f"pulumi-ims-record-{int(time.time())}"
        )
        self.duration_seconds = duration_seconds
        self._policy = policy
        sts_region, vpc = _sts_settings(environ)
        self._sts = _StsCaller(
            sts_endpoint=sts_endpoint or _sts_host(sts_region, vpc), transport=transport, timeout=timeout
        )

    def _configured(self) -> bool:
        return bool(self.role_arn and self.oidc_provider_arn and self.oidc_token_file)

    def _fetch(self) -> tuple[Credentials, float]:
        try:
            token = Path(self.oidc_token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CredentialsError(
                f"cannot read the OIDC token file {self.oidc_token_file}: {type(exc).__name__}"
            ) from None
        params = _common_sts_params("AssumeRoleWithOIDC", self._clock())
        params.update(
            {
                "RoleArn": self.role_arn,
                "OIDCProviderArn": self.oidc_provider_arn,
                "OIDCToken": token,
                "RoleSessionName": self.role_session_name,
                "DurationSeconds": str(self.duration_seconds),
            }
        )
        if self._policy:
            params["Policy"] = self._policy
        return self._sts.call(params, f"AssumeRoleWithOIDC {self.role_arn}")


class EcsRamRoleCredentialsProvider(_CachingSource):
    """The RAM role attached to this ECS instance, from the metadata service (IMDSv2 token first).

    ``role_name=None`` asks the metadata service which role is attached.
    """

    name = "ECS instance RAM role"
    TOKEN_TTL_SECONDS = 21600

    def __init__(
        self,
        role_name: str | None = None,
        *,
        metadata_endpoint: str = f"http://{ECS_METADATA_HOST}",
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = METADATA_TIMEOUT,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.role_name = role_name
        self._base = metadata_endpoint.rstrip("/")
        self._transport = transport
        self._timeout = timeout

    def _fetch(self) -> tuple[Credentials, float]:
        what = "ECS instance RAM role"
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as http:
                token = http.put(
                    f"{self._base}/latest/api/token",
                    headers={"X-aliyun-ecs-metadata-token-ttl-seconds": str(self.TOKEN_TTL_SECONDS)},
                )
                if token.status_code != 200:
                    raise CredentialsError(
                        f"{what}: metadata token request answered HTTP {token.status_code}"
                    )
                headers = {"X-aliyun-ecs-metadata-token": token.text.strip()}
                base = f"{self._base}/latest/meta-data/ram/security-credentials/"
                role = self.role_name
                if not role:
                    listing = http.get(base, headers=headers)
                    if listing.status_code != 200 or not listing.text.strip():
                        raise CredentialsError(f"{what}: no role attached (HTTP {listing.status_code})")
                    role = listing.text.strip().splitlines()[0]
                answer = http.get(base + role, headers=headers)
        except httpx.HTTPError as exc:
            raise CredentialsError(
                f"{what}: metadata service {self._base} unreachable ({type(exc).__name__}); "
                "is this an ECS instance with a RAM role?"
            ) from None
        if answer.status_code != 200:
            raise CredentialsError(f"{what} {role!r}: metadata service answered HTTP {answer.status_code}")
        try:
            document = answer.json()
        except ValueError:
            raise CredentialsError(f"{what} {role!r}: metadata answer is not JSON") from None
        # The metadata document carries the same Code field as an API answer, "Success" when it holds keys.
        if not isinstance(document, dict) or document.get(Answer.code.api) != "Success":
            code = document.get(Answer.code.api) if isinstance(document, dict) else None
            raise CredentialsError(f"{what} {role!r}: metadata answered Code {code!r}")
        return _credentials_from(document, f"{what} {role!r}")


class ProfileCredentialsProvider(_Source):
    """The selected profile of ``~/.aliyun/config.json`` (``_config.load_profile``), read when first asked."""

    name = "aliyun CLI profile"

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._environ = environ
        self._transport = transport
        self._clock = clock
        self._lock = threading.Lock()
        self._delegate: _Source | None = None

    def load(self) -> Credentials | None:
        with self._lock:
            if self._delegate is None:
                source = _config.env(self._environ)
                if source.get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "").strip().lower() == "true":
                    return None
                profile = _config.load_profile(self._environ)
                if profile is None:
                    return None
                self._delegate = self._source_for(profile, _config.load_profiles_by_name(self._environ))
        return self._delegate.load()

    def _source_for(
        self, profile: Mapping[str, Any], by_name: Mapping[str, Mapping[str, Any]], depth: int = 0
    ) -> _Source:
        name = profile.get("name", "?")
        mode = str(profile.get("mode") or "AK")
        where = f"profile {name!r} (mode {mode}) in {_config.config_file_path(self._environ)}"

        def field(key: str, required: bool = True) -> str:
            value = str(profile.get(key) or "").strip()
            if required and not value:
                raise ConfigurationError(f"{where} has no {key}")
            return value

        sts_region = field("sts_region", required=False) or None
        if mode == "AK":
            return StaticCredentialsProvider(Credentials(field("access_key_id"), field("access_key_secret")))
        if mode == "StsToken":
            return StaticCredentialsProvider(
                Credentials(field("access_key_id"), field("access_key_secret"), field("sts_token"))
            )
        if mode in ("RamRoleArn", "ChainableRamRoleArn"):
            if mode == "RamRoleArn":
                base: _Source = StaticCredentialsProvider(
                    Credentials(
                        field("access_key_id"), field("access_key_secret"), field("sts_token", False) or None
                    )
                )
            else:
                parent_name = field("source_profile")
                if depth > 5 or parent_name not in by_name:
                    raise ConfigurationError(f"{where}: source_profile {parent_name!r} is missing or loops")
                base = self._source_for(by_name[parent_name], by_name, depth + 1)
            duration = int(profile.get("expired_seconds") or 3600)
            return RamRoleArnCredentialsProvider(
                base,
                field("ram_role_arn"),
                role_session_name=field("ram_session_name", False) or None,
                duration_seconds=duration,
                policy=field("policy", False) or None,
                external_id=field("external_id", False) or None,
                sts_region=sts_region,
                transport=self._transport,
                clock=self._clock,
            )
        if mode == "EcsRamRole":
            return EcsRamRoleCredentialsProvider(
                field("ram_role_name", False) or None, transport=self._transport, clock=self._clock
            )
        if mode == "OIDC":
            return OidcRoleCredentialsProvider(
                role_arn=field("ram_role_arn"),
                oidc_provider_arn=field("oidc_provider_arn"),
                oidc_token_file=field("oidc_token_file"),
                role_session_name=field("role_session_name", False) or None,
                sts_endpoint=_sts_host(sts_region, False),
                environ=self._environ,
                transport=self._transport,
                clock=self._clock,
            )
        raise ConfigurationError(
            f"{where}: mode {mode!r} is not supported (AK, StsToken, RamRoleArn, ChainableRamRoleArn, "
            "EcsRamRole, OIDC are)"
        )


class _EcsFromEnvironment(_Source):
    """The ECS role source, opted into by naming the role in ``ALIBABA_CLOUD_ECS_METADATA`` /
    ``ALICLOUD_ECS_ROLE_NAME`` (so machines that are not ECS never wait on 100.100.100.200)."""

    name = "ECS instance RAM role"
    ROLE_ENV_VARS = ("ALIBABA_CLOUD_ECS_METADATA", "ALICLOUD_ECS_ROLE_NAME")

    def __init__(
        self,
        environ: Mapping[str, str] | None,
        transport: httpx.BaseTransport | None,
        clock: Callable[[], float] | None,
    ) -> None:
        self._environ = environ
        self._transport = transport
        self._clock = clock
        self._delegate: EcsRamRoleCredentialsProvider | None = None

    def load(self) -> Credentials | None:
        if self._delegate is None:
            source = _config.env(self._environ)
            if source.get("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "").strip().lower() == "true":
                return None
            role = _config.first_env(self.ROLE_ENV_VARS, self._environ)
            if role is None:
                return None
            self._delegate = EcsRamRoleCredentialsProvider(
                role[1], transport=self._transport, clock=self._clock
            )
        return self._delegate.load()


class DefaultCredentialsChain(_Source):
    """Environment → profile file → OIDC (RRSA) → ECS instance role; the first configured one is kept.

    A source that is configured but fails raises ``CredentialsError`` instead of falling through, so a broken
    role assumption is never papered over by some other identity.
    """

    name = "default chain"

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._sources: tuple[_Source, ...] = (
            EnvironmentCredentialsProvider(environ),
            ProfileCredentialsProvider(environ=environ, transport=transport, clock=clock),
            _LazyOidc(environ, transport, clock),
            _EcsFromEnvironment(environ, transport, clock),
        )
        self._environ = environ
        self._lock = threading.Lock()
        self._chosen: _Source | None = None

    def load(self) -> Credentials | None:
        chosen = self._chosen
        if chosen is None:
            with self._lock:
                for source in self._sources:
                    if self._chosen is not None:
                        break
                    credentials = source.load()
                    if credentials is not None:
                        self._chosen = source
                        return credentials
            chosen = self._chosen
            if chosen is None:
                return None
        return chosen.load()

    def get_credentials(self) -> Credentials:
        credentials = self.load()
        if credentials is None:
            raise ConfigurationError(
                "no credentials found. Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET "
                "(or ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY), or configure a profile in "
                f"{_config.config_file_path(self._environ)} (aliyun configure), or set "
                "ALIBABA_CLOUD_ROLE_ARN + ALIBABA_CLOUD_OIDC_PROVIDER_ARN + ALIBABA_CLOUD_OIDC_TOKEN_FILE, "
                "or name the ECS instance role "
                "in ALIBABA_CLOUD_ECS_METADATA, or pass credentials=Credentials(...)",
                setting="credentials",
            )
        return credentials


class _LazyOidc(_Source):
    """Build the OIDC source from the environment when first asked (not when the chain is built)."""

    name = OidcRoleCredentialsProvider.name

    def __init__(
        self,
        environ: Mapping[str, str] | None,
        transport: httpx.BaseTransport | None,
        clock: Callable[[], float] | None,
    ) -> None:
        self._environ = environ
        self._transport = transport
        self._clock = clock
        self._delegate: OidcRoleCredentialsProvider | None = None

    def load(self) -> Credentials | None:
        if self._delegate is None:
            candidate = OidcRoleCredentialsProvider(
                environ=self._environ, transport=self._transport, clock=self._clock
            )
            if not candidate._configured():
                return None
            self._delegate = candidate
        return self._delegate.load()
