"""The Python resources' Args take exactly each resource's declared input properties
(``provider/_properties``), the plain-dict forms the same keys, and where a docstring states a provider-side
range or default it is the declared one: a property added, renamed or re-ranged in one place and not the
other fails here."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from pulumi_ims_record import resources
from pulumi_ims_record.provider import _properties

ARGS = {
    "LiveRecordTemplate": (resources.LiveRecordTemplateArgs, resources.LiveRecordTemplateArgsDict),
    "LiveRecordJob": (resources.LiveRecordJobArgs, resources.LiveRecordJobArgsDict),
    "LiveRecordJobSet": (resources.LiveRecordJobSetArgs, None),
}
TYPES = {
    "LiveRecordJobSetEntry": (resources.LiveRecordJobSetEntryArgs, resources.LiveRecordJobSetEntryArgsDict),
    "StreamInput": (resources.StreamInputArgs, resources.StreamInputArgsDict),
    "RecordOutput": (resources.RecordOutputArgs, resources.RecordOutputArgsDict),
    "RecordFormat": (resources.RecordFormatArgs, resources.RecordFormatArgsDict),
}


def keyword_arguments(args_class: type) -> set[str]:
    return {name for name in inspect.signature(args_class.__init__).parameters if name != "self"}


@pytest.mark.parametrize("resource", sorted(ARGS))
def test_each_resources_args_are_its_declared_inputs(resource: str) -> None:
    args_class, dict_form = ARGS[resource]
    declared = set(_properties.inputs(resource))
    assert keyword_arguments(args_class) == declared
    if dict_form is not None:
        assert set(dict_form.__annotations__) == declared


@pytest.mark.parametrize("name", sorted(TYPES))
def test_each_nested_args_are_the_declared_type(name: str) -> None:
    args_class, dict_form = TYPES[name]
    declared = set(_properties.type_fields(name))
    assert keyword_arguments(args_class) == declared
    assert set(dict_form.__annotations__) == declared


@pytest.mark.parametrize(
    "prop", [_properties.WAIT_TIMEOUT, _properties.CONCURRENCY], ids=lambda prop: prop.snake
)
def test_docstrings_state_the_declared_range_and_default(prop: _properties.Property) -> None:
    low, high = prop.bounds
    sources = [
        Path(inspect.getfile(module)).read_text()
        for module in (resources._inputs, resources.live_record_job_set)
    ]
    said = [text for text in sources if f"``{prop.snake}``" in text or f"{prop.snake}:" in text]
    assert said, prop.snake
    for text in said:
        assert f"{low}–{high}" in text and f"Default {prop.default}" in text, prop.snake
