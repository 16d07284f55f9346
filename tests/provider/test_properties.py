"""The typed values of the checked inputs and the declared properties are one fact: each typed value has
exactly the resource's input properties, decoding names what is missing, and mypy refuses a mistyped key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pulumi_ims_record.provider import _properties
from pulumi_ims_record.provider._checks import JOB_API_INPUTS
from tests.conftest import REPO_ROOT


@pytest.mark.parametrize("resource", sorted(_properties.INPUT_TYPES))
def test_each_resources_typed_inputs_are_its_declared_input_properties(resource: str) -> None:
    typed = _properties.INPUT_TYPES[resource]
    assert set(typed.__annotations__) == set(_properties.inputs(resource))
    required = {prop.snake for prop in _properties.RESOURCES[resource][1] if prop.required}
    assert required <= typed.__required_keys__


def test_the_nested_typed_values_are_the_declared_types() -> None:
    assert set(_properties.JobSetEntry.__annotations__) == set(
        _properties.type_fields("LiveRecordJobSetEntry")
    )
    assert set(_properties.RecordFormatValue.__annotations__) == set(_properties.type_fields("RecordFormat"))
    assert set(_properties.RecordOutputValue.__annotations__) == set(_properties.type_fields("RecordOutput"))
    assert set(_properties.StreamInputValue.__annotations__) == set(_properties.type_fields("StreamInput"))
    assert set(_properties.JobRequest.__annotations__) == set(JOB_API_INPUTS)


def test_decoding_names_what_did_not_come_through_check() -> None:
    with pytest.raises(_properties.MissingInputError, match="missing stream_input, template_id"):
        _properties.decode(_properties.JobInputs, {"name": "a", "record_output": {}})
    decoded = _properties.decode(
        _properties.TemplateInputs,
        {"name": "t", "record_formats": [], "__provider": "x"},
        skip=("__provider",),
    )
    assert decoded == {"name": "t", "record_formats": []}


def test_mypy_refuses_a_mistyped_input_key(tmp_path: Path) -> None:
    program = tmp_path / "mistyped.py"
    program.write_text(
        "from pulumi_ims_record.provider._properties import JobInputs\n"
        "def template(inputs: JobInputs) -> str:\n"
        "    return inputs['templte_id']\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(program)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and 'TypedDict "JobInputs" has no key "templte_id"' in result.stdout, result
