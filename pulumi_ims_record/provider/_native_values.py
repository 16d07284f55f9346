"""The native plugin's values: the engine's camelCase ``PropertyValue`` maps as the plain snake_case values
the core takes and back, names said the schema's way, the detailed diff, and secrets kept secret. Names come
from the declared properties (``_properties``), never guessed from the value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from pulumi_ims_record.api.fields import camel_case

from . import _properties
from ._base import differs

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
    maps: frozenset[str]
    """Properties whose keys are the user's, not property names."""


def _shape(resource: str) -> _Shape:
    _, properties = _properties.RESOURCES[resource]
    shapes = [_properties.OUTPUT_SHAPES.get((resource, prop.snake), prop) for prop in properties]
    return _Shape(
        inputs=_properties.inputs(resource),
        maps=frozenset(prop.snake for prop in shapes if prop.type == _properties.MAP),
    )


SHAPES = {resource: _shape(resource) for resource in _properties.RESOURCES} | {
    function: _Shape(inputs=tuple(prop.snake for prop in inputs), maps=frozenset())
    for function, (_, inputs, _) in _properties.FUNCTIONS.items()
}
"""By resource, and by function (a function's own shape: its arguments, no maps)."""
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


def leaf_diffs(
    path: str, old: Any, new: Any, replace: bool, *, input_diff: bool = False
) -> dict[str, rpc.PropertyDiff]:
    """The changed leaves below ``path`` (``streamInput.url``, ``recordFormats[0].sliceDuration``)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: dict[str, rpc.PropertyDiff] = {}
        for key in sorted(set(old) | set(new)):
            found.update(
                leaf_diffs(
                    f"{path}.{camel_case(key)}", old.get(key), new.get(key), replace, input_diff=input_diff
                )
            )
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = {}
        for index, (old_item, new_item) in enumerate(zip(old, new, strict=True)):
            found.update(leaf_diffs(f"{path}[{index}]", old_item, new_item, replace, input_diff=input_diff))
        return found
    if not differs(old, new):
        return {}
    change = "add" if old is None else "delete" if new is None else "update"
    return {path: rpc.PropertyDiff(_DIFF_KINDS[replace, change], input_diff=input_diff)}


def entry_diffs(state: Any, entries: Any) -> dict[str, rpc.PropertyDiff]:
    """A job set's changes entry by entry, at each entry's place in the new ``jobs`` list (the engine's paths
    index a list by position; the core's warnings name the keys). State keeps the entries by key."""
    if not isinstance(state, Mapping) or not isinstance(entries, list):
        return leaf_diffs("jobs", state, entries, False)
    found: dict[str, rpc.PropertyDiff] = {}
    for index, entry in enumerate(entries):
        old = state.get(str(entry.get("key"))) if isinstance(entry, Mapping) else None
        if old is None:
            found[f"jobs[{index}]"] = rpc.PropertyDiff(rpc.PropertyDiffKind.ADD, input_diff=True)
            continue
        for field in _ENTRY_FIELDS:
            found.update(
                leaf_diffs(
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
    maps = SHAPES[resource].maps
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
    maps = SHAPES[resource].maps
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
