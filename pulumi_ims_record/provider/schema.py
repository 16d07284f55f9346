"""The Pulumi package schema of the native plugin ``ims-record``, generated from ``api.fields``.

The API's fields (names, types, defaults, replace-on-change, secrets, descriptions) come from the tables;
what the provider adds to a resource (adoption, waiting, cleanup on destroy, the job set's entries) is
described here as ``Property`` rows, once. ``schema.json`` at the repository root is this module's output,
kept for SDK generation and review; ``tests/provider/test_schema.py`` fails when the two disagree, so
regenerate it with ``python -m pulumi_ims_record.provider.schema > schema.json``.

Property names are the camelCase forms of the Python names (``recordFormats[].sliceDuration``), as in every
Pulumi package.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pulumi_ims_record.api import fields, rules
from pulumi_ims_record.api.fields import ARRAY, BOOLEAN, INTEGER, OBJECT, STRING, Field, Table, camel_case

from ._checks import DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT_RANGE
from .job_set import CONCURRENCY_RANGE, DEFAULT_CONCURRENCY

VERSION = importlib.metadata.version("pulumi-ims-record")
"""The package's version (pyproject.toml) is the schema's and the plugin's."""

PACKAGE = "ims-record"
MAP = "map"


def token(name: str) -> str:
    return f"{PACKAGE}:index:{name}"


@dataclass(frozen=True)
class Property:
    """A property the provider adds to the API's fields."""

    snake: str
    type: str
    description: str
    default: Any = None
    required: bool = False
    output_only: bool = False
    replaces: bool = False
    secret: bool = False
    of: str | None = None
    """The object type (a name in ``TYPES``) of an ``object`` property, or of the items of an array or map."""

    @property
    def schema(self) -> str:
        return camel_case(self.snake)


def _from_field(item: Field, *, required: bool | None = None) -> Property:
    return Property(
        snake=item.snake,
        type=item.type,
        description=item.description,
        default=item.default,
        required=item.required if required is None else required,
        output_only=item.computed,
        replaces=item.replaces,
        secret=item.secret,
        of=item.of.__name__ if item.of is not None else None,
    )


def _table(table: type[Table]) -> tuple[Property, ...]:
    return tuple(_from_field(item) for item in table.FIELDS)


def _resource_table(table: type[Table]) -> tuple[Property, ...]:
    """A resource's API fields; its name, as for the Python resources, defaults to the resource's name."""
    return tuple(
        replace(prop, required=False, description=f"{prop.description[:-1]}; default: the resource's name.")
        if prop.snake == "name"
        else prop
        for prop in _table(table)
    )


_JOB = fields.LiveRecordJob
_ADOPTED = Property(
    "adopted", BOOLEAN, "True when create tracked an existing one instead of making one.", output_only=True
)
_DELETE_RECORDINGS = Property(
    "delete_recordings_on_destroy",
    BOOLEAN,
    "On destroy (or replace), also delete the recorded files and their stored objects.",
    default=False,
)

# --- the objects inside resources ---------------------------------------------------------------------------

_ENTRY_INPUTS = (
    Property("key", STRING, "The entry's stable identity in the set (unique in the set).", required=True),
    replace(
        _from_field(_JOB.name, required=False),
        description=f"{_JOB.name.description[:-1]}; default: <set resource name>-<key>.",
    ),
    _from_field(_JOB.stream_input),
    _from_field(_JOB.record_output, required=False),
    _from_field(_JOB.notify_url),
)
_ORIGIN = Property(
    "origin",
    STRING,
    "How create got the job: submitted, adopted_by_id, adopted_recent or adopted_after_ambiguous_submit.",
    output_only=True,
)

TYPES: dict[str, tuple[Property, ...]] = {
    **{
        table.__name__: _table(table)
        for table in (fields.StreamInput, fields.RecordOutput, fields.RecordFormat)
    },
    "LiveRecordJobSetEntry": _ENTRY_INPUTS,
    "LiveRecordJobSetJob": (
        *_ENTRY_INPUTS,
        _from_field(_JOB.template_id, required=False),
        _from_field(_JOB.job_id),
        _from_field(_JOB.status),
        _from_field(_JOB.create_time),
        _from_field(_JOB.template_name),
        _ORIGIN,
    ),
}
"""Object types by name."""
OUTPUT_TYPES = frozenset({"LiveRecordJobSetJob"})
"""Types that only appear in outputs (their service-set properties are listed too)."""

# --- the resources ------------------------------------------------------------------------------------------

RESOURCES: dict[str, tuple[str, tuple[Property, ...]]] = {
    "LiveRecordTemplate": (
        "A recording template of Alibaba Cloud IMS: which formats a job writes, and how files are cut and "
        "named. Changes update it in place; the id is the TemplateId.",
        (
            *_resource_table(fields.LiveRecordTemplate),
            Property(
                "adopt_template_id",
                STRING,
                "Track this existing template instead of creating one; create checks it matches.",
            ),
            _ADOPTED,
        ),
    ),
    "LiveRecordJob": (
        "A live-stream recording job of Alibaba Cloud IMS (SubmitLiveRecordJob); the id is the JobId. The "
        "API cannot change, stop or delete a job: a changed input replaces it, and destroy forgets it (it "
        "keeps recording until its stream ends).",
        (
            *_resource_table(_JOB),
            Property(
                "adopt_job_id",
                STRING,
                "Track this existing job instead of submitting one; create checks it matches the inputs.",
            ),
            Property(
                "wait_for_status",
                STRING,
                f"Make create wait until the job reports this status ({', '.join(rules.JOB_STATUSES)}).",
            ),
            Property(
                "wait_timeout_seconds",
                INTEGER,
                "How long create waits for waitForStatus, "
                f"{WAIT_TIMEOUT_RANGE[0]} to {WAIT_TIMEOUT_RANGE[1]} seconds.",
                default=DEFAULT_WAIT_TIMEOUT,
            ),
            _DELETE_RECORDINGS,
            _ADOPTED,
            _ORIGIN,
        ),
    ),
    "LiveRecordJobSet": (
        "Many live-stream recording jobs in one resource, submitted concurrently; each entry of jobs is "
        "keyed, and a changed or added entry gets a new job while the others are kept.",
        (
            Property(
                "jobs", ARRAY, "The jobs, each with a unique key.", required=True, of="LiveRecordJobSetEntry"
            ),
            _from_field(_JOB.template_id),
            Property(
                "record_output",
                OBJECT,
                "Where recordings go, for every entry that does not say.",
                of=fields.RecordOutput.__name__,
            ),
            Property(
                "concurrency",
                INTEGER,
                f"How many submits run at once, {CONCURRENCY_RANGE[0]} to {CONCURRENCY_RANGE[1]}.",
                default=DEFAULT_CONCURRENCY,
            ),
            _DELETE_RECORDINGS,
            Property("job_ids", MAP, "The JobId of each entry, by key.", output_only=True),
        ),
    ),
}
"""Each resource: its description and properties (inputs, then outputs)."""

OUTPUT_SHAPES = {
    ("LiveRecordJobSet", "jobs"): Property("jobs", MAP, "Each entry's job, by key.", of="LiveRecordJobSetJob")
}
"""Outputs whose shape differs from the input of the same name (the job set keeps its entries by key)."""

CONFIG: tuple[tuple[str, str, bool], ...] = (
    (
        "region",
        "The region, e.g. cn-shanghai (else ALIBABA_CLOUD_REGION_ID in the environment, or the aliyun "
        "CLI profile).",
        False,
    ),
    (
        "endpoint",
        "The ICE endpoint, e.g. http://127.0.0.1:8787 for a local IMS (else the regional host).",
        False,
    ),
    ("accessKey", "The AccessKey id, when neither the environment nor a profile has credentials.", False),
    ("secretKey", "The AccessKey secret.", True),
    ("securityToken", "The STS security token that goes with a temporary AccessKey.", True),
)
"""The provider's configuration: name, description, secret."""


# --- rendering ----------------------------------------------------------------------------------------------


def _spec(prop: Property, *, output: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if prop.type == OBJECT and prop.of:
        spec["$ref"] = f"#/types/{token(prop.of)}"
    elif prop.type in (ARRAY, MAP):
        items = {"$ref": f"#/types/{token(prop.of)}"} if prop.of else {"type": STRING}
        spec["type"] = "array" if prop.type == ARRAY else OBJECT
        spec["items" if prop.type == ARRAY else "additionalProperties"] = items
    else:
        spec["type"] = prop.type
    spec["description"] = prop.description
    if prop.default is not None and not output:
        spec["default"] = prop.default
    if prop.secret:
        spec["secret"] = True
    if prop.replaces:
        spec["willReplaceOnChanges"] = True
    return spec


def _object(properties: Iterable[Property], *, output: bool) -> dict[str, Any]:
    chosen = [prop for prop in properties if output or not prop.output_only]
    spec: dict[str, Any] = {
        "type": OBJECT,
        "properties": {prop.schema: _spec(prop, output=output) for prop in chosen},
    }
    required = sorted(
        prop.schema for prop in chosen if prop.required or (output and prop.default is not None)
    )
    if required:
        spec["required"] = required
    return spec


def _resource(name: str, description: str, properties: tuple[Property, ...]) -> dict[str, Any]:
    inputs = [prop for prop in properties if not prop.output_only]
    outputs = [OUTPUT_SHAPES.get((name, prop.snake), prop) for prop in properties]
    spec: dict[str, Any] = {
        "description": description,
        "inputProperties": {prop.schema: _spec(prop) for prop in inputs},
        "requiredInputs": sorted(prop.schema for prop in inputs if prop.required),
        "properties": {prop.schema: _spec(prop, output=True) for prop in outputs},
        "required": sorted(
            prop.schema for prop in outputs if prop.required or prop.output_only or prop.default is not None
        ),
    }
    return spec


def package_schema(version: str = VERSION) -> dict[str, Any]:
    """The whole schema as a JSON-ready dict."""
    config = {
        name: {"type": STRING, "description": description, **({"secret": True} if secret else {})}
        for name, description, secret in CONFIG
    }
    return {
        "name": PACKAGE,
        "displayName": "IMS live recording",
        "version": version,
        "description": "Alibaba Cloud Intelligent Media Services (ICE) live-stream recording as code.",
        "keywords": ["pulumi", "alibaba cloud", "ims", "ice", "live recording", "kind/native"],
        "license": "Apache-2.0",
        "config": {"variables": config},
        "provider": {"description": "The ims-record provider.", "inputProperties": config},
        "types": {
            token(name): _object(properties, output=name in OUTPUT_TYPES)
            for name, properties in TYPES.items()
        },
        "resources": {
            token(name): _resource(name, description, properties)
            for name, (description, properties) in RESOURCES.items()
        },
        "language": {"python": {"packageName": "pulumi_ims_record_sdk"}},
    }


def schema_text(version: str = VERSION) -> str:
    """``schema.json`` as written in the repository."""
    return json.dumps(package_schema(version), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
