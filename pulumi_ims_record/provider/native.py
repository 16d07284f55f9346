"""The native plugin ``pulumi-resource-ims-record``: the package ``ims-record`` over the same provider core.

A thin adapter (``pulumi.provider.experimental``): it turns the engine's camelCase ``PropertyValue`` maps into
the plain snake_case dicts the core (``LiveRecordTemplateProvider``, ``LiveRecordJobProvider``,
``LiveRecordJobSetProvider``) takes, calls it, and turns the answer back. No rule, message or API call lives
here. Around the SDK's known gaps (``../shared/pulumi-native.md`` §3):

* unknown values arrive as the plain string ``UNKNOWN`` or as ``Computed``, and go back as that string;
* every number is a float on the wire: the core's ``check`` turns integral floats back into ints;
* every handler runs on one event loop, so the core (blocking HTTP) runs on a thread pool as wide as the
  engine's parallelism allows;
* create and update are also called during preview (``preview=True``): they then call nothing and answer the
  inputs with the service-set outputs unknown.

The engine passes this provider only ``ims-record:*`` config: ``accessKey``, ``secretKey``, ``securityToken``
and ``region`` stand in for the dynamic provider's ``alicloud:*`` fallbacks, read in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import re
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from pulumi.dynamic import CheckResult
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental import server
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from pulumi_ims_record.api.fields import camel_case

from . import _properties, schema
from ._base import (
    NATIVE_DOOR,
    PROGRAM_DIFF,
    ProviderBase,
    ProviderError,
    ProviderSettings,
    bound_by_custom_timeout,
    differs,
)
from .job import LiveRecordJobProvider
from .job_set import LiveRecordJobSetProvider, name_entries
from .template import LiveRecordTemplateProvider

VERSION = schema.VERSION
MAX_PARALLEL_CALLS = 64
"""Threads for core calls: the engine's ``--parallel`` (default 4 × CPUs) rarely goes past it."""

_T = TypeVar("_T")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")
_SNAKE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def snake_case(name: str) -> str:
    return _CAMEL_BOUNDARY.sub(r"_\1", name).lower()


def _property_names() -> frozenset[str]:
    names = {prop.snake for _, properties in _properties.RESOURCES.values() for prop in properties}
    names |= {prop.snake for properties in _properties.TYPES.values() for prop in properties}
    return frozenset(name for name in names if "_" in name)


_PROPERTY_NAMES = _property_names()


def camel_path(text: str) -> str:
    """The property names in a check message said the schema's way (``record_formats[0].slice_duration`` →
    ``recordFormats[0].sliceDuration``); other words, such as a value quoted back, stay as they are."""
    return _SNAKE_WORD.sub(
        lambda match: camel_case(match.group(0)) if match.group(0) in _PROPERTY_NAMES else match.group(0),
        text,
    )


# --- PropertyValue <-> the core's plain values -------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What the adapter needs to know of a resource's properties, read once from the schema's rows."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    """Only the service or the provider sets these (unknown until create)."""
    maps: frozenset[str]
    """Properties whose keys are the user's, not property names."""


def _shape(resource: str) -> _Shape:
    _, properties = _properties.RESOURCES[resource]
    shapes = [_properties.OUTPUT_SHAPES.get((resource, prop.snake), prop) for prop in properties]
    return _Shape(
        inputs=tuple(prop.snake for prop in properties if not prop.output_only),
        outputs=tuple(prop.snake for prop in properties if prop.output_only),
        maps=frozenset(prop.snake for prop in shapes if prop.type == _properties.MAP),
    )


_SHAPES = {resource: _shape(resource) for resource in _properties.RESOURCES}
_ENTRY_FIELDS = tuple(
    prop.snake for prop in _properties.TYPES["LiveRecordJobSetEntry"] if prop.snake != "key"
)


_DIFF_KINDS = {
    (False, "add"): rpc.PropertyDiffKind.ADD,
    (False, "delete"): rpc.PropertyDiffKind.DELETE,
    (False, "update"): rpc.PropertyDiffKind.UPDATE,
    (True, "add"): rpc.PropertyDiffKind.ADD_REPLACE,
    (True, "delete"): rpc.PropertyDiffKind.DELETE_REPLACE,
    (True, "update"): rpc.PropertyDiffKind.UPDATE_REPLACE,
}


def _leaf_diffs(
    path: str, old: Any, new: Any, replace: bool, *, input_diff: bool = False
) -> dict[str, rpc.PropertyDiff]:
    """The changed leaves below ``path`` (``streamInput.url``, ``recordFormats[0].sliceDuration``)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: dict[str, rpc.PropertyDiff] = {}
        for key in sorted(set(old) | set(new)):
            found.update(
                _leaf_diffs(
                    f"{path}.{camel_case(key)}", old.get(key), new.get(key), replace, input_diff=input_diff
                )
            )
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = {}
        for index, (old_item, new_item) in enumerate(zip(old, new, strict=True)):
            found.update(_leaf_diffs(f"{path}[{index}]", old_item, new_item, replace, input_diff=input_diff))
        return found
    if not differs(old, new):
        return {}
    change = "add" if old is None else "delete" if new is None else "update"
    return {path: rpc.PropertyDiff(_DIFF_KINDS[replace, change], input_diff=input_diff)}


def _entry_diffs(state: Any, entries: Any) -> dict[str, rpc.PropertyDiff]:
    """A job set's changes entry by entry, at each entry's place in the new ``jobs`` list (the engine's paths
    index a list by position; the core's warnings name the keys). State keeps the entries by key."""
    if not isinstance(state, Mapping) or not isinstance(entries, list):
        return _leaf_diffs("jobs", state, entries, False)
    found: dict[str, rpc.PropertyDiff] = {}
    for index, entry in enumerate(entries):
        old = state.get(str(entry.get("key"))) if isinstance(entry, Mapping) else None
        if old is None:
            found[f"jobs[{index}]"] = rpc.PropertyDiff(rpc.PropertyDiffKind.ADD, input_diff=True)
            continue
        for field in _ENTRY_FIELDS:
            found.update(
                _leaf_diffs(
                    f"jobs[{index}].{camel_case(field)}",
                    old.get(field),
                    entry.get(field),
                    False,
                    input_diff=True,
                )
            )
    wanted = {str(entry.get("key")) for entry in entries if isinstance(entry, Mapping)}
    if set(state) - wanted:  # removed entries have no place in the new list
        found.setdefault("jobs", rpc.PropertyDiff(rpc.PropertyDiffKind.UPDATE, input_diff=True))
    return found


def to_plain(value: PropertyValue, *, keep_keys: bool = False) -> Any:
    """A plain Python value with snake_case property names (a map's own keys kept)."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {key if keep_keys else snake_case(key): to_plain(item) for key, item in inner.items()}
    if isinstance(inner, tuple | list):
        return [to_plain(item) for item in inner]
    return inner


def properties_to_plain(resource: str, properties: Mapping[str, PropertyValue]) -> dict[str, Any]:
    maps = _SHAPES[resource].maps
    plain: dict[str, Any] = {}
    for key, value in properties.items():
        name = snake_case(key)
        plain[name] = to_plain(value, keep_keys=name in maps)
    return plain


def from_plain(value: Any, *, keep_keys: bool = False) -> PropertyValue:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue(
            {key if keep_keys else camel_case(key): from_plain(item) for key, item in value.items()}
        )
    if isinstance(value, list | tuple):
        return PropertyValue([from_plain(item) for item in value])
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")


def properties_from_plain(
    resource: str, values: Mapping[str, Any], *, secrets: frozenset[str] = frozenset()
) -> dict[str, PropertyValue]:
    """The engine's form of ``values``; the properties named in ``secrets`` (snake_case) stay secret."""
    maps = _SHAPES[resource].maps
    return {
        camel_case(key): from_plain(value, keep_keys=key in maps).with_secret(key in secrets)
        for key, value in values.items()
        if key != "__provider"
    }


def secret_properties(properties: Mapping[str, PropertyValue]) -> frozenset[str]:
    """The snake_case names of the properties holding a secret anywhere inside."""
    return frozenset(snake_case(key) for key, value in properties.items() if value.contains_secret())


_QUOTED_VALUE = re.compile(r" \(got .*\)$")


def without_secret_value(reason: str, secrets: frozenset[str]) -> str:
    """A check failure (``path: rule (got value)``) without the value when the program made the property it
    belongs to a secret: the engine would redact it, so must we."""
    top_level = re.match(r"[a-z_]*", reason)
    if top_level and top_level.group(0) in secrets:
        return _QUOTED_VALUE.sub("", reason)
    return reason


# --- the provider -------------------------------------------------------------------------------------------


class NativeConfig:
    """``get(key)`` over the engine's configuration, as the core's ``ProviderSettings.from_config`` reads it:
    ``ims-record:x`` from the package's own config, and ``alicloud:x`` from the same ``ims-record`` key."""

    def __init__(self, request: rpc.ConfigureRequest) -> None:
        self._values: dict[str, str] = {}
        for key, value in request.variables.items():
            self._values[key.rsplit(":", 1)[-1]] = value
        for key, item in request.args.items():
            if isinstance(item.value, str) and not isinstance(item.value, Computed):
                self._values[key] = item.value

    def get(self, key: str) -> str | None:
        package, _, name = key.partition(":")
        if package not in (schema.PACKAGE, "alicloud"):
            return None
        return self._values.get(name)


_CURRENT_URN: contextvars.ContextVar[str] = contextvars.ContextVar("ims_record_urn", default="")


class EngineLog:
    """The core's warnings and notices, sent to the engine's diagnostics for the resource being worked on (a
    plugin's stderr only reaches the engine's log file). Without an engine they go to stderr."""

    def __init__(self, engine_address: str | None) -> None:
        self._engine: Any = None
        if engine_address:
            self._engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(engine_address))

    def _send(self, severity: Any, label: str, message: str) -> None:
        if self._engine is None:
            print(f"{label}{camel_path(message)}", file=sys.stderr, flush=True)
            return
        request = engine_pb2.LogRequest(
            severity=severity, message=camel_path(message), urn=_CURRENT_URN.get()
        )
        try:
            self._engine.Log(request)
        except Exception:  # a diagnostic must never fail the operation
            print(f"{label}{message}", file=sys.stderr, flush=True)

    def warning(self, message: str) -> None:
        self._send(engine_pb2.WARNING, "warning: ", message)

    def info(self, message: str) -> None:
        self._send(engine_pb2.INFO, "", message)


class ImsRecordProvider(rpc.Provider):
    """The ``ims-record`` package: one core provider per resource type."""

    def __init__(self, engine_address: str | None = None) -> None:
        # The cores report through the engine's log, and keep as many connections as calls run at once.
        log = EngineLog(engine_address)
        self.cores: dict[str, ProviderBase] = {
            schema.token(core.kind): core(NATIVE_DOOR, log, MAX_PARALLEL_CALLS)
            for core in (LiveRecordTemplateProvider, LiveRecordJobProvider, LiveRecordJobSetProvider)
        }
        self._checked: set[str] = set()
        """URNs whose new inputs this process checked: the engine checks a program's inputs before it diffs
        them (preview, up), while a refresh diffs what it read with no check."""
        self._executor = ThreadPoolExecutor(MAX_PARALLEL_CALLS, thread_name_prefix="ims-record")

    def _core(self, type_token: str) -> tuple[str, ProviderBase]:
        core = self.cores.get(type_token)
        if core is None:
            raise ProviderError(f"unknown resource type {type_token}")
        return type_token.rsplit(":", 1)[-1], core

    async def _run(self, urn: str, call: Callable[[], _T], timeout: float = 0.0, operation: str = "") -> _T:
        """``call`` on the thread pool, its diagnostics attached to ``urn`` and its work bounded by the
        engine's ``customTimeouts`` for ``operation`` (``timeout`` seconds, 0 when none); a failure in one
        line, the schema's property names in it."""
        _CURRENT_URN.set(urn)
        bound_by_custom_timeout(operation, timeout)
        context = contextvars.copy_context()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, context.run, call)
        except ProviderError as error:
            raise ProviderError(camel_path(str(error))) from None

    async def get_schema(self, request: rpc.GetSchemaRequest) -> rpc.GetSchemaResponse:
        return rpc.GetSchemaResponse(schema.schema_text(VERSION))

    async def configure(self, request: rpc.ConfigureRequest) -> rpc.ConfigureResponse:
        settings = ProviderSettings.from_config(NativeConfig(request), words=NATIVE_DOOR)
        for core in self.cores.values():
            core.use_settings(settings)
        return rpc.ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        resource, core = self._core(request.type)
        self._checked.add(request.urn)
        news = properties_to_plain(resource, request.new_inputs)
        if resource == "LiveRecordJobSet" and "jobs" in news:  # entry names: the Python resources' rule
            olds = properties_to_plain(resource, request.old_inputs)
            news["jobs"] = name_entries(news["jobs"], request.name, olds)
        elif "name" not in news:
            news["name"] = request.name  # as the Python resources do: the resource's name
        result: CheckResult = await self._run(request.urn, lambda: core.check({}, news))
        secrets = secret_properties(request.new_inputs)
        failures = [
            rpc.CheckFailure("", camel_path(without_secret_value(failure.reason, secrets)))
            for failure in result.failures or []
        ]
        inputs = properties_from_plain(resource, result.inputs or {}, secrets=secrets)
        return rpc.CheckResponse(inputs=inputs, failures=failures)

    async def diff(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
        resource, core = self._core(request.type)
        olds = properties_to_plain(resource, request.old_state)
        news = properties_to_plain(resource, request.new_inputs)
        PROGRAM_DIFF.set(request.urn in self._checked)  # this handler's own context: _run copies it
        result = await self._run(request.urn, lambda: core.diff(request.resource_id, olds, news))
        replaces = list(result.replaces or [])
        detailed: dict[str, rpc.PropertyDiff] = {}
        if result.changes:  # the core decided; this only says where, for `preview --diff`
            for name in _SHAPES[resource].inputs:
                if resource == "LiveRecordJobSet" and name == "jobs":
                    detailed.update(_entry_diffs(olds.get(name), news.get(name)))
                    continue
                detailed.update(
                    _leaf_diffs(camel_case(name), olds.get(name), news.get(name), name in replaces)
                )
        return rpc.DiffResponse(
            changes=result.changes,
            replaces=[camel_case(key) for key in replaces],
            stables=[camel_case(key) for key in result.stables or []],
            delete_before_replace=bool(result.delete_before_replace),
            diffs=sorted({re.split(r"[.\[]", path, maxsplit=1)[0] for path in detailed}),
            detailed_diff=detailed,
        )

    async def create(self, request: rpc.CreateRequest) -> rpc.CreateResponse:
        resource, core = self._core(request.type)
        inputs = properties_to_plain(resource, request.properties)
        secrets = secret_properties(request.properties)
        if request.preview:
            unknown = {name: UNKNOWN for name in _SHAPES[resource].outputs}
            return rpc.CreateResponse(
                None, properties_from_plain(resource, {**unknown, **inputs}, secrets=secrets)
            )
        result = await self._run(request.urn, lambda: core.create(inputs), request.timeout, "create")
        outputs = properties_from_plain(resource, result.outs or {}, secrets=secrets)
        return rpc.CreateResponse(str(result.id), outputs)

    async def read(self, request: rpc.ReadRequest) -> rpc.ReadResponse:
        resource, core = self._core(request.type)
        state = properties_to_plain(resource, request.properties)
        secrets = secret_properties(request.properties) | secret_properties(request.inputs)
        result = await self._run(request.urn, lambda: core.read(request.resource_id, state))
        if not result.id:
            return rpc.ReadResponse()
        return rpc.ReadResponse(
            str(result.id),
            properties_from_plain(resource, result.outs or {}, secrets=secrets),
            properties_from_plain(resource, result.inputs or {}, secrets=secrets),
        )

    async def update(self, request: rpc.UpdateRequest) -> rpc.UpdateResponse:
        resource, core = self._core(request.type)
        olds = properties_to_plain(resource, request.olds)
        news = properties_to_plain(resource, request.news)
        secrets = secret_properties(request.news)
        if request.preview:
            return rpc.UpdateResponse(properties_from_plain(resource, {**olds, **news}, secrets=secrets))
        result = await self._run(
            request.urn, lambda: core.update(request.resource_id, olds, news), request.timeout, "update"
        )
        return rpc.UpdateResponse(properties_from_plain(resource, result.outs or {}, secrets=secrets))

    async def delete(self, request: rpc.DeleteRequest) -> None:
        resource, core = self._core(request.type)
        state = properties_to_plain(resource, request.properties)
        await self._run(
            request.urn, lambda: core.delete(request.resource_id, state), request.timeout, "delete"
        )


def _one_line_errors(servicer_type: type) -> type:
    """The SDK's servicer with each resource operation's ``ProviderError`` sent as the gRPC status message,
    alone: its own wrapper appends the Python stack to every exception, and the engine shows all of it."""

    def one_line(name: str) -> Callable[..., Any]:
        wrapped = getattr(servicer_type, name)

        @functools.wraps(wrapped)
        async def handler(self: Any, request: Any, context: Any) -> Any:
            try:
                return await wrapped(self, request, context)
            except Exception as error:  # the SDK re-raises ours as a plain Exception: its __context__
                cause = error if isinstance(error, ProviderError) else error.__context__
                if isinstance(cause, ProviderError):
                    await context.abort(grpc.StatusCode.UNKNOWN, str(cause))
                raise

        return handler

    names = ("Check", "Diff", "Create", "Read", "Update", "Delete")
    return type(
        f"OneLine{servicer_type.__name__}", (servicer_type,), {name: one_line(name) for name in names}
    )


def serve(provider: ImsRecordProvider, args: list[str]) -> None:
    """``pulumi.provider.experimental.server.main`` with one-line errors: start the gRPC server on a free port
    and print the port for the engine."""
    engine_address = next((arg for arg in args if not arg.startswith("-")), "")
    servicer_type = _one_line_errors(server.ProviderServicer)

    async def run() -> None:
        grpc_server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        servicer = servicer_type(args, VERSION, provider, engine_address=engine_address)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, grpc_server)
        port = grpc_server.add_insecure_port(address="127.0.0.1:0")
        await grpc_server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await grpc_server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def main() -> None:
    """The plugin's entry point: the engine starts it and reads the port it prints; ``--version`` prints the
    version and exits."""
    args = sys.argv[1:]
    if args == ["--version"]:
        print(VERSION)
        return
    engine_address = next((arg for arg in args if not arg.startswith("-")), None)
    serve(ImsRecordProvider(engine_address), args)


if __name__ == "__main__":
    main()
