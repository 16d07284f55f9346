"""The HTTP wire layer of the local IMS: the API listener, bucket playback, and the loopback-only admin
listener.

``LocalIms`` puts the pieces together (SQLite, backend, recorder, callbacks, faults, auth) and runs two
``ThreadingHTTPServer``s speaking HTTP/1.1 with keep-alive. Tests start it in-process (``with
LocalIms(...)``); ``python -m pulumi_ims_record.local`` runs it as a process.

Order of work for an API request: route on the action (``x-acs-action`` header, else the ``Action`` query
parameter) and count it; read the body (``_body``: Content-Length or chunked, at most 1 MiB, else 413
without keeping the rest in memory); check the version; decide injected faults (before anything is applied);
verify the signature; apply the operation; answer JSON."""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import ipaddress
import json
import logging
import mimetypes
import os
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pulumi_ims_record.api import API_VERSION
from pulumi_ims_record.api.fields import Answer, CommonParameters
from pulumi_ims_record.local import console, storage
from pulumi_ims_record.local._body import read_request_body
from pulumi_ims_record.local._datalock import DataDirectoryLock
from pulumi_ims_record.local._logging import REQUEST_LOGGER
from pulumi_ims_record.local._operations import OPERATIONS, Params, render_error, render_file
from pulumi_ims_record.local._records import ACTIONS
from pulumi_ims_record.local.auth import AccessKey, Authenticator, SignedRequest
from pulumi_ims_record.local.callbacks import DEFAULT_USER_ID, CallbackSender
from pulumi_ims_record.local.db import DATABASE_FILE_NAME, Database
from pulumi_ims_record.local.exceptions import (
    ImsApiError,
    InternalError,
    InvalidAction,
    InvalidParameter,
    UnsupportedHttpMethod,
)
from pulumi_ims_record.local.faults import FaultInjector, FaultSettings, FaultSettingsError
from pulumi_ims_record.local.limits import Janitor, Limits
from pulumi_ims_record.local.limits import describe as describe_limits
from pulumi_ims_record.local.models import Backend, RecorderLike, render_waiting
from pulumi_ims_record.local.recorder import masked_url

logger = logging.getLogger(__name__)
request_logger = logging.getLogger(REQUEST_LOGGER)

MAX_QUERY_FIELDS = 5000
IDLE_CONNECTION_TIMEOUT = 120.0
DEFAULT_ACCESS_KEY = AccessKey("ims-local-key", "ims-local-secret")
INVALID_ACTION_STAT = "<invalid>"
HEALTH_PATH = "/_health"


@functools.cache
def package_version() -> str:
    """This package's version from its installed metadata (read once: it costs ~40 ms)."""
    from importlib import metadata

    try:
        return metadata.version("pulumi-ims-record")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".mp4": "video/mp4",
    ".flv": "video/x-flv",
    ".json": "application/json",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# A Host header worth echoing into URLs: a name or an IPv4/[IPv6] address, an optional port; anything else
# (spaces, slashes, "@") falls back to the server's own address.
_USABLE_HOST = re.compile(r"(?:[A-Za-z0-9._~-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?")

RecorderFactory = Callable[[Backend], RecorderLike]


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


@dataclass
class ServerConfig:
    """Everything ``LocalIms`` needs; the command line fills it from options and ``IMS_LOCAL_*`` variables."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    admin_port: int = 0
    access_keys: Sequence[AccessKey] = field(default_factory=lambda: [DEFAULT_ACCESS_KEY])
    pull_timeout: float = 180.0
    user_id: int = DEFAULT_USER_ID
    faults: FaultSettings = field(default_factory=FaultSettings)
    limits: Limits = field(default_factory=Limits)  # none unless given (the command line gives defaults)


class Stats:
    """Calls per action (every request that reached the wire layer) and completions, with a long-poll wait;
    also how many requests are being answered now and the most at once since the last reset (how parallel
    a client, such as ``pulumi up --parallel``, really was)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._calls: Counter[str] = Counter()
        self._completed: Counter[str] = Counter()
        self._in_flight = 0
        self._peak_in_flight = 0

    def called(self, action: str) -> None:
        with self._condition:
            self._calls[action] += 1
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)

    def completed(self, action: str) -> None:
        with self._condition:
            self._completed[action] += 1
            self._in_flight -= 1
            self._condition.notify_all()

    def snapshot(self) -> dict[str, Any]:
        with self._condition:
            return {
                "calls": dict(self._calls),
                "total": sum(self._calls.values()),
                "completed": dict(self._completed),
                "in_flight": self._in_flight,
                "peak_in_flight": self._peak_in_flight,
            }

    def reset(self) -> None:
        """Zero the counters; requests still being answered stay in flight (and count toward the peak)."""
        with self._condition:
            self._calls.clear()
            self._completed.clear()
            self._peak_in_flight = self._in_flight
            self._condition.notify_all()

    def wait(self, action: str | None, count: int, timeout: float) -> tuple[bool, int]:
        """Wait until ``count`` calls of ``action`` (or of any action) completed; ``(reached, completed)``."""
        deadline = time.monotonic() + timeout

        def current() -> int:
            return self._completed[action] if action else sum(self._completed.values())

        with self._condition:
            while current() < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False, current()
                self._condition.wait(remaining)
            return True, current()


class _TrackingServer(ThreadingHTTPServer):
    """A threading server that remembers its open connections so ``close`` can end idle keep-alive ones."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], ims: LocalIms
    ) -> None:
        self.ims = ims
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


_HEADER_NAME = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
MAX_HEADER_LINE_BYTES = 65536
MAX_HEADER_LINES = 100


def _request_line_problem(line: bytes) -> tuple[int, str] | None:
    """``(status, message)`` for a request line http.server would take but a strict server refuses."""
    words = line.rstrip(b"\r\n").split()
    if not words:
        return None  # an empty line: http.server closes without an answer
    if len(words) != 3:
        return 400, "Bad request line: expected 'METHOD /path HTTP/1.1'."
    if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
        return 400, "Bad request line: it must end with CRLF."
    if not words[2].startswith(b"HTTP/"):
        return 400, "Bad request line: the protocol must be HTTP/1.0 or HTTP/1.1."
    if words[2] not in (b"HTTP/1.0", b"HTTP/1.1"):
        return 505, f"HTTP version {words[2][:20].decode('latin-1')!r} is not supported; use HTTP/1.1."
    return None


def _read_header_block(rfile: Any) -> tuple[list[bytes], tuple[int, str] | None]:
    """The header lines up to and with the blank line, or the ``(status, message)`` to refuse them with."""
    lines: list[bytes] = []
    hosts = 0
    while True:
        line = rfile.readline(MAX_HEADER_LINE_BYTES + 1)
        if len(line) > MAX_HEADER_LINE_BYTES:
            return lines, (431, "A header line is too long.")
        if line == b"\r\n":
            lines.append(line)
            return lines, None
        if not line:
            return lines, (400, "The headers ended before the blank line.")
        if len(lines) >= MAX_HEADER_LINES:
            return lines, (431, f"More than {MAX_HEADER_LINES} header lines.")
        if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
            return lines, (400, "A header line does not end with CRLF.")
        if line[:1] in (b" ", b"\t"):
            return lines, (400, "Folded header lines (obs-fold) are not accepted.")
        name, colon, _ = line.partition(b":")
        if not colon or not _HEADER_NAME.fullmatch(name):
            return lines, (400, "A header line is not 'Name: value'.")
        hosts += name.lower() == b"host"
        if hosts > 1:
            return lines, (400, "More than one Host header.")
        lines.append(line)


@dataclass
class RequestLog:
    """What the request log says of one request, filled in as the request is understood."""

    started: float  # time.monotonic()
    target: str  # the API action (``<invalid>`` when there is none), else the path
    access_key_id: str | None = None  # once the signature checked out; never the secret
    code: str | None = None  # the API error code of an error answer
    request_id: str | None = None


def _listen(
    host: str, port: int, handler: type[BaseHTTPRequestHandler], ims: LocalIms, what: str
) -> _TrackingServer:
    """A listener on ``host:port``; an address in use is said with the port and which one it is."""
    try:
        return _TrackingServer((host, port), handler, ims)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            said = f"{host}:{port}, {what}, is in use (`ss -ltnp 'sport = :{port}'` says by what)"
            raise OSError(error.errno, said) from None
        raise


class _JsonHandler(BaseHTTPRequestHandler):
    """Shared plumbing: JSON answers, quiet logs (never the request line: V2 has credentials in it)."""

    protocol_version = "HTTP/1.1"
    # send_json writes headers and body in two sends: with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms on Linux) on every keep-alive answer.
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_TIMEOUT
    server: _TrackingServer
    server_version = "ims-local"
    sys_version = ""
    # Before the request line is understood, answers still need a status line: http.server's default
    # (HTTP/0.9) would send a bare body, which no client can read.
    default_request_version = "HTTP/1.0"

    request_log: RequestLog | None = None  # the request being answered, for the request log

    def parse_request(self) -> bool:
        self.request_log = None
        return self._parse_request()

    def _parse_request(self) -> bool:
        """http.server's parsing, made strict the way a front proxy is (RFC 9112): no HTTP/0.9, CRLF line
        ends, ``Name: value`` header lines without folding, one Host. Anything else is a 400 and the
        connection closes, so no two parsers can disagree about where a request ends (request smuggling)."""
        problem = _request_line_problem(getattr(self, "raw_requestline", b""))
        lines: list[bytes] = []
        if problem is None:
            lines, problem = _read_header_block(self.rfile)
        if problem is not None:
            self.command, self.close_connection = "", True  # no command: the answer keeps its body
            self.request_version = self.default_request_version
            self.send_error(*problem)
            return False
        real_rfile = self.rfile
        self.rfile = io.BytesIO(b"".join(lines))  # the checked block, parsed again by http.server
        try:
            return super().parse_request()
        finally:
            self.rfile = real_rfile

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args if "%" in format else format)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("%s %s -> %s", self.command, urlsplit(getattr(self, "path", "")).path, code)

    def send_json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level failures (bad request line, URI or headers too long) also answer JSON."""
        self.close_connection = True
        request_id = new_request_id()
        with contextlib.suppress(OSError):
            self.send_json(
                code,
                render_error(
                    request_id,
                    self.request_host(),
                    {
                        414: "RequestURITooLong",
                        431: "RequestHeaderFieldsTooLarge",
                        505: "HTTPVersionNotSupported",
                        501: "UnsupportedHTTPMethod",
                    }.get(code, "BadRequest"),
                    message or "The request could not be understood.",
                ),
                {"x-acs-request-id": request_id},
            )

    def request_host(self) -> str:
        """The host the client addressed (a proxy's or a port mapping's), else the server's own address."""
        headers = getattr(self, "headers", None)  # absent when the request line itself was refused
        host = (headers.get("Host") or "").strip() if headers is not None else ""
        return host if _USABLE_HOST.fullmatch(host) else self.server.ims.host_id

    def send_api_error(self, error: ImsApiError, request_id: str) -> None:
        if self.request_log is not None:
            self.request_log.code, self.request_log.request_id = error.code, request_id
        headers = {"x-acs-request-id": request_id, **error.headers}
        self.send_json(
            error.status,
            render_error(
                request_id,
                self.request_host(),
                error.code,
                error.message,
                recommend=f"https://api.aliyun.com/troubleshoot?q={error.code}&product=ICE&requestId={request_id}",
            ),
            headers,
        )

    def read_limited_body(self) -> bytes:
        """The body, decoded when chunked, at most ``MAX_BODY_BYTES`` (see ``_body``); closes on any error."""
        try:
            return read_request_body(
                self.rfile,
                self.headers,
                http_version=self.request_version,
                connection=self.connection,
                idle_timeout=self.timeout,
            )
        except ImsApiError:
            self.close_connection = True
            raise

    def headers_lower(self) -> dict[str, str]:
        merged: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            merged.setdefault(name.lower(), []).append(value.strip())
        return {
            name: ",".join(sorted(values)) if len(values) > 1 else values[0]
            for name, values in merged.items()
        }


def utf8_request_path(path: str) -> str:
    """``http.server`` reads the request line as Latin-1; a player that sends a non-ASCII path unencoded sends
    UTF-8, so undo that before percent-decoding (a path that is not UTF-8 stays as it came)."""
    try:
        return path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return path


def _parse_pairs(text: str, what: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_QUERY_FIELDS)
    except UnicodeDecodeError:
        raise InvalidParameter(what, "is not valid UTF-8 after percent-decoding") from None
    except ValueError:
        raise InvalidParameter(what, f"has more than {MAX_QUERY_FIELDS} fields") from None


class ApiHandler(_JsonHandler):
    """``/`` is the ICE API (any of the ten actions); ``/_buckets/<bucket>/<key>`` serves recorded files;
    ``/_console/`` is the read-only web console (and where a browser at ``/`` is sent); ``/_health`` says
    whether the server is ready (and, to loopback clients, what it holds)."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        if urlsplit(self.path).path.startswith("/_buckets/"):
            self.send_response(204)
            self._cors_headers()
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Range")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._dispatch()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One INFO line per answer: what was asked (the API action, or the path), by which access key, the
        status, the API error code, how long until the answer started, and the RequestId."""
        entry = self.request_log or RequestLog(time.monotonic(), urlsplit(getattr(self, "path", "")).path)
        fields = {
            "method": self.command,
            "target": entry.target,
            "accessKeyId": entry.access_key_id,
            "status": int(code) if str(code).isdigit() else None,
            "code": entry.code,
            "ms": round((time.monotonic() - entry.started) * 1000, 1),
            "requestId": entry.request_id,
        }
        request_logger.info(
            "%s %s %s %s key=%s %.1fms %s",
            self.command, entry.target, code, entry.code or "-", entry.access_key_id or "-", fields["ms"],
            entry.request_id or "-", extra={"request": fields},
        )  # fmt: skip

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        path, reading = parts.path, self.command in ("GET", "HEAD")
        self.request_log = RequestLog(time.monotonic(), path)
        if path.startswith("/_buckets/") and reading:
            self._serve_bucket_file(path)
        elif (path == console.PREFIX or path.startswith(f"{console.PREFIX}/")) and reading:
            self._serve_console(path)
        elif path == HEALTH_PATH and reading:
            health = self.server.ims.health(details=self._from_loopback())
            self.send_json(200, health, {"Cache-Control": "no-store"})
        elif reading and not parts.query and "x-acs-action" not in self.headers:
            if path == "/":  # a browser at the endpoint (no API call in it): the console
                self._send_plain(302, b"", {"Location": f"{console.PREFIX}/"})
            else:  # a browser's /favicon.ico, a stray link: no API call either, logged by its path
                self._send_plain(404, b"Not found\n", {"Content-Type": "text/plain; charset=utf-8"})
        else:
            self._serve_api(path)

    # --- console --------------------------------------------------------------------------------------------

    def _send_plain(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _from_loopback(self) -> bool:
        return ipaddress.ip_address(self.client_address[0]).is_loopback

    def _serve_console(self, path: str) -> None:
        """The read-only console, to loopback clients only (like the admin API: it has no credentials)."""
        if not self._from_loopback():
            body = b"The local IMS console is served to loopback clients only.\n"
            self._send_plain(403, body, {"Content-Type": "text/plain; charset=utf-8"})
            return
        if path == console.STATE_PATH:
            self.send_json(200, console.state(self.server.ims.backend), console.SECURITY_HEADERS)
            return
        if path.startswith(console.LIVE_PREFIX) and path.endswith(console.LIVE_SUFFIX):
            job_id = unquote(path[len(console.LIVE_PREFIX) : -len(console.LIVE_SUFFIX)])
            playlist = console.live_playlist(self.server.ims.backend, job_id)
            if playlist is None:
                body = b"No open cycle with recorded slices for this job.\n"
                self._send_plain(404, body, {"Content-Type": "text/plain; charset=utf-8"})
                return
            headers = {"Content-Type": console.PLAYLIST_TYPE, **console.SECURITY_HEADERS}
            self._send_plain(200, playlist.encode(), headers)
            return
        found = console.asset(path)
        if found is None:
            self._send_plain(404, b"No such console page.\n", {"Content-Type": "text/plain; charset=utf-8"})
            return
        body, content_type = found
        self._send_plain(200, body, {"Content-Type": content_type, **console.SECURITY_HEADERS})

    # --- API ------------------------------------------------------------------------------------------------

    def _route(self, query: Sequence[tuple[str, str]]) -> tuple[str, str | None, ImsApiError | None]:
        """``(action, version, error)`` from what the request's signature covers.

        V3 signs every ``x-acs-*`` header, so ``x-acs-action`` / ``x-acs-version`` decide, else the query. V2
        (a ``Signature`` parameter, no ``Authorization``) signs parameters and no header: only the signed
        ``Action`` / ``Version`` decide, and headers that say otherwise are refused, or an unsigned header
        could turn a signed Get into a Delete."""
        first: dict[str, str] = {}
        for name, value in query:
            first.setdefault(name, value)  # the first occurrence wins, as for every parameter
        header_action, header_version = self.headers.get("x-acs-action"), self.headers.get("x-acs-version")
        action, version = first.get(CommonParameters.action.api, ""), first.get(CommonParameters.version.api)
        if "Authorization" in self.headers or "Signature" not in first:
            return header_action or action, header_version or version, None
        for header, claimed, signed in (
            ("x-acs-action", header_action, action),
            ("x-acs-version", header_version, version),
        ):
            if claimed is not None and claimed != signed:
                return action, version, InvalidParameter(
                    header,
                    f"the header says {claimed[:80]!r} but the V2-signed parameter says "
                    f"{str(signed)[:80]!r}; V2 signs parameters only, so the header must match them or be "
                    "left out",
                )
        return action, version, None

    def _serve_api(self, path: str) -> None:
        ims = self.server.ims
        request_id = new_request_id()
        query_error: InvalidParameter | None = None
        try:
            query = _parse_pairs(urlsplit(self.path).query, "query string")
        except InvalidParameter as error:
            query, query_error = [], error
        action, version, route_error = self._route(query)
        stat_key = action if action in ACTIONS else INVALID_ACTION_STAT
        ims.stats.called(stat_key)
        if self.request_log is not None:
            self.request_log.target, self.request_log.request_id = stat_key, request_id
        try:
            if query_error is not None:
                raise query_error
            if route_error is not None:
                raise route_error
            body = self.read_limited_body()
            if path != "/":
                raise InvalidAction(f"The path must be '/', got {path[:100]!r}.")
            if self.command not in ("GET", "POST"):
                raise UnsupportedHttpMethod(self.command)
            if action not in OPERATIONS or version != API_VERSION:
                raise InvalidAction(
                    f"Action {action[:80]!r}, version {str(version)[:20]!r}; expected {API_VERSION}."
                )
            form = self._form_params(body)
            decision = ims.faults.decide(action)
            if decision.latency_seconds > 0:
                time.sleep(decision.latency_seconds)
            if decision.drop:
                # Close without an answer: the client sees the connection end (outcome unknown to it).
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if decision.error is not None and not decision.error_after_apply:
                raise decision.error
            access_key_id = ims.authenticator.verify(
                SignedRequest(
                    method=self.command, query=query, headers=self.headers_lower(), body=body, form=form
                )
            )
            if self.request_log is not None:
                self.request_log.access_key_id = access_key_id
            result = OPERATIONS[action](
                ims.backend, Params([*query, *form], base_url=f"http://{self.request_host()}")
            )
            if decision.error is not None:
                raise decision.error
            self.send_json(
                200, {Answer.request_id.api: request_id, **result}, {"x-acs-request-id": request_id}
            )
        except ImsApiError as error:
            if error.status >= 500 or error.code.startswith("Throttling"):
                logger.info("%s answered %s %s", stat_key, error.status, error.code)
            with contextlib.suppress(OSError):
                self.send_api_error(error, request_id)
        except Exception:
            logger.exception("internal error in %s", stat_key)
            with contextlib.suppress(OSError):
                self.send_api_error(InternalError(), request_id)
        finally:
            ims.stats.completed(stat_key)

    def _form_params(self, body: bytes) -> list[tuple[str, str]]:
        if not body:
            return []
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise InvalidParameter(
                "Content-Type",
                f"a request body must be application/x-www-form-urlencoded, got {content_type[:60]!r}",
            )
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidParameter("body", "is not valid UTF-8") from None
        return _parse_pairs(text, "form body")

    # --- playback -------------------------------------------------------------------------------------------

    def _cors_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges")

    def _not_found(self, what: str) -> None:
        request_id = new_request_id()
        self.send_api_error(
            ImsApiError(404, "NoSuchKey", f"The specified key does not exist: {what[:200]}"), request_id
        )

    def _serve_bucket_file(self, path: str) -> None:
        bucket, _, key = utf8_request_path(path)[len("/_buckets/") :].partition("/")
        bucket, key = unquote(bucket), unquote(key)
        if storage.validate_bucket_name(bucket) is not None:
            self._not_found(bucket)
            return
        try:
            file_path = storage.safe_object_path(self.server.ims.backend.bucket_dir(bucket), key)
        except storage.UnsafeObjectKeyError:
            self._not_found(key)
            return
        try:
            handle = open(file_path, "rb")  # noqa: SIM115 - closed in the finally below
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            self._not_found(key)
            return
        try:
            size = os.fstat(handle.fileno()).st_size
            start, end = 0, size - 1
            status = 200
            range_header = self.headers.get("Range")
            if range_header and size > 0:
                parsed = self._parse_range(range_header, size)
                if parsed is None:
                    self.send_response(416)
                    self._cors_headers()
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start, end = parsed
                status = 206
            length = max(0, end - start + 1)
            self.send_response(status)
            self._cors_headers()
            suffix = file_path.suffix.lower()
            content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(file_path.name)[0]
            self.send_header("Content-Type", content_type or "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Cache-Control", "no-cache")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if self.command == "HEAD":
                return
            handle.seek(start)
            remaining = length
            while remaining > 0:
                chunk = handle.read(min(remaining, 65536))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)
        finally:
            handle.close()

    @staticmethod
    def _parse_range(header: str, size: int) -> tuple[int, int] | None:
        match = _RANGE.fullmatch(header.strip())
        if match is None or match.group(1) == match.group(2) == "":
            return None
        first, last = match.group(1), match.group(2)
        if first == "":
            start = max(0, size - int(last))
            end = size - 1
        else:
            start = int(first)
            end = min(size - 1, int(last)) if last else size - 1
        if start > end or start >= size:
            return None
        return start, end


class AdminHandler(_JsonHandler):
    """The admin API (loopback only): stats, wait, faults, jobs (list, stop one or all, remove), a job's
    files, and reset."""

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def _route(self) -> None:
        ims = self.server.ims
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path.rstrip("/") or "/"
        try:
            body = self.read_limited_body()
        except ImsApiError as error:
            self.send_json(error.status, {"error": error.message})
            return
        method = self.command
        segments = [unquote(s) for s in path.strip("/").split("/")] if path != "/" else []
        if method == "GET" and path == "/stats":
            self.send_json(200, ims.stats.snapshot())
        elif method == "POST" and path == "/stats/reset":
            ims.stats.reset()
            self.send_json(200, ims.stats.snapshot())
        elif method == "GET" and path == "/wait":
            self._wait(query)
        elif path == "/faults" and method in ("GET", "PUT", "DELETE"):
            self._faults(method, body)
        elif method == "GET" and path == "/jobs":
            self._jobs()
        elif method == "POST" and path == "/jobs/stop":
            self.send_json(200, {"stopped": ims.backend.stop_all_jobs()})
        elif len(segments) == 3 and segments[0] == "jobs" and segments[2] == "stop" and method == "POST":
            job = ims.backend.stop_job(segments[1])
            if job is None:
                self.send_json(404, {"error": f"no job {segments[1]!r}"})
            else:
                self.send_json(200, {"stopped": job.job_id, "status": job.status, "gave_up": job.gave_up})
        elif method == "POST" and path == "/reset":
            if query.get("confirm") != "yes":
                said = "reset deletes every job, custom template and recording: add ?confirm=yes"
                self.send_json(400, {"error": said})
            else:
                self.send_json(200, {"deleted_jobs": ims.backend.reset()})
        elif len(segments) == 2 and segments[0] == "jobs" and method == "DELETE":
            if ims.backend.remove_job(segments[1]):
                self.send_json(200, {"deleted": segments[1]})
            else:
                self.send_json(404, {"error": f"no job {segments[1]!r}"})
        elif len(segments) == 3 and segments[0] == "jobs" and segments[2] == "files" and method == "GET":
            self._job_files(segments[1])
        elif method == "GET" and path == "/":
            self.send_json(
                200, {"endpoint": ims.endpoint, "buckets": ims.buckets_url, "data_dir": str(ims.data_dir)}
            )
        else:
            self.send_json(404, {"error": f"no admin route {method} {path[:100]}"})

    def _wait(self, query: dict[str, str]) -> None:
        try:
            count = int(query.get("count", "1"))
            timeout = min(float(query.get("timeout", "10")), 600.0)
        except ValueError:
            self.send_json(400, {"error": "count must be an integer and timeout a number of seconds"})
            return
        action = query.get("action") or None
        reached, calls = self.server.ims.stats.wait(action, count, timeout)
        self.send_json(200 if reached else 408, {"calls": calls})

    def _faults(self, method: str, body: bytes) -> None:
        ims = self.server.ims
        if method == "PUT":
            try:
                ims.faults.settings = FaultSettings.from_json(json.loads(body or b"{}"))
            except (ValueError, FaultSettingsError) as error:
                self.send_json(400, {"error": str(error)})
                return
            logger.info("fault settings changed: %s", ims.faults.settings.to_json())
        elif method == "DELETE":
            ims.faults.settings = FaultSettings()
        self.send_json(200, ims.faults.settings.to_json())

    def _jobs(self) -> None:
        backend = self.server.ims.backend
        files = backend.db.file_counts()
        jobs = [
            {
                "job_id": job.job_id,
                "name": job.name,
                "status": job.status,
                "gave_up": job.gave_up,
                "recording": backend.recorder.is_recording(job.job_id),
                "waiting": render_waiting(backend.recorder.waiting(job.job_id)),
                "create_time": job.create_time,
                "stream": masked_url(job.stream_url),
                "bucket": job.bucket,
                "files": files.get(job.job_id, 0),
            }
            for job in backend.db.every_job()
        ]
        self.send_json(200, {"jobs": jobs})

    def _job_files(self, job_id: str) -> None:
        backend = self.server.ims.backend
        job_known = backend.db.get_job(job_id) is not None
        records = backend.files_of_job(job_id)
        if not job_known and not records:
            self.send_json(404, {"error": f"no job {job_id!r}"})
            return
        files = []
        for record in records:
            entry = render_file(record, backend)
            try:
                path = storage.safe_object_path(backend.bucket_dir(record.bucket), record.object_key)
                entry["Path"] = str(path)
                entry["Exists"] = path.is_file()
            except storage.UnsafeObjectKeyError:
                entry["Exists"] = False
            files.append(entry)
        self.send_json(200, {"job_id": job_id, "files": files})


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else ("[::1]" if host == "::" else host)


class LocalIms:
    """The local IMS in one object: ``start()`` binds and serves, ``stop()`` closes recordings and state."""

    def __init__(self, config: ServerConfig, recorder_factory: RecorderFactory | None = None) -> None:
        self.config = config
        self.data_dir = Path(config.data_dir)
        self._recorder_factory = recorder_factory
        self.stats = Stats()
        self.faults = FaultInjector(config.faults)
        self.authenticator = Authenticator(config.access_keys)
        self.callbacks: CallbackSender | None = None
        self.db: Database | None = None
        self._backend: Backend | None = None
        self._api: _TrackingServer | None = None
        self._admin: _TrackingServer | None = None
        self._threads: list[threading.Thread] = []
        self._janitor: Janitor | None = None
        self._stopped = threading.Event()
        self._data_lock = DataDirectoryLock(self.data_dir)
        self.host_id = "ims-local"

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("the local IMS is not started")
        return self._backend

    @property
    def port(self) -> int:
        return self._api.server_address[1] if self._api else 0

    @property
    def admin_port(self) -> int:
        return self._admin.server_address[1] if self._admin else 0

    @property
    def endpoint(self) -> str:
        return f"http://{_display_host(self.config.host)}:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def buckets_url(self) -> str:
        return f"{self.endpoint}/_buckets/"

    def health(self, *, details: bool) -> dict[str, Any]:
        """``GET /_health``: ready and version for anyone; with ``details`` (loopback clients) what this
        server holds and does: data directory, jobs by status, recorders running, disk used, faults on."""
        ready = self._api is not None and not self._stopped.is_set()
        answer: dict[str, Any] = {"ready": ready, "version": package_version()}
        if not details or self._backend is None:
            return answer
        backend = self._backend
        jobs = backend.db.jobs_to_resume()
        return {
            **answer,
            "dataDirectory": str(self.data_dir.resolve()),
            "jobs": backend.db.job_counts(),
            "recordersRunning": sum(backend.recorder.is_recording(job.job_id) for job in jobs),
            # The recorders that have no data now, and why (the stream not there yet, interrupted, refused).
            "waitingForStream": [
                {"jobId": job.job_id, **said}
                for job in jobs
                if (said := render_waiting(backend.recorder.waiting(job.job_id))) is not None
            ],
            "diskUsedBytes": storage.directory_size(self.data_dir),
            "faultInjection": self.faults.settings != FaultSettings(),
            "limits": describe_limits(self.config.limits),
        }

    def ready_info(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "admin": self.admin_url,
            "buckets": self.buckets_url,
            "pid": os.getpid(),
        }

    def start(self) -> None:
        """Lock the data directory (``DataDirectoryInUse`` when another server holds it), open the state,
        bind both listeners, resume jobs."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._data_lock.acquire()
        self.db = Database(self.data_dir / DATABASE_FILE_NAME)
        self.callbacks = CallbackSender(user_id=self.config.user_id)
        backend = Backend(self.db, self.data_dir, events=self.callbacks)
        recorder = (
            self._recorder_factory(backend) if self._recorder_factory else self._default_recorder(backend)
        )
        backend.attach_recorder(recorder)
        self._backend = backend
        self._api = _listen(self.config.host, self.config.port, ApiHandler, self, "the API port (--port)")
        self._admin = _listen(
            "127.0.0.1", self.config.admin_port, AdminHandler, self, "the admin port (--admin-port)"
        )
        self.host_id = f"{_display_host(self.config.host)}:{self.port}"
        backend.public_base_url = self.endpoint
        self.callbacks.own_ports = frozenset({self.port, self.admin_port})
        self._data_lock.describe(endpoint=self.endpoint)
        for name, server in (("ims-api", self._api), ("ims-admin", self._admin)):
            thread = threading.Thread(target=server.serve_forever, name=name, kwargs={"poll_interval": 0.05})
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        resumed = backend.resume_jobs()
        if resumed:
            logger.info("resumed %d job(s) from %s", resumed, self.db.path)
        self._janitor = Janitor(backend, self.config.limits)
        self._janitor.start()

    def _default_recorder(self, backend: Backend) -> RecorderLike:
        from pulumi_ims_record.local.recorder import Recorder

        return Recorder(backend, pull_timeout=self.config.pull_timeout)

    def stop(self) -> None:
        """Stop serving, close open recordings (files stay valid and recorded), close state. Idempotent."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        serving = bool(self._threads)  # shutdown() waits for serve_forever, which never ran if start() failed
        for server in (self._api, self._admin):
            if server is not None:
                if serving:
                    server.shutdown()
                server.server_close()
                server.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._janitor is not None:
            self._janitor.stop()
        if self._backend is not None:
            try:
                self._backend.recorder.stop_all()
            except Exception:
                logger.exception("the recorder failed to stop cleanly")
        if self.callbacks is not None:
            self.callbacks.wait_idle(timeout=2.0, include_retries=False)
            self.callbacks.close()
        if self.db is not None:
            self.db.close()
        self._data_lock.release()  # last: nothing of this server touches the directory after it

    def __enter__(self) -> LocalIms:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(config: ServerConfig, recorder_factory: RecorderFactory | None = None) -> Iterator[LocalIms]:
    """``with running(config) as ims:`` — a started local IMS, stopped on exit."""
    ims = LocalIms(config, recorder_factory)
    ims.start()
    try:
        yield ims
    finally:
        ims.stop()
