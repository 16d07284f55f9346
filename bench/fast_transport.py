"""Prototype: an ``httpx.BaseTransport`` on the standard library's ``http.client`` (one keep-alive connection
per thread and host), for ``IceClient(transport=...)``.

The profile of ``IceClient`` (report, benchmark 1) shows its own code (signing, parsing) is a small share of
its CPU per call; httpcore + h11 (the connection pool and the HTTP/1.1 state machine) are the largest part.
``http.client`` does the same work in fewer Python calls. This transport keeps the client's contract (any
``httpx.BaseTransport``), so it can be tried without changing ``pulumi_ims_record/ice``.
"""

from __future__ import annotations

import http.client
import threading

import httpx


class HttpClientTransport(httpx.BaseTransport):
    """Plain-HTTP transport over ``http.client`` (loopback benchmarks; HTTPS would use HTTPSConnection)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._local = threading.local()

    def _connection(self, host: str, port: int) -> http.client.HTTPConnection:
        connections: dict[tuple[str, int], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "connections", {}
        )
        connection = connections.get((host, port))
        if connection is None:
            connection = http.client.HTTPConnection(host, port, timeout=self._timeout)
            connections[(host, port)] = connection
        return connection

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or 80
        target = url.raw_path.decode("ascii")
        body = request.read()
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in request.headers.raw}
        headers.pop("Host", None)
        headers.pop("host", None)
        connection = self._connection(url.host, port)
        for attempt in (0, 1):  # a keep-alive connection the server closed meanwhile: reconnect once
            try:
                connection.request(request.method, target, body=body or None, headers=headers)
                answer = connection.getresponse()
                content = answer.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                connection.close()
                if attempt:
                    raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            except TimeoutError as exc:
                connection.close()
                raise httpx.ReadTimeout(str(exc), request=request) from exc
            except ConnectionRefusedError as exc:
                connection.close()
                raise httpx.ConnectError(str(exc), request=request) from exc
        return httpx.Response(answer.status, headers=answer.getheaders(), content=content, request=request)

    def close(self) -> None:
        for connection in self._local.__dict__.get("connections", {}).values():
            connection.close()
