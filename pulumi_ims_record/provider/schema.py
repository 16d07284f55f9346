"""The Pulumi package schema of the native plugin ``ims-record``, generated from ``api.fields``.

Every property (the API's fields and what the provider adds) is declared once, in ``_properties``; this
module renders them. ``schema.json`` at the repository root is this module's output,
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
from typing import Any

from pulumi_ims_record.api.fields import ARRAY, OBJECT, STRING

from ._properties import FUNCTIONS, MAP, OUTPUT_SHAPES, OUTPUT_TYPES, RESOURCES, TYPES, Property

VERSION = importlib.metadata.version("pulumi-ims-record")
"""The package's version (pyproject.toml) is the schema's and the plugin's."""

PACKAGE = "ims-record"


def token(name: str) -> str:
    return f"{PACKAGE}:index:{name}"


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


NODEJS_PACKAGE = "pulumi-ims-record"
PYTHON_PACKAGE = "pulumi_ims_record_sdk"
GO_IMPORT_PATH = "github.com/pulumi-ims-record/pulumi-ims-record/sdk/go/imsrecord"
"""The generated SDKs' names (``./run sdk`` writes them into sdk/). The Python one is not
``pulumi_ims_record``: that name is the dynamic resources'. The Go module path (the import path without its
last element) is where the module would be published; until it is, a program reaches ``sdk/go`` through a
``replace`` directive."""

_SDK_README = """The `ims-record` Pulumi package: Alibaba Cloud Intelligent Media Services (ICE)
live-stream recording as code, through the native plugin `pulumi-resource-ims-record`
(`pip install pulumi-ims-record` puts it on PATH). Resources: LiveRecordTemplate, LiveRecordJob,
LiveRecordJobSet; functions: getLiveRecordTemplate, getLiveRecordJob, getLiveRecordFiles.
Generated from schema.json by `./run sdk`: do not edit.
"""
_PYTHON_README = (
    _SDK_README
    + """
Which Python package to use: this one (`pulumi_ims_record_sdk`) drives the native plugin, as TypeScript,
Go and YAML programs do: `pulumi import` works, `customTimeouts` bound every call, and one plugin serves
up to 64 calls at once. `pulumi_ims_record` (the project's own package) holds the dynamic resources,
which need no plugin and add the `LiveRecording` component. A stack uses one or the other for its
recording resources.
"""
)
LANGUAGES: dict[str, Any] = {
    "nodejs": {
        "packageName": NODEJS_PACKAGE,
        "packageDescription": "Alibaba Cloud IMS (ICE) live-stream recording as code.",
        "readme": _SDK_README,
        "dependencies": {"@pulumi/pulumi": "^3.269.0"},
        "devDependencies": {"typescript": "^5.9.0", "@types/node": "^20.0.0"},
        "respectSchemaVersion": True,
    },
    "python": {
        "packageName": PYTHON_PACKAGE,
        "readme": _PYTHON_README,
        "pythonRequires": ">=3.10",
        "pyproject": {"enabled": True},
        "respectSchemaVersion": True,
    },
    "go": {"importBasePath": GO_IMPORT_PATH, "respectSchemaVersion": True},
}
"""Each generator's options (Pulumi's codegen reads ``language.<name>``)."""


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
    spec["description"] = prop.full_description
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
        "functions": {
            token(name): {
                "description": description,
                "inputs": _object(inputs, output=False),
                "outputs": _object(outputs, output=True),
            }
            for name, (description, inputs, outputs) in FUNCTIONS.items()
        },
        "meta": {"supportPack": True},
        "language": LANGUAGES,
    }


def schema_text(version: str = VERSION) -> str:
    """``schema.json`` as written in the repository."""
    return json.dumps(package_schema(version), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
