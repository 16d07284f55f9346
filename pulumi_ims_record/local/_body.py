"""Reading a request body as an HTTP/1.1 server must: ``Content-Length`` or ``Transfer-Encoding: chunked``.

Both framings share one limit: a body over ``MAX_BODY_BYTES`` is refused with ``413`` after reading and
discarding it up to ``MAX_DRAINED_BYTES`` (so a client that sends everything before reading still sees the
answer); beyond that the server answers at once and closes. Nothing over the limit is kept in memory. Framing
that cannot be trusted (a bad chunk size line, a body that ends before its final ``0`` chunk,
``Transfer-Encoding`` together with ``Content-Length``) is a ``400``; an unknown transfer coding is ``501``; a
body that does not arrive within ``BODY_DEADLINE_SECONDS`` is ``408``. After any of these the connection is
closed, because where the next request would start is unknown. Standard library only."""

from __future__ import annotations

import socket
import time
from email.message import Message
from io import BufferedIOBase

from pulumi_ims_record.local.exceptions import ImsApiError, RequestEntityTooLarge

MAX_BODY_BYTES = 1 << 20
# A too-large body is read and discarded up to this size, so the client sees the 413 rather than a reset.
MAX_DRAINED_BYTES = 64 << 20
# The whole body must arrive within this time, however it is trickled (a slow sender holds one thread only).
BODY_DEADLINE_SECONDS = 60.0
# A chunk size line with its extensions, and all trailer lines together.
MAX_CHUNK_LINE_BYTES = 4096
MAX_TRAILER_BYTES = 16384
_READ_PIECE = 65536
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class MalformedBody(ImsApiError):
    """The body's framing cannot be parsed (400); the connection is closed after the answer."""

    def __init__(self, detail: str) -> None:
        super().__init__(400, "MalformedBody", f"The request body is malformed: {detail}.")


class UnsupportedTransferEncoding(ImsApiError):
    """A transfer coding other than ``chunked`` (501, as RFC 9112 §6.1 asks of a server that lacks it)."""

    def __init__(self, value: str) -> None:
        super().__init__(
            501,
            "UnsupportedTransferEncoding",
            f"Transfer-Encoding {value[:60]!r} is not supported; send the body chunked or with a "
            "Content-Length.",
        )


class BodyTimeout(ImsApiError):
    def __init__(self) -> None:
        super().__init__(
            408,
            "RequestTimeout",
            f"The request body did not arrive within {BODY_DEADLINE_SECONDS:g} seconds.",
        )


class _Reader:
    """Reads from the connection with a deadline for the whole body (each read waits at most what is left)."""

    def __init__(
        self, rfile: BufferedIOBase, connection: socket.socket | None, idle_timeout: float | None
    ) -> None:
        self._rfile = rfile
        self._connection = connection
        self._idle_timeout = idle_timeout
        self._deadline = time.monotonic() + BODY_DEADLINE_SECONDS

    def _arm(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise BodyTimeout()
        if self._connection is not None:
            self._connection.settimeout(left if self._idle_timeout is None else min(left, self._idle_timeout))

    def read(self, size: int) -> bytes:
        self._arm()
        try:
            return self._rfile.read(size)
        except TimeoutError:
            raise BodyTimeout() from None

    def readline(self, limit: int) -> bytes:
        self._arm()
        try:
            return self._rfile.readline(limit)
        except TimeoutError:
            raise BodyTimeout() from None

    def restore(self) -> None:
        if self._connection is not None:
            self._connection.settimeout(self._idle_timeout)


def read_request_body(
    rfile: BufferedIOBase,
    headers: Message,
    *,
    http_version: str,
    connection: socket.socket | None = None,
    idle_timeout: float | None = None,
) -> bytes:
    """The request's body bytes (decoded when chunked), or an ``ImsApiError`` after which the caller must
    close the connection. ``connection`` gets the body deadline as its timeout while reading and
    ``idle_timeout`` back afterwards."""
    transfer_encodings = headers.get_all("Transfer-Encoding") or []
    lengths = headers.get_all("Content-Length") or []
    reader = _Reader(rfile, connection, idle_timeout)
    try:
        if transfer_encodings:
            if http_version == "HTTP/1.0":
                raise MalformedBody("Transfer-Encoding is not defined in HTTP/1.0; send a Content-Length")
            if lengths:
                # Two framings for one body is how requests are smuggled past proxies: refuse, never guess.
                raise MalformedBody("both Transfer-Encoding and Content-Length are present; send one of them")
            codings = [part.strip().lower() for value in transfer_encodings for part in value.split(",")]
            if codings != ["chunked"]:
                raise UnsupportedTransferEncoding(", ".join(transfer_encodings))
            return _read_chunked(reader)
        return _read_sized(reader, lengths)
    finally:
        reader.restore()


def _read_sized(reader: _Reader, lengths: list[str]) -> bytes:
    if not lengths:
        return b""
    if len(set(value.strip() for value in lengths)) > 1:
        raise MalformedBody("the Content-Length headers disagree")
    text = lengths[0].strip()
    if not text.isascii() or not text.isdigit():
        raise ImsApiError(400, "InvalidParameter", "The Content-Length header is not a number.")
    length = int(text)
    if length > MAX_BODY_BYTES:
        if length <= MAX_DRAINED_BYTES:
            _discard(reader, length)
        raise RequestEntityTooLarge(MAX_BODY_BYTES)
    body = reader.read(length) if length else b""
    if len(body) < length:
        raise MalformedBody(f"the connection ended after {len(body)} of {length} bytes")
    return body


def _discard(reader: _Reader, size: int) -> None:
    """Read ``size`` bytes (or to the end of the connection) without keeping them."""
    while size > 0:
        piece = reader.read(min(size, _READ_PIECE))
        if not piece:
            return
        size -= len(piece)


def _read_line(reader: _Reader, limit: int, what: str) -> bytes:
    line = reader.readline(limit + 1)
    if not line:
        raise MalformedBody("the body ended before its final 0-size chunk")
    if len(line) > limit:
        raise MalformedBody(f"a {what} is longer than {limit} bytes")
    if not line.endswith(b"\r\n"):
        raise MalformedBody(f"a {what} does not end with CRLF")
    return line[:-2]


def _read_chunked(reader: _Reader) -> bytes:
    kept: list[bytes] = []
    total = 0
    while True:
        line = _read_line(reader, MAX_CHUNK_LINE_BYTES, "chunk size line")
        size_text = line.split(b";", 1)[0].strip(b" \t")  # chunk extensions are allowed and ignored
        if not size_text or len(size_text) > 16 or not _HEX_DIGITS.issuperset(size_text):
            raise MalformedBody(f"bad chunk size line {line[:40].decode('latin-1')!r}")
        size = int(size_text, 16)
        if size == 0:
            break
        if total + size > MAX_DRAINED_BYTES:
            raise RequestEntityTooLarge(MAX_BODY_BYTES)
        if total + size > MAX_BODY_BYTES:
            kept.clear()  # over the limit: what remains is only read to keep the connection in step
            _discard(reader, size)
        else:
            data = reader.read(size)
            if len(data) < size:
                raise MalformedBody("the body ended inside a chunk")
            kept.append(data)
        if reader.read(2) != b"\r\n":
            raise MalformedBody("chunk data is not followed by CRLF")
        total += size
    trailer_bytes = 0
    while True:  # trailer fields are read and dropped: none of them means anything to the API
        line = _read_line(reader, MAX_TRAILER_BYTES, "trailer line")
        if not line:
            break
        trailer_bytes += len(line)
        if trailer_bytes > MAX_TRAILER_BYTES:
            raise MalformedBody(f"the trailer is longer than {MAX_TRAILER_BYTES} bytes")
    if total > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(MAX_BODY_BYTES)
    return b"".join(kept)
