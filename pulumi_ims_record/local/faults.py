"""Fault injection for the local IMS (off by default): latency, errors, QPS limits and dropped connections.

Every decision is taken BEFORE the operation is applied, so a throttled or 503'd SubmitLiveRecordJob never
created a job. The one exception is the error kind ``5xx_after_apply``: the operation is applied and then
answered with 500 ``InternalError``, for tests of ambiguous outcomes (a 503 ``ServiceUnavailable`` tells a
client the request was not processed, and clients rely on that to resend a mutation). Settings come from the
command line at start and from the admin API at runtime (``GET/PUT/DELETE /faults``), as JSON::

    {"latency_ms": 0, "error_rate": {"*": 0.0, "SubmitLiveRecordJob": 0.3}, "error_kind": "5xx",
     "qps": {"ListLiveRecordJobs": 10}, "drop_rate": {"*": 0.1}, "seed": null}

Keys of the per-action maps are action names or ``*`` (every action without its own entry). A ``qps`` limit is
a token bucket per action (``*`` gives each action its own bucket of that rate); over the limit the answer is
400 ``Throttling.User`` with ``x-acs-retry-after`` = milliseconds until the next token."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pulumi_ims_record.local._records import ACTIONS
from pulumi_ims_record.local.exceptions import ImsApiError, InternalError, ServiceUnavailable, Throttled

ERROR_KINDS = ("5xx", "throttling", "mixed", "5xx_after_apply")
ALL_ACTIONS = "*"
THROTTLING_RETRY_AFTER_MS = 100


class FaultSettingsError(ValueError):
    """Fault settings that make no sense (unknown action, rate outside 0..1, unknown error kind)."""


def _check_action(name: str) -> str:
    if name != ALL_ACTIONS and name not in ACTIONS:
        raise FaultSettingsError(f"unknown action {name!r}; use one of the ten operations or '*'")
    return name


def _rate_map(field_name: str, value: object, *, upper: float | None) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {ALL_ACTIONS: value}
    if not isinstance(value, Mapping):
        raise FaultSettingsError(f"{field_name} must be an object of action -> number")
    result: dict[str, float] = {}
    for action, number in value.items():
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise FaultSettingsError(f"{field_name}[{action!r}] must be a number")
        if number < 0 or (upper is not None and number > upper):
            limit = f"0..{upper}" if upper is not None else ">= 0"
            raise FaultSettingsError(f"{field_name}[{action!r}] must be {limit}, got {number}")
        result[_check_action(str(action))] = float(number)
    return result


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: int = 0
    error_rate: Mapping[str, float] = field(default_factory=dict)
    error_kind: str = "5xx"
    qps: Mapping[str, float] = field(default_factory=dict)
    drop_rate: Mapping[str, float] = field(default_factory=dict)
    seed: int | None = None

    @classmethod
    def from_json(cls, data: object) -> FaultSettings:
        if not isinstance(data, Mapping):
            raise FaultSettingsError("fault settings must be a JSON object")
        unknown = sorted(set(data) - {"latency_ms", "error_rate", "error_kind", "qps", "drop_rate", "seed"})
        if unknown:
            raise FaultSettingsError(f"unknown fault setting(s): {', '.join(unknown)}")
        latency = data.get("latency_ms", 0)
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not 0 <= latency <= 600_000:
            raise FaultSettingsError("latency_ms must be a number of milliseconds between 0 and 600000")
        kind = data.get("error_kind", "5xx")
        if kind not in ERROR_KINDS:
            raise FaultSettingsError(f"error_kind must be one of {', '.join(ERROR_KINDS)}")
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultSettingsError("seed must be an integer or null")
        qps = _rate_map("qps", data.get("qps"), upper=None)
        if any(rate <= 0 for rate in qps.values()):
            raise FaultSettingsError("qps limits must be positive (omit an action to lift its limit)")
        return cls(
            latency_ms=int(latency),
            error_rate=_rate_map("error_rate", data.get("error_rate"), upper=1.0),
            error_kind=str(kind),
            qps=qps,
            drop_rate=_rate_map("drop_rate", data.get("drop_rate"), upper=1.0),
            seed=seed,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "latency_ms": self.latency_ms,
            "error_rate": {ALL_ACTIONS: 0.0, **self.error_rate},
            "error_kind": self.error_kind,
            "qps": dict(self.qps),
            "drop_rate": dict(self.drop_rate),
            "seed": self.seed,
        }


def parse_action_value(text: str, *, default_action: str | None = ALL_ACTIONS) -> tuple[str, float]:
    """``[ACTION=]NUMBER`` from the command line; without ``ACTION=`` the value applies to every action."""
    action, sep, number = text.rpartition("=")
    if not sep:
        if default_action is None:
            raise FaultSettingsError(f"expected ACTION=NUMBER, got {text!r}")
        action = default_action
    try:
        value = float(number)
    except ValueError:
        raise FaultSettingsError(f"expected [ACTION=]NUMBER, got {text!r}") from None
    return _check_action(action), value


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request; ``error`` is raised before the operation unless ``error_after_apply``."""

    latency_seconds: float = 0.0
    drop: bool = False
    error: ImsApiError | None = None
    error_after_apply: bool = False


NO_FAULT = FaultDecision()


class _TokenBucket:
    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = now

    def take(self, now: float) -> float:
        """Take a token; returns 0 on success or the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class FaultInjector:
    """Thread-safe decisions per request from the current settings."""

    def __init__(
        self, settings: FaultSettings | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._settings = FaultSettings()
        self._random = random.Random()
        self._buckets: dict[str, _TokenBucket] = {}
        self.settings = settings or FaultSettings()

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return self._settings

    @settings.setter
    def settings(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._random = random.Random(settings.seed)
            self._buckets = {}

    @staticmethod
    def _for(action: str, values: Mapping[str, float]) -> float:
        return values.get(action, values.get(ALL_ACTIONS, 0.0))

    def decide(self, action: str) -> FaultDecision:
        with self._lock:
            settings = self._settings
            if settings == FaultSettings(seed=settings.seed):
                return NO_FAULT
            latency = settings.latency_ms / 1000.0
            if self._random.random() < self._for(action, settings.drop_rate):
                return FaultDecision(latency_seconds=latency, drop=True)
            limit = self._for(action, settings.qps)
            if limit > 0:
                now = self._clock()
                bucket = self._buckets.get(action)
                if bucket is None:
                    bucket = self._buckets[action] = _TokenBucket(limit, now)
                wait = bucket.take(now)
                if wait > 0:
                    error: ImsApiError = Throttled(
                        math.ceil(wait * 1000), f"more than {limit:g} {action} per second"
                    )
                    return FaultDecision(latency_seconds=latency, error=error)
            if self._random.random() < self._for(action, settings.error_rate):
                kind = settings.error_kind
                if kind == "mixed":
                    kind = self._random.choice(("5xx", "throttling"))
                if kind == "throttling":
                    error = Throttled(THROTTLING_RETRY_AFTER_MS, "injected fault")
                elif kind == "5xx_after_apply":
                    error = InternalError("The request processing has failed (injected fault).")
                else:
                    error = ServiceUnavailable(
                        "The request has failed due to a temporary failure (injected fault)."
                    )
                return FaultDecision(
                    latency_seconds=latency, error=error, error_after_apply=kind == "5xx_after_apply"
                )
            return FaultDecision(latency_seconds=latency)
