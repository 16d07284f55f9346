"""Every error the ICE client raises, in one hierarchy (the shape of httpx's ``_exceptions.py``).

```
IceError
├── ConfigurationError            no region / bad endpoint / no credentials found
│   └── CredentialsError          a credentials source is configured but failed (STS, metadata, profile file)
├── DeadlineExceededError         the caller's deadline (``operation_deadline``) came before an answer
├── TransportError                no HTTP response
│   ├── ConnectError              provably never reached the server - always safe to retry
│   ├── TimeoutError_             sent, no answer in time
│   │   └── ReadTimeout
│   └── OutcomeUnknownError       a mutating call that may or may not have been applied
└── ApiError                      the service answered with an error
    ├── InvalidParameterError
    ├── AuthenticationError
    ├── AuthorizationError
    ├── NotFoundError
    ├── ThrottlingError
    └── ServerError
```

No message, repr or pickle of these errors ever contains a credential: messages are built only from the
operation name, the HTTP status and the fields of the service's error body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "AuthenticationError",
    "AuthorizationError",
    "ConfigurationError",
    "ConnectError",
    "CredentialsError",
    "DeadlineExceededError",
    "IceError",
    "InvalidParameterError",
    "NotFoundError",
    "OutcomeUnknownError",
    "ReadTimeout",
    "ServerError",
    "ThrottlingError",
    "TimeoutError_",
    "TransportError",
]


class IceError(Exception):
    """Base class of every error raised by ``pulumi_ims_record.ice``."""


# --- configuration -----------------------------------------------------------------------------------------


class ConfigurationError(IceError):
    """Raised before any request when no region, no usable endpoint or no credentials can be determined.

    ``setting`` says which: ``"region"``, ``"endpoint"``, ``"credentials"``, or None (a client argument), so a
    caller such as the Pulumi provider can say how *its* users set it."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class CredentialsError(ConfigurationError):
    """Raised when a configured credentials source fails (STS, ECS metadata, unreadable profile file)."""

    def __init__(self, message: str, *, setting: str | None = "credentials") -> None:
        super().__init__(message, setting=setting)


class CallsStoppedError(IceError):
    """Raised instead of sending a request once this process stopped all new calls (``stop_new_calls``): for
    a provider, its engine is gone, so nobody would record what the call did. ``reason`` says why."""

    def __init__(self, message: str, *, operation: str, reason: str) -> None:
        super().__init__(message)
        self.operation = operation
        self.reason = reason


class DeadlineExceededError(IceError):
    """Raised when the deadline the caller set for its operation (``operation_deadline``) came before a
    usable answer: a call not started after it, retries stopped at it, or an attempt cut short by it.
    ``cause`` is the last error of the call, if it got one; ``attempts`` how many requests were sent."""

    def __init__(self, message: str, *, operation: str, attempts: int, cause: IceError | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.attempts = attempts
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_deadline_exceeded, (str(self), self.operation, self.attempts, self.cause))


def _rebuild_deadline_exceeded(
    message: str, operation: str, attempts: int, cause: IceError | None
) -> DeadlineExceededError:
    return DeadlineExceededError(message, operation=operation, attempts=attempts, cause=cause)


# --- transport ----------------------------------------------------------------------------------------------


class TransportError(IceError):
    """Raised when no HTTP response was received for an operation."""

    def __init__(self, message: str, *, operation: str) -> None:
        super().__init__(message)
        self.operation = operation

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_transport_error, (type(self), str(self), self.operation))


class ConnectError(TransportError):
    """Raised when no connection could be established (refused, DNS, connect timeout): nothing was sent."""


class TimeoutError_(TransportError):
    """Raised when the request was (maybe partly) sent but no answer arrived in time."""


class ReadTimeout(TimeoutError_):
    """Raised when the request was sent and the response did not arrive within the read timeout."""


class OutcomeUnknownError(TransportError):
    """Raised when a mutating call failed in a way that leaves unknown whether the service applied it.

    The call is never repeated automatically; the caller must reconcile (for example list jobs by name)
    before trying again. ``cause`` is the underlying error (a transport error or a 5xx ``ServerError``).
    """

    def __init__(self, message: str, *, operation: str, cause: IceError | None = None) -> None:
        super().__init__(message, operation=operation)
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_outcome_unknown, (str(self), self.operation, self.cause))


def _rebuild_transport_error(cls: type[TransportError], message: str, operation: str) -> TransportError:
    return cls(message, operation=operation)


def _rebuild_outcome_unknown(message: str, operation: str, cause: IceError | None) -> OutcomeUnknownError:
    return OutcomeUnknownError(message, operation=operation, cause=cause)


# --- API errors ---------------------------------------------------------------------------------------------


class ApiError(IceError):
    """Raised when the service answered with an error status (or an unreadable success body)."""

    def __init__(
        self,
        *,
        operation: str,
        status_code: int,
        code: str,
        message: str,
        request_id: str | None,
        recommend: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.operation = operation
        self.status_code = status_code
        self.code = code
        self.message = message
        self.request_id = request_id
        self.recommend = recommend
        self.body: Mapping[str, Any] = dict(body or {})
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = (
            f"{self.operation} failed: HTTP {self.status_code}, Code {self.code or '(none)'}: "
            f"{self.message or '(no message)'} (RequestId: {self.request_id or 'unknown'})"
        )
        if self.recommend:
            text += f" - see {self.recommend}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_api_error, (type(self), self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "status_code": self.status_code,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
            "recommend": self.recommend,
            "body": dict(self.body),
        }


def _rebuild_api_error(cls: type[ApiError], fields: dict[str, Any]) -> ApiError:
    return cls(**fields)


class InvalidParameterError(ApiError):
    """Raised for 400 ``InvalidParameter*``, ``Missing*`` and ``Invalid<Param>`` codes: fix the request."""


class AuthenticationError(ApiError):
    """Raised when the signature or credentials were rejected (bad key, signature, timestamp, STS token)."""


class AuthorizationError(ApiError):
    """Raised for 403 ``Forbidden*`` / ``OperationDenied*``: authenticated, but not allowed to do this."""


class NotFoundError(ApiError):
    """Raised for 404 or ``*.NotFound`` codes naming a missing resource (job, template, file)."""


class ThrottlingError(ApiError):
    """Raised for ``Throttling*`` codes or an ``x-acs-retry-after`` header; ``retry_after`` is in seconds."""

    def __init__(self, *, retry_after: float | None = None, **fields: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**fields)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after": self.retry_after}


class ServerError(ApiError):
    """Raised for HTTP 5xx answers."""
