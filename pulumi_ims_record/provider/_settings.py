"""Where a provider sends requests, and how its front door's users set that: region, endpoint and
credentials resolved from the stack config then the environment, and the config keys each door's messages
name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from pulumi_ims_record.ice import (
    ConfigurationError,
    Credentials,
    CredentialsError,
    DefaultCredentialsChain,
)

ENDPOINT_ENV_VAR = "ALIBABA_CLOUD_ICE_ENDPOINT"


@dataclass(frozen=True)
class ConfigWords:
    """How the users of one front door set the provider's settings, for the messages that tell them to: the
    Python resources also read pulumi-alicloud's ``alicloud:*`` stack config, the native package only its own
    ``ims-record:*`` (the engine passes a provider nothing else)."""

    region: str
    access_key: str
    secret_key: str
    also_region: str | None = None
    """A second key the door reads for the region, named after the first."""


PYTHON_DOOR = ConfigWords(
    region="alicloud:region",
    access_key="alicloud:accessKey",
    secret_key="alicloud:secretKey",
    also_region="ims-record:region",
)
NATIVE_DOOR = ConfigWords(
    region="ims-record:region", access_key="ims-record:accessKey", secret_key="ims-record:secretKey"
)


@dataclass(frozen=True, repr=False)
class ProviderSettings:
    """Where to send requests, resolved from stack config then the environment."""

    region: str | None = None
    endpoint: str | None = None
    config_credentials: Credentials | None = None
    endpoint_source: str | None = None
    """Where ``endpoint`` came from, for messages: the stack config key or the environment variable."""
    words: ConfigWords = PYTHON_DOOR

    def __repr__(self) -> str:  # never show the credentials, not even masked
        has_credentials = self.config_credentials is not None
        return (
            f"ProviderSettings(region={self.region!r}, endpoint={self.endpoint!r}, "
            f"config_credentials={has_credentials})"
        )

    def advice(self, error: ConfigurationError) -> str:
        """``error`` (worded for callers of the Python client) said the way a Pulumi user sets things."""
        words = self.words
        if error.setting == "region":
            also = f" (or {words.also_region})" if words.also_region else ""
            return (
                f"no region: set it with `pulumi config set {words.region} cn-shanghai`{also}, or "
                "ALIBABA_CLOUD_REGION_ID in the environment; for a local IMS set "
                "`pulumi config set ims-record:endpoint http://127.0.0.1:8787` instead"
            )
        if error.setting == "credentials" and not isinstance(error, CredentialsError):
            return (
                "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET in the "
                f"environment (or an aliyun CLI profile), or `pulumi config set {words.access_key} <id>` and "
                f"`pulumi config set --secret {words.secret_key} <secret>`; a local IMS accepts "
                "ims-local-key / ims-local-secret unless it was started with --access-key"
            )
        if error.setting == "endpoint" and self.endpoint_source:
            return f"{error} (set by {self.endpoint_source})"
        return str(error)

    def bad_secret(self) -> str:
        """What to check when the service cannot verify a request's signature."""
        return (
            "the service could not verify the request's signature: check that the AccessKey secret is the "
            "one that goes with the AccessKey id (ALIBABA_CLOUD_ACCESS_KEY_SECRET, the aliyun profile, or "
            f"`pulumi config set --secret {self.words.secret_key} <secret>`), and the STS token with both"
        )

    def unreachable(self) -> str:
        """What to check when nothing answers."""
        if self.endpoint_source:
            return f"is the IMS at {self.endpoint} running? The endpoint is set by {self.endpoint_source}"
        return f"is the network up, and is the region right ({self.words.region})?"

    @classmethod
    def from_config(
        cls, config: Any, environ: Mapping[str, str] | None = None, words: ConfigWords = PYTHON_DOOR
    ) -> ProviderSettings:
        """``config`` is a ``pulumi.dynamic.Config`` (or anything with ``get(key)``); ``words``, the front
        door's, for messages.

        region: ``ims-record:region`` → ``alicloud:region`` → the client's order (environment, profile).
        endpoint: ``ims-record:endpoint`` → ``$ALIBABA_CLOUD_ICE_ENDPOINT`` → the regional host.
        credentials: the client's chain first, then ``alicloud:accessKey``/``secretKey``/``securityToken``.
        """
        source = os.environ if environ is None else environ

        def get(key: str) -> str | None:
            value = config.get(key) if config is not None else None
            return (str(value).strip() or None) if value is not None else None

        access_key, secret_key = get("alicloud:accessKey"), get("alicloud:secretKey")
        credentials = (
            Credentials(access_key, secret_key, get("alicloud:securityToken"))
            if access_key and secret_key
            else None
        )
        from_config = get("ims-record:endpoint")
        from_environment = source.get(ENDPOINT_ENV_VAR, "").strip() or None
        return cls(
            region=get("ims-record:region") or get("alicloud:region"),
            endpoint=from_config or from_environment,
            config_credentials=credentials,
            endpoint_source=(
                "the stack config ims-record:endpoint"
                if from_config
                else f"the environment variable {ENDPOINT_ENV_VAR}"
                if from_environment
                else None
            ),
            words=words,
        )


class ChainThenConfigCredentials:
    """The client's default chain (environment, profile, OIDC, ECS role); when it finds nothing, the
    AccessKey of the stack config (the keys ``words`` names)."""

    def __init__(self, config_credentials: Credentials | None, words: ConfigWords = PYTHON_DOOR) -> None:
        self._chain = DefaultCredentialsChain()
        self._config_credentials = config_credentials
        self._words = words

    def get_credentials(self) -> Credentials:
        found = self._chain.load()
        if found is not None:
            return found
        if self._config_credentials is not None:
            return self._config_credentials
        try:
            return self._chain.get_credentials()
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"{exc}; or set the stack config {self._words.access_key} and {self._words.secret_key} "
                "(as secrets)",
                setting=exc.setting,
            ) from None

    def __repr__(self) -> str:
        return "<ChainThenConfigCredentials>"

    def __reduce__(self) -> NoReturn:
        raise TypeError("ChainThenConfigCredentials holds credentials and cannot be pickled")
