"""The native package's schema: generated from the api/ field tables, kept in step with ``schema.json``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulumi_ims_record.api import fields
from pulumi_ims_record.provider import schema
from tests.conftest import REPO_ROOT

SCHEMA_FILE = REPO_ROOT / "schema.json"


@pytest.fixture(scope="module")
def package() -> dict[str, Any]:
    return schema.package_schema()


def test_schema_json_is_what_the_tables_generate() -> None:
    assert SCHEMA_FILE.read_text() == schema.schema_text(), (
        "schema.json is stale: python -m pulumi_ims_record.provider.schema > schema.json"
    )


def test_tokens_and_names_follow_pulumi_conventions(package: dict[str, Any]) -> None:
    assert package["name"] == "ims-record"
    assert sorted(package["resources"]) == [
        "ims-record:index:LiveRecordJob",
        "ims-record:index:LiveRecordJobSet",
        "ims-record:index:LiveRecordTemplate",
    ]
    template = package["types"]["ims-record:index:RecordFormat"]["properties"]
    assert set(template) == {
        "format",
        "ossObjectPrefix",
        "sliceOssObjectPrefix",
        "sliceDuration",
        "cycleDuration",
    }


@pytest.mark.parametrize(
    ("resource", "table"),
    [("LiveRecordTemplate", fields.LiveRecordTemplate), ("LiveRecordJob", fields.LiveRecordJob)],
)
def test_each_api_input_carries_its_tables_facts(
    package: dict[str, Any], resource: str, table: type[fields.Table]
) -> None:
    spec = package["resources"][schema.token(resource)]
    for item in table.FIELDS:
        if item.computed:
            assert item.schema not in spec["inputProperties"] and item.schema in spec["required"]
            continue
        prop = spec["inputProperties"][item.schema]
        assert prop["description"].startswith(item.description[:-1])
        assert prop.get("willReplaceOnChanges", False) == item.replaces
        assert prop.get("secret", False) == item.secret
        # The name defaults to the resource's name, as for the Python resources.
        assert (item.schema in spec["requiredInputs"]) == (item.required and item.snake != "name")


@pytest.mark.parametrize("table", [fields.StreamInput, fields.RecordOutput, fields.RecordFormat])
def test_each_object_type_carries_its_tables_facts(
    package: dict[str, Any], table: type[fields.Table]
) -> None:
    spec = package["types"][schema.token(table.__name__)]
    assert list(spec["properties"]) == [item.schema for item in table.FIELDS]
    for item in table.FIELDS:
        prop = spec["properties"][item.schema]
        assert prop.get("default") == item.default
        assert prop.get("secret", False) == item.secret
    assert spec.get("required", []) == sorted(item.schema for item in table.FIELDS if item.required)


def test_secret_capable_fields_are_secret_in_the_schema(package: dict[str, Any]) -> None:
    job = package["resources"][schema.token("LiveRecordJob")]["inputProperties"]
    stream = package["types"][schema.token("StreamInput")]["properties"]
    assert job["notifyUrl"]["secret"] is True and stream["url"]["secret"] is True
    assert package["config"]["variables"]["secretKey"]["secret"] is True


def test_defaults_are_the_providers_defaults(package: dict[str, Any]) -> None:
    job = package["resources"][schema.token("LiveRecordJob")]["inputProperties"]
    assert job["waitTimeoutSeconds"]["default"] == 300
    assert job["deleteRecordingsOnDestroy"]["default"] is False
    record_format = package["types"][schema.token("RecordFormat")]["properties"]
    assert record_format["sliceDuration"]["default"] == 30
    assert record_format["cycleDuration"]["default"] == 21600


def test_schema_json_is_valid_json_with_a_trailing_newline() -> None:
    text = SCHEMA_FILE.read_text()
    assert text.endswith("}\n") and json.loads(text)["name"] == "ims-record"
