"""The floor of the engine benchmark: do-nothing dynamic resources shaped like the real ones.

``NullTemplate`` and ``NullJob`` are Python dynamic resources of the same package (``pulumi-python``), so the
engine runs them in the same kind of provider process with the same 4 worker threads as
``LiveRecordTemplate``/``LiveRecordJob``; they take the same inputs and return outputs of the same shape, but
make no HTTP call. ``up`` of N real jobs divided by ``up`` of N null jobs is therefore the cost the provider
and the API round trips add on top of the engine.

The provider class lives in this module (``bench.floor``, importable from the repository root), so it is
pickled by reference like the real providers (the provider process finds it through ``PYTHONPATH``).
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

PROVIDER_KEY = "__provider"


class NullProvider(ResourceProvider):
    """Creates ids from thin air; stateless, so the pickle is the class reference."""

    serialize_as_secret_always = False

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key, value in news.items() if key != PROVIDER_KEY and olds.get(key) != value]
        return DiffResult(changes=bool(changed), replaces=changed)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outputs = {key: value for key, value in props.items() if key != PROVIDER_KEY}
        identifier = uuid.uuid4().hex
        outputs.update({"job_id": identifier, "status": "initial", "create_time": "2030-01-01T00:00:00Z"})
        return CreateResult(identifier, outputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        outputs = {key: value for key, value in props.items() if key != PROVIDER_KEY}
        return ReadResult(id_, outputs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({key: value for key, value in news.items() if key != PROVIDER_KEY})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class NullTemplate(pulumi.dynamic.Resource, module="bench", name="NullTemplate"):
    def __init__(self, resource_name: str, props: dict[str, Any]) -> None:
        super().__init__(NullProvider(), resource_name, {**props, "template_id": None}, None)


class NullJob(pulumi.dynamic.Resource, module="bench", name="NullJob"):
    def __init__(self, resource_name: str, props: dict[str, Any]) -> None:
        outputs = {"job_id": None, "status": None, "create_time": None}
        super().__init__(NullProvider(), resource_name, {**props, **outputs}, None)
