"""Errors the local IMS answers with, one class per kind (the shape of moto's ``exceptions.py``).

Every error becomes a JSON body ``{RequestId, HostId, Code, Message, Recommend}`` with its HTTP status. Codes
the public documentation does not publish are the ones listed in ``docs/architecture.md`` and
``docs/local-ims.md``. Messages name the parameter at fault and the rule, never a credential."""

from __future__ import annotations

from collections.abc import Mapping


class ImsApiError(Exception):
    """An API error: HTTP status, error code, a message a person can act on, and optional extra headers."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


class MissingParameter(ImsApiError):
    """A required parameter is absent (400)."""

    def __init__(self, parameter: str) -> None:
        super().__init__(
            400, "MissingParameter", f"The input parameter {parameter} that is mandatory is missing."
        )
        self.parameter = parameter


class InvalidParameter(ImsApiError):
    """A parameter has a value that breaks a documented rule (400); the message names parameter and rule."""

    def __init__(self, parameter: str, rule: str) -> None:
        super().__init__(400, "InvalidParameter", f"The specified parameter {parameter} is not valid: {rule}")
        self.parameter = parameter


class NotFound(ImsApiError):
    """An id that does not exist (404, ``Invalid<Kind>Id.NotFound``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(404, code, message)


def job_not_found(job_id: str) -> NotFound:
    return NotFound("InvalidJobId.NotFound", f"The specified JobId {job_id!r} does not exist.")


def template_not_found(template_id: str) -> NotFound:
    return NotFound("InvalidTemplateId.NotFound", f"The specified TemplateId {template_id!r} does not exist.")


class OperationDenied(ImsApiError):
    """The operation is not allowed on this resource (403), e.g. changing a ``system`` template."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(403, code, message)


class AuthFailure(ImsApiError):
    """Authentication failed: unknown key, bad signature, stale date, reused nonce, STS token problems."""


class InvalidAction(ImsApiError):
    """Unknown action or API version (404 ``InvalidAction.NotFound``)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            404,
            "InvalidAction.NotFound",
            f"Specified api is not found, please check your url and method. {detail}",
        )


class UnsupportedHttpMethod(ImsApiError):
    """Only GET and POST reach an operation (400)."""

    def __init__(self, method: str) -> None:
        super().__init__(
            400, "UnsupportedHTTPMethod", f"The HTTP method {method} is not supported; use GET or POST."
        )


class RequestEntityTooLarge(ImsApiError):
    """The request body is larger than the server accepts (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "RequestEntityTooLarge", f"The request body is larger than {limit} bytes.")


class Throttled(ImsApiError):
    """Request throttling (400 ``Throttling.User``) with ``x-acs-retry-after`` in ms, as the SDK reads it."""

    def __init__(self, retry_after_ms: int, reason: str) -> None:
        retry_after_ms = max(1, retry_after_ms)
        super().__init__(
            400,
            "Throttling.User",
            f"Request was denied due to user flow control ({reason}).",
            headers={"x-acs-retry-after": str(retry_after_ms)},
        )
        self.retry_after_ms = retry_after_ms


class InternalError(ImsApiError):
    """The request failed inside the service (500): it may or may not have been applied."""

    def __init__(self, message: str = "The request processing has failed.") -> None:
        super().__init__(500, "InternalError", message)


class ServiceUnavailable(ImsApiError):
    """A temporary server failure (503), as injected by the fault settings."""

    def __init__(
        self, message: str = "The request has failed due to a temporary failure of the server."
    ) -> None:
        super().__init__(503, "ServiceUnavailable", message)
