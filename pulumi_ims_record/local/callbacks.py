"""Job callbacks: POST the IMS event envelope to a job's NotifyUrl, from one background thread.

Envelope: ``{"EventType": ..., "UserId": <int>, "EventTime": "2022-07-15T08:48:14Z", "MessageBody": {...}}``.
``send`` never blocks and never raises: events wait in a bounded queue (the oldest is dropped, with a warning,
when it is full), each delivery has a short timeout, and a failed delivery (connection error, timeout,
non-2xx) is retried with exponential backoff without holding up the events behind it. Delivery order is
therefore not guaranteed after a failure; every envelope carries its EventTime.

A callback never reaches this server's own listeners (``own_ports``, set once they are bound): a NotifyUrl
whose host resolves to this machine on one of those ports is refused without a request (the admin API would
otherwise take it as a command), and redirects are not followed, so a NotifyUrl elsewhere cannot bounce
there."""

from __future__ import annotations

import functools
import heapq
import ipaddress
import itertools
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_USER_ID = 1234567890123456


@dataclass(order=True)
class _Delivery:
    due: float
    order: int
    url: str = field(compare=False)
    payload: bytes = field(compare=False)
    event_type: str = field(compare=False)
    attempt: int = field(default=0, compare=False)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx answer is then an HTTPError: a failed delivery, retried like any other


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(url: str, payload: bytes, timeout: float) -> None:
    request = urllib.request.Request(
        url, data=payload, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    with _OPENER.open(request, timeout=timeout) as response:
        response.read()


@functools.cache
def _host_addresses() -> frozenset[str]:
    """This host's own addresses, looked up once per process (not once per resolved callback address)."""
    try:
        return frozenset(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))
    except OSError:
        return frozenset()


def _this_machine(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_loopback or ip.is_unspecified or address in _host_addresses()


def own_listener(url: str, own_ports: frozenset[int]) -> bool:
    """Whether ``url`` leads to this machine on one of ``own_ports`` (resolved now, every address)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return False  # not a URL the POST can use either; it fails there
    if port not in own_ports or not parts.hostname:
        return False
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError:
        return False  # unresolvable: the POST fails and is retried as usual
    return any(_this_machine(str(info[4][0])) for info in infos)


class CallbackSender:
    """A bounded, retrying, non-blocking sender of callback events."""

    def __init__(
        self,
        *,
        user_id: int = DEFAULT_USER_ID,
        max_pending: int = 1000,
        max_attempts: int = 5,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        timeout: float = 5.0,
        post: Callable[[str, bytes, float], None] = _post,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user_id = user_id
        self.max_pending = max_pending
        self.max_attempts = max_attempts
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self._post = post
        self._clock = clock
        self.own_ports: frozenset[int] = frozenset()
        self.refused = 0
        self._heap: list[_Delivery] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._stopping = False
        self._in_flight = 0
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="ims-callbacks", daemon=True)
        self._thread.start()

    def envelope(self, event_type: str, message_body: Mapping[str, object]) -> dict[str, object]:
        return {
            "EventType": event_type,
            "UserId": self.user_id,
            "EventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "MessageBody": dict(message_body),
        }

    def send(self, url: str, event_type: str, message_body: Mapping[str, object]) -> None:
        payload = json.dumps(self.envelope(event_type, message_body), ensure_ascii=False).encode()
        with self._condition:
            if self._stopping:
                return
            if len(self._heap) >= self.max_pending:
                # Full: the event that has waited longest goes, so fresh state changes still get through.
                oldest = min(self._heap, key=lambda d: d.order)
                self._heap.remove(oldest)
                heapq.heapify(self._heap)
                self.dropped += 1
                logger.warning("callback queue full; dropped a %s event", oldest.event_type)
            heapq.heappush(self._heap, _Delivery(self._clock(), next(self._order), url, payload, event_type))
            self._condition.notify()

    def wait_idle(self, timeout: float, *, include_retries: bool = True) -> bool:
        """True once nothing is queued or in flight.

        Without ``include_retries`` deliveries waiting for a retry do not count: shutdown gives fresh events a
        chance but does not wait out backoffs.
        """
        deadline = self._clock() + timeout

        def busy() -> bool:
            pending = self._heap if include_retries else [d for d in self._heap if d.attempt == 0]
            return bool(pending) or self._in_flight > 0

        with self._condition:
            while busy():
                remaining = deadline - self._clock()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.05))
            return True

    def close(self, timeout: float = 2.0) -> None:
        """Stop the thread; deliveries not yet made are abandoned (callbacks are best effort)."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join(timeout)

    def _next_due(self) -> _Delivery | None:
        with self._condition:
            while not self._stopping:
                if self._heap:
                    wait = self._heap[0].due - self._clock()
                    if wait <= 0:
                        self._in_flight += 1
                        return heapq.heappop(self._heap)
                    self._condition.wait(wait)
                else:
                    self._condition.wait()
            return None

    def _run(self) -> None:
        while (delivery := self._next_due()) is not None:
            if own_listener(delivery.url, self.own_ports):
                with self._condition:
                    self._in_flight -= 1
                    self.refused += 1
                    logger.warning(
                        "refused a %s callback to %s: it points at this local IMS's own listeners",
                        delivery.event_type,
                        delivery.url[:200],
                    )
                    self._condition.notify_all()
                continue
            try:
                self._post(delivery.url, delivery.payload, self.timeout)
                outcome: Exception | None = None
            except (urllib.error.URLError, OSError, ValueError) as error:
                outcome = error
            with self._condition:
                self._in_flight -= 1
                if outcome is None:
                    self.delivered += 1
                elif delivery.attempt + 1 >= self.max_attempts or self._stopping:
                    self.failed += 1
                    logger.warning(
                        "giving up on a %s callback after %d attempts: %s",
                        delivery.event_type,
                        delivery.attempt + 1,
                        outcome,
                    )
                else:
                    backoff = min(self.max_backoff, self.initial_backoff * 2**delivery.attempt)
                    delivery.attempt += 1
                    delivery.due = self._clock() + backoff
                    heapq.heappush(self._heap, delivery)
                    logger.info(
                        "%s callback failed (%s); retrying in %.1f s", delivery.event_type, outcome, backoff
                    )
                self._condition.notify_all()
