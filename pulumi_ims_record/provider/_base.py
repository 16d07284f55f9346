"""What both providers share: run-time settings, the lazily created client, error wording, warnings.

A provider object is pickled (by reference: module path and class name) into every resource's
``__provider`` property in state, so it must hold nothing durable: ``__getstate__`` returns ``{}``. Its
settings come from ``configure()`` (the whole stack config, secrets decrypted) and the environment, read in
the provider process at run time. The engine shares one instance between 4 worker threads, hence the lock
around the one ``IceClient`` it creates on first use.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn, Protocol

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from pulumi_ims_record.ice import (
    DEFAULT_MAX_CONNECTIONS,
    OPERATION_DEADLINE,
    ApiError,
    ConfigurationError,
    ConnectError,
    Credentials,
    CredentialsError,
    CredentialsProvider,
    DeadlineExceededError,
    DefaultCredentialsChain,
    IceClient,
    IceError,
)

from ._checks import PROVIDER_KEY, contains_unknown, plain_number
from ._properties import InputsT, MissingInputError, decode

ENDPOINT_ENV_VAR = "ALIBABA_CLOUD_ICE_ENDPOINT"
SIGNATURE_CODES = frozenset({"SignatureDoesNotMatch", "IncompleteSignature"})
"""API codes meaning the secret did not sign what the service expected (a wrong secret, most often)."""


PROVIDER_MAX_RETRIES = 8
"""More patient than the client's default: a deployment runs unattended, and one read failing after a short
burst of 5xx answers would fail the whole ``pulumi up``. The client's retry deadline still bounds the wait,
and mutations are never repeated when their outcome is unknown."""


CUSTOM_TIMEOUT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ims_record_custom_timeout", default=None
)
"""The engine's ``customTimeouts`` bounding the running operation, as messages name it, or None."""


PROGRAM_DIFF: contextvars.ContextVar[bool] = contextvars.ContextVar("ims_record_program_diff", default=True)
"""Whether the running ``diff`` compares a program's new inputs (preview, up: its warnings about what the
update will do are for the reviewer) or only what a refresh read back (it updates nothing: no such warning).
The native plugin tells them apart; the dynamic provider host is never asked to diff on refresh."""


def bound_by_custom_timeout(operation: str, seconds: float) -> None:
    """Bound the rest of this context's work by the ``customTimeouts`` of ``operation`` (create, update,
    delete): ``seconds``, 0 when none was set. Only the native plugin gets them (they never reach a dynamic
    provider), and the engine does not enforce them itself, so the provider stops there: its waiting for a
    status, and through ``OPERATION_DEADLINE`` every API call, retry and page of a listing."""
    OPERATION_DEADLINE.set(time.monotonic() + seconds if seconds > 0 else None)
    CUSTOM_TIMEOUT.set(f"the {operation} timeout of customTimeouts ({seconds:g} s)" if seconds > 0 else None)


def until(seconds: float) -> tuple[float, str | None]:
    """``(when, which)``: ``seconds`` from now, or the customTimeouts deadline of the running operation when
    that comes first; ``which`` names that timeout then, else None."""
    wanted, custom = time.monotonic() + seconds, OPERATION_DEADLINE.get()
    if custom is not None and custom < wanted:
        return custom, CUSTOM_TIMEOUT.get()
    return wanted, None


KEEPS_RECORDING = (
    "IMS has no API to stop a recording job: a job that leaves the stack keeps recording until its stream "
    "ends (the service stops about 3 minutes after the stream goes away)"
)
"""Said wherever a job leaves the stack: at preview (a replace) and when it is dropped."""


DELETE_BATCH = 30
"""Record ids per DeleteLiveRecordFiles call."""


def delete_record_files(client: IceClient, record_ids: Sequence[str]) -> list[str]:
    """Delete recordings and their files in batches; returns one line per record that could not be deleted
    (one already gone counts as deleted). Raises ``IceError`` when a call fails."""
    failures: list[str] = []
    for start in range(0, len(record_ids), DELETE_BATCH):
        answer = client.delete_live_record_files(
            record_ids=list(record_ids[start : start + DELETE_BATCH]), remove_file=True
        )
        failures += [
            f"{info.record_id}: {info.code} {info.message}"
            for info in answer.delete_file_info_list
            if info.code not in ("OK", "InvalidRecordId.NotFound")
        ]
    return failures


class ProviderError(Exception):
    """A provider operation failed; the message is one line a person can act on, never a credential."""


class _OneLineProviderErrors:
    """Stands in for the ``traceback`` module inside Pulumi's dynamic-provider host, whose gRPC handlers
    answer every exception with ``traceback.format_exc()``: a ``ProviderError`` (already one sentence) goes
    alone, anything else keeps its traceback."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(*args: Any, **kwargs: Any) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, ProviderError):
            return str(error)
        return traceback.format_exc(*args, **kwargs)


def one_line_errors_in_the_dynamic_host() -> None:
    """In the dynamic-provider host process (``python -m pulumi.dynamic``, whose module is ``__main__``), have
    its handlers report our errors without the stack; anywhere else, do nothing. Called when that host
    unpickles a provider (``ProviderBase.__setstate__``), never on import."""
    host = sys.modules.get("__main__")
    spec = getattr(host, "__spec__", None)
    if (
        spec is not None
        and spec.name == "pulumi.dynamic.__main__"
        and getattr(host, "traceback", None) is traceback
    ):
        host.traceback = _OneLineProviderErrors()  # type: ignore[union-attr]


class Diagnostics(Protocol):
    """Where a provider's warnings (something the user must act on) and notices (news that asks for nothing)
    go: the front door's business."""

    def warning(self, message: str) -> None: ...

    def info(self, message: str) -> None: ...


class StderrDiagnostics:
    """The dynamic-provider host shows a provider's stderr as the resource's diagnostics."""

    def warning(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    def info(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)


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


class ProviderBase(ResourceProvider):
    """Settings, client and error handling shared by the resource providers."""

    kind = "resource"
    # Nothing secret is ever pickled (see __getstate__), so __provider need not be a secret in state.
    serialize_as_secret_always = False

    def __init__(
        self,
        words: ConfigWords = PYTHON_DOOR,
        diagnostics: Diagnostics | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        """What the front door gives the core: its config keys (for messages), where diagnostics go, and
        the client's keep-alive pool (as many as the calls that may run at once)."""
        self.words = words
        self.diagnostics: Diagnostics = diagnostics or StderrDiagnostics()
        self.max_connections = max_connections
        self._reset()

    def _reset(self) -> None:
        self._settings: ProviderSettings | None = None
        self._client: IceClient | None = None
        self._lock = threading.Lock()

    # The pickled form is just the class reference; settings and the client are rebuilt at run time.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Only the Python resources' provider is pickled, and only their host unpickles it.
        ProviderBase.__init__(self)
        one_line_errors_in_the_dynamic_host()

    def configure(self, req: ConfigureRequest) -> None:
        """The dynamic host's configure: the whole stack config."""
        self.use_settings(ProviderSettings.from_config(req.config, words=self.words))

    def use_settings(self, settings: ProviderSettings) -> None:
        """Where to send requests from now on (both front doors configure through this)."""
        with self._lock:
            self._settings = settings
            if self._client is not None:  # settings changed: next call builds a new client
                self._client.close()
                self._client = None

    def client(self) -> IceClient:
        """The one client of this provider instance, created on first use (thread-safe)."""
        with self._lock:
            if self._client is None:
                settings = self.settings()
                try:
                    self._client = self.new_client(settings)
                except ConfigurationError as exc:
                    raise ProviderError(
                        f"{self.kind}: cannot set up the IMS client: {settings.advice(exc)}"
                    ) from None
                except IceError as exc:
                    raise ProviderError(f"{self.kind}: cannot set up the IMS client: {exc}") from None
            return self._client

    def new_client(self, settings: ProviderSettings) -> IceClient:
        """Build the client from the settings (tests override this to add an httpx transport)."""
        credentials: CredentialsProvider = ChainThenConfigCredentials(
            settings.config_credentials, settings.words
        )
        return IceClient(
            region=settings.region,
            endpoint=settings.endpoint,
            credentials=credentials,
            max_retries=PROVIDER_MAX_RETRIES,
            max_connections=self.max_connections,
        )

    # --- errors and messages ---

    def fail(self, label: str, exc: BaseException | str, *, during: str | None = None) -> NoReturn:
        """Raise a one-line ``ProviderError`` about ``label`` (e.g. ``"'hls-30s'"``), without the chained
        traceback of the client error; ``during`` says what the failed call was for, where the user could not
        guess it (a listing before a create)."""
        detail = self.describe(exc)
        if during:
            detail = f"{during}: {detail}"
        raise ProviderError(f"{self.kind} {label}: {detail}") from None

    def describe(self, exc: BaseException | str) -> str:
        """One line about a failure: an API error with its code and RequestId, and what to check for the
        errors a user can fix (settings, a wrong secret, an endpoint nothing answers at, a timeout)."""
        if isinstance(exc, ApiError):
            detail = (
                f"{exc.operation} failed: Code {exc.code or '(none)'}: {exc.message or '(no message)'} "
                f"(HTTP {exc.status_code}, RequestId: {exc.request_id or 'unknown'})"
            )
            if exc.code in SIGNATURE_CODES:
                detail += f"; {self.settings().bad_secret()}"
        elif isinstance(exc, ConfigurationError):
            detail = self.settings().advice(exc)
        elif isinstance(exc, ConnectError):
            detail = f"{exc}; {self.settings().unreachable()}"
        elif isinstance(exc, DeadlineExceededError):
            detail = f"{exc} ({CUSTOM_TIMEOUT.get() or 'the deadline of the operation'} ran out)"
        else:
            detail = str(exc)
        return detail

    def inputs(self, kind: type[InputsT], props: Mapping[str, Any], label: str) -> InputsT:
        """The checked inputs a create or update was given, as their typed value (decoded once, here)."""
        try:
            return decode(kind, props, skip=(PROVIDER_KEY,))
        except MissingInputError as error:
            self.fail(label, error)

    def settings(self) -> ProviderSettings:
        """The configured settings, or those of the environment alone when the engine never configured us."""
        return self._settings or ProviderSettings.from_config(None)

    def warn(self, message: str) -> None:
        """Something the user must act on."""
        self.diagnostics.warning(message)

    def warn_of_update(self, message: str) -> None:
        """A warning about what the planned update will do, from ``diff``: said at preview, where a reviewer
        reads it, and not when a refresh diffs what it read (a refresh changes nothing)."""
        if PROGRAM_DIFF.get():
            self.warn(message)

    def notice(self, message: str) -> None:
        """News that asks for nothing (what was done)."""
        self.diagnostics.info(message)


def without_provider(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


def differs(old: Any, new: Any) -> bool:
    """True when a new input value differs from the stored one; unknown new values count as different."""
    if contains_unknown(new):
        return True
    return bool(plain_number(old) != plain_number(new))


def parse_api_time(value: str | None) -> datetime:
    """``yyyy-MM-ddTHH:mm:ssZ`` as an aware UTC datetime; a missing or unreadable time counts as very old."""
    if value:
        try:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.min.replace(tzinfo=timezone.utc)
