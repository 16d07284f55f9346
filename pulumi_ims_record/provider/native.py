"""The native plugin ``pulumi-resource-ims-record``: the package ``ims-record`` over the same provider core.

A thin adapter (``pulumi.provider.experimental``): it turns the engine's camelCase ``PropertyValue`` maps into
the plain snake_case dicts the core (``LiveRecordTemplateProvider``, ``LiveRecordJobProvider``,
``LiveRecordJobSetProvider``) takes, calls it, and turns the answer back. No rule, message or API call lives
here. Around the SDK's known gaps (``../shared/pulumi-native.md`` §3):

* unknown values arrive as the plain string ``UNKNOWN`` or as ``Computed``, and go back as that string;
* every number is a float on the wire: the core's ``check`` turns integral floats back into ints;
* every handler runs on one event loop, so the core (blocking HTTP) runs on a thread pool as wide as the
  engine's parallelism allows;
* create and update are also called during preview (``preview=True``): the core's ``preview_create`` and
  ``preview_update`` answer them without calling anything (the inputs, the service-set outputs unknown).

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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
from pulumi.dynamic import CheckResult
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental import server
from pulumi.provider.experimental.property_value import Computed
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

from pulumi_ims_record.api.fields import camel_case

from . import _properties, schema
from ._base import PROGRAM_DIFF, ProviderBase, ProviderError, bound_by_custom_timeout
from ._engine_watch import watch_engine
from ._native_values import (
    SHAPES,
    camel_path,
    entry_diffs,
    leaf_diffs,
    properties_from_plain,
    properties_to_plain,
    secret_properties,
    without_secret_value,
)
from ._properties import default_names
from ._settings import NATIVE_DOOR, ProviderSettings
from .job import LiveRecordJobProvider
from .job_set import LiveRecordJobSetProvider
from .lookups import LOOKUPS, Lookup
from .template import LiveRecordTemplateProvider

VERSION = schema.VERSION
_FUNCTION_SECRETS = {
    function: frozenset(prop.snake for prop in outputs if prop.secret)
    for function, (_, _, outputs) in _properties.FUNCTIONS.items()
}
"""Each function's outputs the schema marks secret (kept secret in its answer)."""
MAX_PARALLEL_CALLS = 64
"""Threads for core calls: the engine's ``--parallel`` (default 4 × CPUs) rarely goes past it."""

_T = TypeVar("_T")

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
        self.lookups: dict[str, Lookup] = {
            schema.token(lookup.kind): lookup(NATIVE_DOOR, log, MAX_PARALLEL_CALLS) for lookup in LOOKUPS
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
        for core in [*self.cores.values(), *self.lookups.values()]:
            core.use_settings(settings)
        return rpc.ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def invoke(self, request: rpc.InvokeRequest) -> rpc.InvokeResponse:
        """A function: its arguments checked first (each bad one named, no API call), then the look-up."""
        lookup = self.lookups.get(request.tok)
        if lookup is None:
            raise ProviderError(f"unknown function {request.tok}")
        function = request.tok.rsplit(":", 1)[-1]
        args = properties_to_plain(function, request.args)
        failures = lookup.check_args(args)
        if failures:
            said = [rpc.CheckFailure("", camel_path(f"{path}: {reason}")) for path, reason in failures]
            return rpc.InvokeResponse(failures=said)
        result = await self._run("", lambda: lookup.lookup(args))
        secrets = _FUNCTION_SECRETS[function]
        return rpc.InvokeResponse(return_value=properties_from_plain(function, result, secrets=secrets))

    async def check(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        resource, core = self._core(request.type)
        self._checked.add(request.urn)
        olds = properties_to_plain(resource, request.old_inputs)
        news = default_names(resource, request.name, properties_to_plain(resource, request.new_inputs), olds)
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
            for name in SHAPES[resource].inputs:
                if resource == "LiveRecordJobSet" and name == "jobs":
                    detailed.update(entry_diffs(olds.get(name), news.get(name)))
                    continue
                detailed.update(
                    leaf_diffs(camel_case(name), olds.get(name), news.get(name), name in replaces)
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
            return rpc.CreateResponse(
                None, properties_from_plain(resource, core.preview_create(inputs), secrets=secrets)
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
            return rpc.UpdateResponse(
                properties_from_plain(resource, core.preview_update(olds, news), secrets=secrets)
            )
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

    watch_engine()
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
