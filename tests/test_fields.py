"""``api.fields`` is the one place an API field name is written: these tests pin that, and that the tables
are well-formed (every name unique within its table, schema names derived, nested types given)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from pulumi_ims_record import resources
from pulumi_ims_record.api import fields
from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "pulumi_ims_record"
TABLE_FILE = PACKAGE / "api" / "fields.py"


def spelled_names(path: Path, names: frozenset[str]) -> list[str]:
    """``line: name`` for each string literal equal to an API name, and each keyword argument named like one
    (``build_params(JobId=...)``), in ``path``."""
    found: list[str] = []
    tree = ast.parse(path.read_text(), str(path))
    exported = {  # ``__all__`` lists Python names (``ice.StreamInput`` the class), not API fields
        id(element)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(getattr(target, "id", "") == "__all__" for target in node.targets)
        for element in ast.walk(node.value)
    }
    for node in ast.walk(tree):
        if id(node) in exported:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            found.append(f"{node.lineno}: {node.value}")
        elif isinstance(node, ast.keyword) and node.arg in names:
            found.append(f"{node.value.lineno}: {node.arg}=")
    return found


def test_each_api_field_name_is_written_only_in_the_tables() -> None:
    names = fields.api_names()
    elsewhere = {
        str(path.relative_to(REPO_ROOT)): spelled
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != TABLE_FILE and (spelled := spelled_names(path, names))
    }
    assert elsewhere == {}


def test_the_scan_finds_a_spelled_field_name(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('params = build(JobId=job_id)\nvalue = answer["NotifyUrl"]\ntext = "no JobId here"\n')
    assert spelled_names(sample, fields.api_names()) == ["1: JobId=", "2: NotifyUrl"]


def test_the_names_the_issue_lists_are_in_the_tables() -> None:
    listed = {
        "StreamInput",
        "RecordOutput",
        "TemplateId",
        "NotifyUrl",
        "RecordFormat",
        "SliceDuration",
        "OssObjectPrefix",
        "SliceOssObjectPrefix",
        "CycleDuration",
        "JobId",
        "Status",
    }
    assert listed <= fields.api_names()


@pytest.mark.parametrize("table", fields.TABLES, ids=lambda table: table.__name__)
def test_a_table_is_well_formed(table: type[fields.Table]) -> None:
    snake = [item.snake for item in table.FIELDS]
    api = [item.api for item in table.FIELDS]
    assert table.FIELDS and len(set(snake)) == len(snake) and len(set(api)) == len(api)
    for item in table.FIELDS:
        assert item.type in (
            fields.STRING,
            fields.INTEGER,
            fields.NUMBER,
            fields.BOOLEAN,
            fields.OBJECT,
            fields.ARRAY,
        )
        assert item.description.endswith(".") and "\n" not in item.description
        assert item.schema[0].islower() and "_" not in item.schema
        assert (item.of is not None) <= (item.type in (fields.OBJECT, fields.ARRAY))
        assert (item.type == fields.OBJECT) <= (item.of is not None)
        assert not (item.required and item.computed)


def test_schema_names_are_camel_case_of_the_snake_names() -> None:
    assert fields.RecordFormat.slice_oss_object_prefix.schema == "sliceOssObjectPrefix"
    assert fields.LiveRecordJob.notify_url.schema == "notifyUrl"
    assert fields.LiveRecordTemplate.record_formats.request_name == "RecordFormat"
    assert fields.LiveRecordJob.snake_names(inputs_only=True) == (
        "name",
        "stream_input",
        "record_output",
        "template_id",
        "notify_url",
    )


@pytest.mark.parametrize(
    ("args_type", "table"),
    [
        (resources.StreamInputArgs, fields.StreamInput),
        (resources.RecordOutputArgs, fields.RecordOutput),
        (resources.RecordFormatArgs, fields.RecordFormat),
        (resources.LiveRecordJobArgs, fields.LiveRecordJob),
        (resources.LiveRecordTemplateArgs, fields.LiveRecordTemplate),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_each_args_type_takes_its_tables_inputs(args_type: type, table: type[fields.Table]) -> None:
    """The typed ``*Args`` (and ``*ArgsDict``) a user writes take every input field of the table under its
    snake_case name, each documented with the default the table gives."""
    parameters = inspect.signature(args_type.__init__).parameters
    dict_keys = getattr(resources, f"{args_type.__name__}Dict").__annotations__
    for item in table.FIELDS:
        if item.computed:
            continue
        assert item.snake in parameters and item.snake in dict_keys
        doc = getattr(args_type, item.snake).__doc__ or ""
        assert doc.strip()
        if item.default is not None:
            assert str(item.default) in doc, f"{args_type.__name__}.{item.snake} does not say its default"
