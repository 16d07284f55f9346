"""Turning typed ``*Args`` (or dicts, or Outputs of either) into the plain JSON the dynamic provider receives.

A nested object becomes ONE ``Output`` of a plain snake_case dict. That keeps the engine's secret handling
simple: if any part (say ``stream_input.url``) is secret, the whole ``stream_input`` property is a secret
input, and the engine then marks the same-named output secret in state (it only matches top-level keys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def _fields_of(value: Any, fields: Sequence[str]) -> Any:
    """A plain dict of the set fields of an ``*Args`` object or a dict; other values pass unchanged (for
    ``check`` to reject with a clear message). Unknown dict keys are kept so ``check`` can name them."""
    if isinstance(value, Mapping):
        return {str(key): item for key, item in value.items() if item is not None}
    if all(hasattr(type(value), field) for field in fields):
        return {field: getattr(value, field) for field in fields if getattr(value, field) is not None}
    return value


def nested_object(value: Any, fields: Sequence[str]) -> pulumi.Output[Any] | None:
    """One ``Output`` of a plain dict for a nested input object (``StreamInputArgs``, a dict, an Output…)."""
    if value is None:
        return None
    if isinstance(value, pulumi.Output):
        return value.apply(lambda resolved: pulumi.Output.from_input(_fields_of(resolved, fields)))
    return pulumi.Output.from_input(_fields_of(value, fields))


def nested_list(value: Any, fields: Sequence[str]) -> pulumi.Output[Any] | None:
    """One ``Output`` of a list of plain dicts (``record_formats``)."""
    if value is None:
        return None
    if isinstance(value, pulumi.Output):
        return value.apply(lambda resolved: nested_list(resolved, fields))
    if not isinstance(value, list | tuple):
        return pulumi.Output.from_input(value)
    items = [
        item.apply(lambda resolved: pulumi.Output.from_input(_fields_of(resolved, fields)))
        if isinstance(item, pulumi.Output)
        else pulumi.Output.from_input(_fields_of(item, fields))
        for item in value
    ]
    return pulumi.Output.all(*items)


def args_from(args: Any, args_type: type, overrides: Mapping[str, Any]) -> Any:
    """The ``args=`` object when given (an ``*Args`` instance or a dict of its keyword arguments), else one
    built from keyword arguments."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if args is None:
        return args_type(**given)
    if given:
        raise TypeError(f"pass either args= or keyword arguments, not both (got args and {', '.join(given)})")
    if isinstance(args, Mapping):
        return args_type(**args)
    if not isinstance(args, args_type):
        raise TypeError(f"args must be a {args_type.__name__} or a dict, not {type(args).__name__}")
    return args
