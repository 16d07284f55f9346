"""``IceClient``: the ten live-recording operations of ICE 2020-11-09 over one keep-alive ``httpx.Client``."""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, NoReturn, TypeVar

import httpx

from pulumi_ims_record.api import fields
from pulumi_ims_record.api.fields import Answer, Field, Parameters

from . import _config
from ._credentials import Credentials, CredentialsProvider, DefaultCredentialsChain, StaticCredentialsProvider
from ._endpoints import Endpoint, resolve_endpoint
from ._exceptions import (
    ApiError,
    AuthenticationError,
    AuthorizationError,
    CallsStoppedError,
    ConfigurationError,
    ConnectError,
    DeadlineExceededError,
    IceError,
    InvalidParameterError,
    NotFoundError,
    OutcomeUnknownError,
    ReadTimeout,
    ServerError,
    ThrottlingError,
    TimeoutError_,
    TransportError,
)
from ._models import (
    CreateLiveRecordTemplateResponse,
    DeleteLiveRecordFilesResponse,
    DeleteLiveRecordTemplateResponse,
    GetLiveRecordJobResponse,
    GetLiveRecordTemplateResponse,
    ListLiveRecordFilesResponse,
    ListLiveRecordJobsResponse,
    ListLiveRecordTemplatesResponse,
    LiveRecordFile,
    LiveRecordJob,
    LiveRecordTemplate,
    MalformedResponse,
    RecordFormat,
    RecordOutput,
    StreamInput,
    SubmitLiveRecordJobResponse,
    UpdateLiveRecordTemplateResponse,
)
from ._wire import Params, build_params, build_request, json_field, new_nonce, time_field

__all__ = ["OPERATION_DEADLINE", "IceClient", "stop_new_calls"]

OPERATION_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ice_operation_deadline", default=None
)
"""When the caller's current operation must be over, on the client's ``clock`` (``time.monotonic()`` unless
a test gave another), or None. A call made in this context (this thread, or work run in a copy of it) is not
sent after it, stops retrying at it, and gives each attempt at most the time left; it then raises
``DeadlineExceededError``. The Pulumi provider sets it from the engine's ``customTimeouts``."""

logger = logging.getLogger("pulumi_ims_record.ice")

_VERSION = "0.1.0"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 4
DEFAULT_RETRY_DEADLINE = 60.0
# Throttling answers prove the request was not applied, so they are retried until ``retry_deadline``; this cap
# only stops a pathological server (answers of 0 ms retry-after) from spinning.
MAX_THROTTLING_RETRIES = 100
# Keep-alive connections: at least the concurrency callers use (the provider's 4 threads, benchmarks' 16);
# beyond it, connections are closed after each request and reopened.
DEFAULT_MAX_CONNECTIONS = 32
ACCEPT_ENCODING = "gzip, deflate"  # what httpx.Client would ask for; answers are decoded by httpx.Response
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 10.0
# The SDK caps a server-requested wait at 120 s (darabonba MAX_DELAY_TIME).
RETRY_AFTER_CAP_SECONDS = 120.0

_AUTHENTICATION_CODES = (
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "SignatureNonceUsed",
    "InvalidSignatureMethod",
)
_AUTHENTICATION_PREFIXES = ("InvalidAccessKeyId", "InvalidTimeStamp", "InvalidSecurityToken")
# 404s that name an unknown API, not a missing resource: must never read as "the job is gone".
_NOT_RESOURCE_NOT_FOUND = ("InvalidAction.NotFound", "InvalidApi.NotFound", "InvalidAccessKeyId.NotFound")

T = TypeVar("T")


@dataclass(frozen=True)
class _Operation:
    action: str
    method: str
    form_body: bool  # parameters in a form body (else in the query string)
    mutating: bool


_SUBMIT_JOB = _Operation("SubmitLiveRecordJob", "POST", True, True)
_GET_JOB = _Operation("GetLiveRecordJob", "GET", False, False)
_LIST_JOBS = _Operation("ListLiveRecordJobs", "GET", False, False)
_LIST_FILES = _Operation("ListLiveRecordFiles", "GET", False, False)
_DELETE_FILES = _Operation("DeleteLiveRecordFiles", "POST", False, True)
_CREATE_TEMPLATE = _Operation("CreateLiveRecordTemplate", "POST", True, True)
_GET_TEMPLATE = _Operation("GetLiveRecordTemplate", "GET", False, False)
_UPDATE_TEMPLATE = _Operation("UpdateLiveRecordTemplate", "POST", True, True)
_DELETE_TEMPLATE = _Operation("DeleteLiveRecordTemplate", "POST", False, True)
_LIST_TEMPLATES = _Operation("ListLiveRecordTemplates", "GET", False, False)


class _CallGate:
    """Process-wide: whether requests may still be sent, and how many are on the wire. Once stopped, every
    client of the process refuses to send (a retry included); what is in flight runs to its end."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._stopped: str | None = None
        self._in_flight = 0

    def enter(self, operation: str) -> None:
        with self._changed:
            if self._stopped is not None:
                raise CallsStoppedError(
                    f"{operation}: not sent, {self._stopped}", operation=operation, reason=self._stopped
                )
            self._in_flight += 1

    def leave(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    def stop(self, reason: str, *, wait: float) -> int:
        with self._changed:
            self._stopped = reason
            self._changed.wait_for(lambda: self._in_flight == 0, timeout=wait)
            return self._in_flight


_CALL_GATE = _CallGate()


def stop_new_calls(reason: str, *, wait: float = 0.0) -> int:
    """From now on no client of this process sends a request: each raises ``CallsStoppedError`` (``reason``
    says why, e.g. "the Pulumi engine is gone"). Waits up to ``wait`` seconds for the requests on the wire to
    end; returns how many still are."""
    return _CALL_GATE.stop(reason, wait=wait)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """``x-acs-retry-after`` in seconds. The SDK reads it as a positive integer of **milliseconds**
    (``Utils.get_throttling_time_left`` → ``DaraCore.sleep(ms)``); anything else is ignored."""
    value = headers.get("x-acs-retry-after", "").strip()
    try:
        milliseconds = int(value)
    except ValueError:
        return None
    return milliseconds / 1000.0 if milliseconds > 0 else None


def _either_case(body: Mapping[str, Any], item: Field) -> Any:
    """An error field as named in RPC answers (``Code``) or in lower camel case (``code``), as some gateways
    answer."""
    return body.get(item.api) or body.get(item.api[:1].lower() + item.api[1:])


def api_error_from_response(operation: str, response: httpx.Response) -> ApiError:
    """The ``ApiError`` subclass for an error answer (see the table in docs/architecture.md)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    code = str(_either_case(body, Answer.code) or "")
    message = str(_either_case(body, Answer.message) or "")
    if not message and not body:
        message = response.text[:200].strip() or response.reason_phrase
    request_id = _either_case(body, Answer.request_id) or response.headers.get("x-acs-request-id")
    recommend = _either_case(body, Answer.recommend)
    details: dict[str, Any] = {
        "operation": operation,
        "status_code": response.status_code,
        "code": code,
        "message": message,
        "request_id": str(request_id) if request_id else None,
        "recommend": str(recommend) if recommend else None,
        "body": body,
    }
    status = response.status_code
    retry_after = parse_retry_after(response.headers)
    if retry_after is not None or code.startswith("Throttling"):
        return ThrottlingError(retry_after=retry_after, **details)
    if code in _AUTHENTICATION_CODES or code.startswith(_AUTHENTICATION_PREFIXES):
        return AuthenticationError(**details)
    if status == 403 or code.startswith(("Forbidden", "OperationDenied")):
        return AuthorizationError(**details)
    if code not in _NOT_RESOURCE_NOT_FOUND and (status == 404 or code.endswith(".NotFound")):
        return NotFoundError(**details)
    if status >= 500:
        return ServerError(**details)
    if status == 400 and code.startswith(("InvalidParameter", "Missing", "Invalid")):
        return InvalidParameterError(**details)
    return ApiError(**details)


def _transport_error(operation: str, host: str, exc: httpx.TransportError) -> TransportError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ConnectError(
            f"{operation}: could not connect to {host} ({detail}); nothing was sent", operation=operation
        )
    if isinstance(exc, httpx.ReadTimeout):
        return ReadTimeout(
            f"{operation}: sent to {host}, no answer within the read timeout ({detail})", operation=operation
        )
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError_(f"{operation}: timed out talking to {host} ({detail})", operation=operation)
    return TransportError(
        f"{operation}: connection to {host} failed after sending ({detail})", operation=operation
    )


def _is_applied_for_sure_not(error: IceError) -> bool:
    """True when the error proves a mutating request was not applied, so sending it again is safe."""
    if isinstance(error, (ConnectError, ThrottlingError)):
        return True
    return isinstance(error, ServerError) and (error.status_code == 503 or error.code == "ServiceUnavailable")


def _is_transient(error: IceError) -> bool:
    return isinstance(error, (TransportError, ThrottlingError, ServerError))


class IceClient:
    """Client of the ICE (Intelligent Media Services) live-recording API, version 2020-11-09.

    Thread-safe: one instance can be shared by many threads; it holds one keep-alive ``httpx.Client``.
    Use it as a context manager or call ``close()``.

    ``region``: None → ``ALIBABA_CLOUD_REGION_ID`` / ``ALIBABA_CLOUD_REGION`` / ``ALICLOUD_REGION`` → the
    profile's ``region_id``. ``endpoint`` overrides the host (``host``, ``https://host[:port]`` or
    ``http://127.0.0.1:PORT``). ``credentials``: ``Credentials``, any ``CredentialsProvider``, or None for the
    default chain (see ``_credentials``). ``max_retries`` and ``retry_deadline`` (seconds, sleeps included)
    bound the retries of errors; throttling answers (never applied) are retried until ``retry_deadline``
    alone, at most ``MAX_THROTTLING_RETRIES`` times. ``max_connections`` is the size of the keep-alive pool
    (set it to at least the number of threads sharing the client). ``sleep``, ``clock`` and ``jitter`` exist
    so tests never wait for real.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        credentials: Credentials | CredentialsProvider | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
        vpc: bool = False,
        retry_deadline: float = DEFAULT_RETRY_DEADLINE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        user_agent: str | None = None,
        environ: Mapping[str, str] | None = None,
        now: Callable[[], float] = time.time,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        if max_retries < 0:
            raise ConfigurationError("max_retries must be >= 0")
        if max_connections < 1:
            raise ConfigurationError("max_connections must be >= 1")
        if endpoint is None:
            self.region: str | None = _config.resolve_region(region, environ)
        else:
            try:
                self.region = _config.resolve_region(region, environ)
            except ConfigurationError:
                self.region = None  # an explicit endpoint does not need one
        self.endpoint: Endpoint = resolve_endpoint(region=self.region, endpoint=endpoint, vpc=vpc)
        if isinstance(credentials, Credentials):
            self._credentials: CredentialsProvider = StaticCredentialsProvider(credentials)
        elif credentials is None:
            self._credentials = DefaultCredentialsChain(environ=environ, transport=transport)
        elif isinstance(credentials, CredentialsProvider):
            self._credentials = credentials
        else:
            raise ConfigurationError(
                "credentials must be Credentials, a CredentialsProvider or None, "
                f"not {type(credentials).__name__}"
            )
        self.max_retries = max_retries
        self.retry_deadline = retry_deadline
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._now = now
        self._nonce = nonce
        self._user_agent = user_agent or (f"pulumi-ims-record/{_VERSION} python-httpx/{httpx.__version__}")
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._request_extensions = {"timeout": self._timeout.as_dict()}
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=30.0
        )
        # Requests go straight to the transport: httpx.Client's per-request merging of URL, cookies and
        # default headers cost ~25% of a call's CPU and does nothing for us. Only a proxy from the
        # environment needs the Client, which routes it.
        self._http: httpx.Client | None = None
        self._transport: httpx.BaseTransport | None = transport
        if transport is None and _environment_proxies():
            self._http = httpx.Client(timeout=self._timeout, limits=limits, follow_redirects=False)
        elif transport is None:
            self._transport = httpx.HTTPTransport(limits=limits)
        self._closed = threading.Event()

    # --- lifecycle ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._closed.set()
        if self._http is not None:
            self._http.close()
        if self._transport is not None:
            self._transport.close()

    def __enter__(self) -> IceClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"IceClient(endpoint={self.endpoint.base_url!r}, region={self.region!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "IceClient holds credentials and a connection pool; create one per process instead of pickling"
        )

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        self.__reduce__()

    # --- jobs -----------------------------------------------------------------------------------------------

    def submit_live_record_job(
        self,
        *,
        name: str,
        stream_input: StreamInput,
        record_output: RecordOutput,
        template_id: str,
        notify_url: str | None = None,
    ) -> SubmitLiveRecordJobResponse:
        """Start recording a live stream. Never resent after an ambiguous failure: OutcomeUnknownError."""
        job = fields.LiveRecordJob
        params = build_params(
            (job.name, name),
            (job.notify_url, notify_url),
            (job.record_output, json_field(record_output.to_wire())),
            (job.stream_input, json_field(stream_input.to_wire())),
            (job.template_id, template_id),
        )
        return self._call(_SUBMIT_JOB, params, _submit_answer)

    def get_live_record_job(self, *, job_id: str) -> GetLiveRecordJobResponse:
        params = build_params((Parameters.job_id, job_id))
        return self._call(_GET_JOB, params, _body(GetLiveRecordJobResponse.from_wire))

    def list_live_record_jobs(
        self,
        *,
        keyword: str | None = None,
        start_time: str | datetime | None = None,
        end_time: str | datetime | None = None,
        status: str | None = None,
        page_no: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
    ) -> ListLiveRecordJobsResponse:
        params = build_params(
            (Parameters.keyword, keyword),
            (Parameters.start_time, None if start_time is None else time_field(start_time)),
            (Parameters.end_time, None if end_time is None else time_field(end_time)),
            (Parameters.status, status),
            (Parameters.page_no, page_no),
            (Parameters.page_size, page_size),
            (Parameters.sort_by, sort_by),
        )
        return self._call(_LIST_JOBS, params, _body(ListLiveRecordJobsResponse.from_wire))

    def iter_live_record_jobs(
        self,
        *,
        keyword: str | None = None,
        start_time: str | datetime | None = None,
        end_time: str | datetime | None = None,
        status: str | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
    ) -> Iterator[LiveRecordJob]:
        """Every job matching the filters, page after page."""

        def page(page_no: int) -> tuple[Sequence[LiveRecordJob], int | None]:
            answer = self.list_live_record_jobs(
                keyword=keyword,
                start_time=start_time,
                end_time=end_time,
                status=status,
                page_no=page_no,
                page_size=page_size,
                sort_by=sort_by,
            )
            return answer.live_record_jobs, answer.total_count

        return _paginate(page)

    # --- files ----------------------------------------------------------------------------------------------

    def list_live_record_files(
        self,
        *,
        job_ids: Sequence[str] | None = None,
        start_time: str | datetime | None = None,
        end_time: str | datetime | None = None,
        page_no: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        record_format: str | None = None,
    ) -> ListLiveRecordFilesResponse:
        params = build_params(
            (Parameters.job_ids, None if job_ids is None else _strings(job_ids, "job_ids")),
            (Parameters.start_time, None if start_time is None else time_field(start_time)),
            (Parameters.end_time, None if end_time is None else time_field(end_time)),
            (Parameters.page_no, page_no),
            (Parameters.page_size, page_size),
            (Parameters.sort_by, sort_by),
            (Parameters.record_format, record_format),
        )
        return self._call(_LIST_FILES, params, _body(ListLiveRecordFilesResponse.from_wire))

    def iter_live_record_files(
        self,
        *,
        job_ids: Sequence[str] | None = None,
        start_time: str | datetime | None = None,
        end_time: str | datetime | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        record_format: str | None = None,
    ) -> Iterator[LiveRecordFile]:
        """Every recording file matching the filters, page after page."""

        def page(page_no: int) -> tuple[Sequence[LiveRecordFile], int | None]:
            answer = self.list_live_record_files(
                job_ids=job_ids,
                start_time=start_time,
                end_time=end_time,
                page_no=page_no,
                page_size=page_size,
                sort_by=sort_by,
                record_format=record_format,
            )
            return answer.files, answer.total_count

        return _paginate(page)

    def delete_live_record_files(
        self, *, record_ids: Sequence[str], remove_file: bool | None = None
    ) -> DeleteLiveRecordFilesResponse:
        """Delete file records (and, with ``remove_file=True``, the stored objects)."""
        params = build_params(
            (Parameters.record_ids, _strings(record_ids, "record_ids")), (Parameters.remove_file, remove_file)
        )
        return self._call(_DELETE_FILES, params, _body(DeleteLiveRecordFilesResponse.from_wire))

    # --- templates ------------------------------------------------------------------------------------------

    def create_live_record_template(
        self, *, name: str, record_formats: Sequence[RecordFormat]
    ) -> CreateLiveRecordTemplateResponse:
        template = fields.LiveRecordTemplate
        params = build_params(
            (template.name, name), (template.record_formats, _formats_field(record_formats))
        )
        return self._call(_CREATE_TEMPLATE, params, _body(CreateLiveRecordTemplateResponse.from_wire))

    def get_live_record_template(
        self, *, template_id: str, job_id: str | None = None
    ) -> GetLiveRecordTemplateResponse:
        """A template; with ``job_id``, the snapshot of it that the job uses."""
        params = build_params((Parameters.job_id, job_id), (Parameters.template_id, template_id))
        return self._call(_GET_TEMPLATE, params, _body(GetLiveRecordTemplateResponse.from_wire))

    def update_live_record_template(
        self, *, template_id: str, name: str, record_formats: Sequence[RecordFormat]
    ) -> UpdateLiveRecordTemplateResponse:
        """Replace the name and the whole format list of a custom template."""
        template = fields.LiveRecordTemplate
        params = build_params(
            (template.name, name),
            (template.record_formats, _formats_field(record_formats)),
            (Parameters.template_id, template_id),
        )
        return self._call(_UPDATE_TEMPLATE, params, _body(UpdateLiveRecordTemplateResponse.from_wire))

    def delete_live_record_template(self, *, template_id: str) -> DeleteLiveRecordTemplateResponse:
        return self._call(
            _DELETE_TEMPLATE,
            build_params((Parameters.template_id, template_id)),
            _body(DeleteLiveRecordTemplateResponse.from_wire),
        )

    def list_live_record_templates(
        self,
        *,
        keyword: str | None = None,
        type: str | None = None,
        template_ids: Sequence[str] | None = None,
        page_no: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
    ) -> ListLiveRecordTemplatesResponse:
        params = build_params(
            (Parameters.keyword, keyword),
            (Parameters.page_no, page_no),
            (Parameters.page_size, page_size),
            (Parameters.sort_by, sort_by),
            (
                Parameters.template_ids,
                None if template_ids is None else _strings(template_ids, "template_ids"),
            ),
            (Parameters.type, type),
        )
        return self._call(_LIST_TEMPLATES, params, _body(ListLiveRecordTemplatesResponse.from_wire))

    def iter_live_record_templates(
        self,
        *,
        keyword: str | None = None,
        type: str | None = None,
        template_ids: Sequence[str] | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
    ) -> Iterator[LiveRecordTemplate]:
        """Every template matching the filters, page after page."""

        def page(page_no: int) -> tuple[Sequence[LiveRecordTemplate], int | None]:
            answer = self.list_live_record_templates(
                keyword=keyword,
                type=type,
                template_ids=template_ids,
                page_no=page_no,
                page_size=page_size,
                sort_by=sort_by,
            )
            return answer.record_template_list, answer.total_count

        return _paginate(page)

    # --- the request loop -----------------------------------------------------------------------------------

    def _call(self, operation: _Operation, params: Params, parse: _Parse[T]) -> T:
        if self._closed.is_set():
            raise ConfigurationError(f"{operation.action}: the IceClient was closed")
        deadline = self._clock() + self.retry_deadline
        callers = OPERATION_DEADLINE.get()
        if callers is not None and callers < deadline:
            deadline = callers
        else:
            callers = None  # the client's own retry deadline comes first
        retries = 0  # of errors other than throttling: bounded by max_retries
        throttled = 0  # throttling answers (never applied): bounded by the deadline
        while True:
            if callers is not None and self._clock() >= callers:
                raise DeadlineExceededError(
                    f"{operation.action}: not sent, the deadline of the operation had come",
                    operation=operation.action,
                    attempts=retries + throttled,
                )
            try:
                return self._attempt(operation, params, parse, callers)
            except IceError as error:
                final = self._final_error(operation, error)
                if final is error:
                    raise
                if final is not None:
                    raise final from error
                is_throttling = isinstance(error, ThrottlingError)
                delay = self._delay(throttled if is_throttling else retries, error)
                remaining = deadline - self._clock()
                exhausted = (
                    throttled >= MAX_THROTTLING_RETRIES if is_throttling else retries >= self.max_retries
                )
                if exhausted or delay > remaining:
                    attempts = retries + throttled + 1
                    logger.debug("%s: giving up after %d attempt(s): %s", operation.action, attempts, error)
                    if callers is not None and not exhausted:
                        raise DeadlineExceededError(
                            f"{operation.action}: no usable answer in {attempts} attempt(s) before the "
                            f"deadline of the operation came; the last: {error}",
                            operation=operation.action,
                            attempts=attempts,
                            cause=error,
                        ) from None
                    raise
                logger.debug(
                    "%s: attempt %d failed (%s); retrying in %.3fs",
                    operation.action,
                    retries + throttled + 1,
                    error,
                    delay,
                )
                self._sleep(delay)
                if is_throttling:
                    throttled += 1
                else:
                    retries += 1

    def _final_error(self, operation: _Operation, error: IceError) -> IceError | None:
        """None when ``error`` may be retried; else the error to raise now."""
        if isinstance(error, (ConfigurationError, OutcomeUnknownError, CallsStoppedError)):
            return error
        if operation.mutating:
            if _is_applied_for_sure_not(error):
                return None
            if _is_transient(error) or getattr(error, "code", "") == "MalformedResponse":
                return OutcomeUnknownError(
                    f"{operation.action} may or may not have been applied ({error}); it is not retried "
                    "automatically because repeating it could act twice. Check the current state (for "
                    "SubmitLiveRecordJob: list jobs by name) before trying again.",
                    operation=operation.action,
                    cause=error,
                )
            return error
        return None if _is_transient(error) else error

    def _delay(self, attempt: int, error: IceError) -> float:
        if isinstance(error, ThrottlingError) and error.retry_after is not None:
            # Jittered: callers throttled together (the provider's threads) would otherwise all wake at the
            # same instant and race for the same token.
            return min(float(error.retry_after), RETRY_AFTER_CAP_SECONDS) * (1.0 + self._jitter())
        # Exponential backoff with full jitter.
        return self._jitter() * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2.0**attempt))

    def _extensions_until(self, deadline: float) -> dict[str, Any]:
        left = max(deadline - self._clock(), 0.001)
        phases = self._timeout.as_dict().items()
        return {"timeout": {phase: left if limit is None else min(limit, left) for phase, limit in phases}}

    def _send(self, request: httpx.Request) -> httpx.Response:
        """The whole answer (read, connection back in the pool), or an ``httpx.TransportError``."""
        if self._transport is None:
            assert self._http is not None
            return self._http.send(request)
        response = self._transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return response

    def _attempt(
        self, operation: _Operation, params: Params, parse: _Parse[T], deadline: float | None = None
    ) -> T:
        """One request; with a ``deadline`` (the caller's), no phase of it may wait past that."""
        credentials = self._credentials.get_credentials()
        wire = build_request(
            endpoint=self.endpoint,
            action=operation.action,
            method=operation.method,
            query=[] if operation.form_body else params,
            form=params if operation.form_body else None,
            credentials=credentials,
            user_agent=self._user_agent,
            now=self._now,
            nonce=self._nonce,
        )
        request = httpx.Request(
            wire.method,
            wire.url,
            headers={**wire.headers, "accept-encoding": ACCEPT_ENCODING},
            content=wire.body or None,
            extensions=self._request_extensions if deadline is None else self._extensions_until(deadline),
        )
        _CALL_GATE.enter(operation.action)
        try:
            response = self._send(request)
        except httpx.TransportError as exc:
            raise _transport_error(operation.action, self.endpoint.host, exc) from None
        finally:
            _CALL_GATE.leave()
        if not 200 <= response.status_code < 300:
            raise api_error_from_response(operation.action, response)
        try:
            document = response.json()
            if not isinstance(document, dict):
                raise MalformedResponse("the answer is not a JSON object")
            return parse(document, response.headers)
        except (ValueError, MalformedResponse) as exc:
            raise ApiError(
                operation=operation.action,
                status_code=response.status_code,
                code="MalformedResponse",
                message=f"unreadable success answer: {exc}",
                request_id=None,
            ) from None


_Parse = Callable[[Mapping[str, Any], httpx.Headers], T]
"""Builds an operation's answer from the JSON body and the response headers."""


def _body(parse: Callable[[Mapping[str, Any]], T]) -> _Parse[T]:
    """An answer built from the JSON body alone (every operation but Submit)."""
    return lambda document, _headers: parse(document)


def _submit_answer(document: Mapping[str, Any], headers: httpx.Headers) -> SubmitLiveRecordJobResponse:
    """Submit's answer plus the server's ``Date`` (when the job was created, to the second), so a caller can
    skip a GetLiveRecordJob just to learn it."""
    return replace(SubmitLiveRecordJobResponse.from_wire(document), server_time=_server_time(headers))


def _server_time(headers: httpx.Headers) -> str | None:
    """The ``Date`` header as ``yyyy-MM-ddTHH:mm:ssZ`` (UTC), the API's time format, or None."""
    value = headers.get("date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _environment_proxies() -> bool:
    """True when the environment names a proxy (``HTTP(S)_PROXY``, ``ALL_PROXY``): httpx.Client routes it."""
    return any(scheme in ("http", "https", "all") for scheme in urllib.request.getproxies())


def _strings(values: Sequence[str], argument: str) -> list[str]:
    if isinstance(values, str):  # a lone string would be split into characters
        raise TypeError(f"{argument} must be a sequence of strings, not a single string")
    return [str(value) for value in values]


def _formats_field(record_formats: Sequence[RecordFormat]) -> str:
    return json_field([record_format.to_wire() for record_format in record_formats])


def _paginate(fetch: Callable[[int], tuple[Sequence[T], int | None]]) -> Iterator[T]:
    """Pages 1, 2, ... until an empty page, a short page, or ``TotalCount`` items were seen."""
    page_no = 1
    seen = 0
    first_page_size: int | None = None
    while True:
        items, total = fetch(page_no)
        yield from items
        seen += len(items)
        if first_page_size is None:
            first_page_size = len(items)
        if (
            not items
            or (total is not None and seen >= total)
            or (total is None and len(items) < first_page_size)
        ):
            return
        page_no += 1
