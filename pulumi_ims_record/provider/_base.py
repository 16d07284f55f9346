"""What every provider shares: its settings (``_settings``), the lazily created client, error wording,
diagnostics.

A provider object is pickled (by reference: module path and class name) into every resource's
``__provider`` property in state, so it must hold nothing durable: ``__getstate__`` returns ``{}``. Its
settings come from ``configure()`` (the whole stack config, secrets decrypted) and the environment, read in
the provider process at run time. The engine shares one instance between 4 worker threads, hence the lock
around the one ``IceClient`` it creates on first use.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, NoReturn, Protocol

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from pulumi_ims_record.ice import (
    DEFAULT_MAX_CONNECTIONS,
    OPERATION_DEADLINE,
    ApiError,
    ConfigurationError,
    ConnectError,
    CredentialsProvider,
    DeadlineExceededError,
    IceClient,
    IceError,
)

from ._checks import PROVIDER_KEY, contains_unknown, plain_number
from ._engine_watch import watch_engine
from ._properties import UNKNOWN_SENTINEL, InputsT, MissingInputError, decode, outputs
from ._settings import PYTHON_DOOR, ChainThenConfigCredentials, ConfigWords, ProviderSettings

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

AFTER_AN_INTERRUPTED_UP = (
    "If that `up` was interrupted, run `pulumi refresh --clear-pending-creates --yes` after this one: it "
    "drops the pending create the interrupted run left in the stack for this resource"
)
"""The next step, said with every adoption of what an earlier ``up`` made but did not save: the engine keeps
that run's pending create until a refresh clears it (docs/resources.md, "When `pulumi up` was
interrupted")."""


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


def settle_in_the_dynamic_host() -> None:
    """In the dynamic-provider host process (``python -m pulumi.dynamic``, whose module is ``__main__``), have
    its handlers report our errors without the stack, and end the process when its engine is gone; anywhere
    else, do nothing. Called when that host unpickles a provider (``ProviderBase.__setstate__``), never on
    import."""
    host = sys.modules.get("__main__")
    spec = getattr(host, "__spec__", None)
    if spec is None or spec.name != "pulumi.dynamic.__main__":
        return
    if getattr(host, "traceback", None) is traceback:
        host.traceback = _OneLineProviderErrors()  # type: ignore[union-attr]
    watch_engine()


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
        settle_in_the_dynamic_host()

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

    def close(self) -> None:
        """Close the client's connections (a provider process ends without; a program's look-up closes)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

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

    def preview_create(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """What create will answer, said at preview without calling anything: the inputs, and the properties
        only the service sets unknown."""
        return {**{name: UNKNOWN_SENTINEL for name in outputs(self.kind)}, **inputs}

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        """What update will answer, said at preview: the state with the new inputs."""
        return {**olds, **news}

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
