"""A program with more dynamic resources than Python's recursion limit still pickles every provider.

The Pulumi SDK nests one more pickling wrapper per dynamic resource it constructs (see
``resources/_sdk_workarounds.py``); without our workaround the ~980th resource fails with RecursionError.
"""

from __future__ import annotations

import sys
from typing import Any

import pulumi

from pulumi_ims_record import LiveRecordTemplate, RecordFormatArgs


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


pulumi.runtime.set_mocks(_Mocks(), preview=False)


@pulumi.runtime.test
def test_more_templates_than_the_recursion_limit() -> Any:
    count = sys.getrecursionlimit() + 200
    templates = [
        LiveRecordTemplate(f"t{index}", record_formats=[RecordFormatArgs(format="mp4")])
        for index in range(count)
    ]
    return templates[-1].id.apply(lambda template_id: _assert_equal(template_id, f"t{count - 1}-id"))


def _assert_equal(actual: str, expected: str) -> None:
    assert actual == expected
