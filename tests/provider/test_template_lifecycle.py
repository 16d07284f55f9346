"""``LiveRecordTemplateProvider`` create / read / update / delete / adopt against a local IMS."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_ims_record.ice import _client as ice_client
from pulumi_ims_record.provider import LiveRecordTemplateProvider, ProviderError
from pulumi_ims_record.provider._base import AFTER_AN_INTERRUPTED_UP
from tests.conftest import LocalIms

from .conftest import HLS_FORMAT, checked

SYSTEM_TEMPLATE_ID = "ims-system-m3u8"  # a preset the local IMS seeds, as IMS has its own
MP4 = {
    "format": "mp4",
    "oss_object_prefix": "record/{JobId}/{Sequence}_{StartTime}_{EndTime}",
    "cycle_duration": 600,
}


def create(provider: LiveRecordTemplateProvider, **news: Any) -> tuple[str, dict[str, Any]]:
    inputs = checked(provider, {"name": "hls", "record_formats": [dict(HLS_FORMAT)], **news})
    result = provider.create({**inputs, "__provider": "pickle"})
    return result.id, result.outs


def test_create_returns_every_input_and_the_template_outputs(
    template_provider: LiveRecordTemplateProvider, local_ims: LocalIms
) -> None:
    local_ims.reset_stats()
    template_id, outs = create(template_provider)
    assert outs["template_id"] == template_id
    assert outs["name"] == "hls"
    assert outs["record_formats"] == [{**HLS_FORMAT, "cycle_duration": 21600}]
    assert outs["type"] == "custom"
    assert outs["create_time"].endswith("Z") and outs["last_modified"].endswith("Z")
    assert outs["adopted"] is False
    assert "__provider" not in outs
    assert local_ims.stats().get("CreateLiveRecordTemplate") == 1


def test_read_reports_the_template_and_realigns_inputs(template_provider: LiveRecordTemplateProvider) -> None:
    template_id, outs = create(template_provider)
    result = template_provider.read(template_id, {**outs, "__provider": "pickle"})
    assert result.id == template_id
    assert result.outs == outs
    assert result.inputs == {"name": "hls", "record_formats": outs["record_formats"]}


def test_read_shows_drift_made_outside_pulumi(
    template_provider: LiveRecordTemplateProvider, local_ims: LocalIms
) -> None:
    template_id, outs = create(template_provider)
    with local_ims.client() as client:
        from pulumi_ims_record.ice import RecordFormat

        client.update_live_record_template(
            template_id=template_id,
            name="renamed",
            record_formats=[RecordFormat(format="flv", cycle_duration=900)],
        )
    result = template_provider.read(template_id, outs)
    assert result.inputs["name"] == "renamed"
    assert result.inputs["record_formats"] == [{"format": "flv", "cycle_duration": 900}]
    diff = template_provider.diff(
        template_id, outs, {"name": "hls", "record_formats": outs["record_formats"]}
    )
    assert diff.changes is False  # state still says "hls": the drift shows after refresh, through read
    diff_after_refresh = template_provider.diff(template_id, result.outs, outs)
    assert diff_after_refresh.changes is True and diff_after_refresh.replaces == []


def test_read_of_a_deleted_template_returns_an_empty_id(
    template_provider: LiveRecordTemplateProvider,
) -> None:
    template_id, outs = create(template_provider)
    template_provider.delete(template_id, outs)
    result = template_provider.read(template_id, outs)
    assert result.id == ""
    assert result.outs == {}


def test_update_sends_the_full_name_and_formats_and_returns_complete_outputs(
    template_provider: LiveRecordTemplateProvider, local_ims: LocalIms
) -> None:
    template_id, outs = create(template_provider)
    news = checked(template_provider, {"name": "hls+mp4", "record_formats": [dict(HLS_FORMAT), dict(MP4)]})
    local_ims.reset_stats()
    result = template_provider.update(template_id, outs, {**news, "__provider": "pickle"})
    assert local_ims.stats().get("UpdateLiveRecordTemplate") == 1
    assert result.outs["name"] == "hls+mp4"
    assert result.outs["record_formats"] == [{**HLS_FORMAT, "cycle_duration": 21600}, MP4]
    assert set(result.outs) >= {"template_id", "type", "create_time", "last_modified", "adopted"}
    reread = template_provider.read(template_id, result.outs)
    assert reread.outs["record_formats"] == result.outs["record_formats"]


def test_an_imported_system_template_is_never_updated(
    template_provider: LiveRecordTemplateProvider, local_ims: LocalIms, capfd: pytest.CaptureFixture[str]
) -> None:
    """An imported preset: a change is said at preview and refused on update with what to do instead, without
    asking IMS (which refuses presets with OperationDenied.SystemTemplate)."""
    imported = template_provider.read(SYSTEM_TEMPLATE_ID, {})  # what `pulumi import` does
    assert imported.outs["type"] == "system"
    news = checked(template_provider, {**imported.inputs, "record_formats": [dict(MP4)]})
    diff = template_provider.diff(SYSTEM_TEMPLATE_ID, imported.outs, news)
    assert diff.changes and not diff.replaces
    said = "a system template (an IMS preset, as imported) cannot be changed: put back the imported values"
    assert said in capfd.readouterr().err
    local_ims.reset_stats()
    with pytest.raises(ProviderError) as raised:
        template_provider.update(SYSTEM_TEMPLATE_ID, imported.outs, {**news, "__provider": "pickle"})
    label = f"LiveRecordTemplate '{imported.outs['name']}' ({SYSTEM_TEMPLATE_ID})"
    assert str(raised.value).startswith(f"{label}: {said}")
    assert local_ims.total_calls() == 0


def test_delete_removes_the_template_and_tolerates_one_already_gone(
    template_provider: LiveRecordTemplateProvider, local_ims: LocalIms
) -> None:
    template_id, outs = create(template_provider)
    template_provider.delete(template_id, outs)
    with local_ims.client() as client:
        from pulumi_ims_record.ice import NotFoundError

        with pytest.raises(NotFoundError):
            client.get_live_record_template(template_id=template_id)
    template_provider.delete(template_id, outs)  # again: already gone, no error
    assert local_ims.stats().get("DeleteLiveRecordTemplate") == 2


def test_adopt_an_existing_template_that_matches(
    template_provider: LiveRecordTemplateProvider, local_ims: LocalIms
) -> None:
    existing_id, _ = create(template_provider)
    local_ims.reset_stats()
    template_id, outs = create(template_provider, adopt_template_id=existing_id)
    assert template_id == existing_id
    assert outs["adopted"] is True
    assert outs["adopt_template_id"] == existing_id
    assert "CreateLiveRecordTemplate" not in local_ims.stats()


def test_adopt_refuses_a_template_that_does_not_match_and_lists_the_differences(
    template_provider: LiveRecordTemplateProvider,
) -> None:
    existing_id, _ = create(template_provider)
    with pytest.raises(ProviderError) as caught:
        create(template_provider, name="other", record_formats=[dict(MP4)], adopt_template_id=existing_id)
    message = str(caught.value)
    assert "does not match" in message and "name is 'hls', declared 'other'" in message
    assert "record_formats are" in message
    assert "\n" not in message


def test_adopt_of_a_missing_template_says_so(template_provider: LiveRecordTemplateProvider) -> None:
    with pytest.raises(ProviderError, match="adopt_template_id: no template 'no-such-template' exists"):
        create(template_provider, adopt_template_id="no-such-template")


def test_api_errors_are_one_line_with_code_and_request_id(
    template_provider: LiveRecordTemplateProvider,
) -> None:
    template_id, outs = create(template_provider)
    # Bypass check to reach the service's own validation: its answer must come back readable.
    bad = {"name": "hls", "record_formats": [{"format": "m3u8", "slice_duration": 99}]}
    with pytest.raises(ProviderError) as caught:
        template_provider.update(template_id, outs, bad)
    message = str(caught.value)
    assert message.startswith(
        f"LiveRecordTemplate 'hls' ({template_id}): UpdateLiveRecordTemplate failed: Code "
    )
    assert "RequestId: " in message and "unknown" not in message.split("RequestId: ")[1]
    assert "\n" not in message
    assert "ims-local-secret" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# --- a template left by an interrupted `pulumi up` (issue 34) ---


def test_a_template_an_earlier_process_created_with_the_same_name_and_formats_is_adopted(
    make_provider: Any, local_ims: LocalIms, capsys: pytest.CaptureFixture[str]
) -> None:
    """The killed run's provider created it; the next run's provider (another process) adopts it instead of
    creating a second one under the same name."""
    leftover_id, _ = create(make_provider(LiveRecordTemplateProvider))
    local_ims.reset_stats()

    template_id, outs = create(make_provider(LiveRecordTemplateProvider))

    assert template_id == leftover_id and outs["adopted"] is True
    assert "CreateLiveRecordTemplate" not in local_ims.stats()
    warning = capsys.readouterr().err
    assert f"warning: LiveRecordTemplate 'hls': adopting template {leftover_id}, created at " in warning
    assert "give this template a name of its own" in warning and AFTER_AN_INTERRUPTED_UP in warning


def test_a_recent_template_with_other_formats_is_not_adopted(make_provider: Any) -> None:
    leftover_id, _ = create(make_provider(LiveRecordTemplateProvider), record_formats=[dict(MP4)])
    template_id, outs = create(make_provider(LiveRecordTemplateProvider))
    assert template_id != leftover_id and outs["adopted"] is False


def test_each_leftover_is_adopted_by_one_resource_and_a_run_never_adopts_its_own(
    make_provider: Any, local_ims: LocalIms
) -> None:
    leftover_id, _ = create(make_provider(LiveRecordTemplateProvider))
    provider = make_provider(LiveRecordTemplateProvider)
    local_ims.reset_stats()

    first, _ = create(provider)
    second, second_outs = create(provider)  # a second resource of the same name and formats
    third, _ = create(provider)

    assert first == leftover_id
    assert second_outs["adopted"] is False and len({first, second, third}) == 3
    assert local_ims.stats().get("CreateLiveRecordTemplate") == 2
    assert local_ims.stats().get("ListLiveRecordTemplates") == 1  # listed once per process


def test_a_failed_listing_of_leftovers_says_why_it_was_made(
    make_provider: Any, local_ims: LocalIms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ice_client, "BACKOFF_BASE_SECONDS", 0.01)
    local_ims.set_faults({"error_rate": {"ListLiveRecordTemplates": 1.0}, "error_kind": "5xx"})
    with pytest.raises(ProviderError, match="before creating, listing the templates of the last 10 minutes"):
        create(make_provider(LiveRecordTemplateProvider))
    assert "CreateLiveRecordTemplate" not in local_ims.stats()
