"""``check`` never raises, whatever a program passes: any string, number, list or map in any property of the
three resources (nested ones included) comes back as a ``CheckResult`` whose failures name a property."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import CheckResult, ResourceProvider

from pulumi_ims_record.provider import LiveRecordJobProvider, LiveRecordTemplateProvider
from pulumi_ims_record.provider._checks import (
    ENTRY_FIELDS,
    JOB_INPUTS,
    RECORD_FORMAT_FIELDS,
    RECORD_OUTPUT_FIELDS,
    SET_INPUTS,
    STREAM_INPUT_FIELDS,
    TEMPLATE_INPUTS,
    UNKNOWN_SENTINEL,
)
from pulumi_ims_record.provider.job_set import LiveRecordJobSetProvider

# What a program can hand the engine: JSON-like values, with the text that breaks parsers (URLs with an
# unclosed "[", odd ports, other scripts' digits, control characters) and the engine's unknown sentinel.
TRICKY_TEXT = st.sampled_from(
    [
        "rtmp://[::1/live/x",
        "http://[::1/hook",
        "rtmp://h:99999/live/s",
        "rtmp://h:abc/live/s",
        "rtmp://h:0/live/s",
        "https://h:70000/x",
        "outin/../../x",
        "１０",
        "m3u8",
        "vod",
        "oss",
        "{JobId}/{StartTime}_{EndTime}",
        "a\x00b",
        "",
        " ",
        UNKNOWN_SENTINEL,
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | TRICKY_TEXT
)
ANY_VALUE = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def shaped(
    fields: tuple[str, ...], *, top: bool = False, **nested: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """A map of some of ``fields`` (plus stray keys), each an arbitrary value or, for ``nested`` ones, a
    value of that shape; below the top level (always a map: the engine's property map) sometimes not a map."""
    # Known fields get the tricky text half the time: it is what reaches the parsers.
    value_of = {name: nested.get(name, TRICKY_TEXT) | ANY_VALUE for name in fields}
    mapping = st.fixed_dictionaries({}, optional={name: value_of[name] for name in fields}).flatmap(
        lambda known: st.dictionaries(st.text(max_size=12), ANY_VALUE, max_size=2).map(
            lambda stray: {**stray, **known}
        )
    )
    return mapping if top else mapping | ANY_VALUE


STREAM_INPUT = shaped(STREAM_INPUT_FIELDS)
RECORD_OUTPUT = shaped(RECORD_OUTPUT_FIELDS)
RECORD_FORMATS = st.lists(shaped(RECORD_FORMAT_FIELDS), max_size=3)
TEMPLATE = shaped(TEMPLATE_INPUTS, top=True, record_formats=RECORD_FORMATS)
JOB = shaped(JOB_INPUTS, top=True, stream_input=STREAM_INPUT, record_output=RECORD_OUTPUT)
ENTRY = shaped(ENTRY_FIELDS, stream_input=STREAM_INPUT, record_output=RECORD_OUTPUT)
JOB_SET = shaped(SET_INPUTS, top=True, jobs=st.lists(ENTRY, max_size=4), record_output=RECORD_OUTPUT)

PROVIDERS: dict[str, tuple[ResourceProvider, st.SearchStrategy[Any]]] = {
    "template": (LiveRecordTemplateProvider(), TEMPLATE),
    "job": (LiveRecordJobProvider(), JOB),
    "job set": (LiveRecordJobSetProvider(), JOB_SET),
}


@pytest.mark.parametrize("resource", sorted(PROVIDERS))
def test_check_answers_for_any_input_and_never_raises(resource: str) -> None:
    provider, inputs = PROVIDERS[resource]

    # check() is pure (no configuration, no API call), so one provider serves every example.
    @settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(news=inputs)
    def check_any(news: Any) -> None:
        result = provider.check({}, news)
        assert isinstance(result, CheckResult)
        for failure in result.failures or []:
            assert isinstance(failure.property, str) and isinstance(failure.reason, str)
            assert failure.reason

    check_any()
