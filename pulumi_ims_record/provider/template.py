"""``LiveRecordTemplateProvider``: the engine side of ``LiveRecordTemplate``.

In the order every provider here follows: schema (the API field table), check, diff, create, read, update,
delete. A template has full CRUD: name and formats update in place; ``adopt_template_id`` tracks an existing
template instead of creating one (``pulumi import`` does not work for dynamic resources, pulumi/pulumi#16175).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_ims_record.api import rules
from pulumi_ims_record.ice import (
    AuthorizationError,
    IceClient,
    IceError,
    LiveRecordTemplate,
    NotFoundError,
    OutcomeUnknownError,
    RecordFormat,
)

from ._base import AFTER_AN_INTERRUPTED_UP, ProviderBase, differs, parse_api_time, without_provider
from ._checks import TEMPLATE_INPUTS, check_template, engine_failures, is_unknown, plain_number
from ._properties import RecordFormatValue, TemplateInputs
from ._settings import ProviderSettings

# --- schema: snake_case property → ice.RecordFormat field (PascalCase API names live in ice/) ---

UPDATABLE = ("name", "record_formats")
RECENT_WINDOW = timedelta(minutes=10)
"""A template with the same name and formats created this recently is taken to be ours: after an ambiguous
CreateLiveRecordTemplate, and, at create, one that existed before this provider process looked (left by an
interrupted ``pulumi up``, whose state never got its id)."""
RECENT_MINUTES = int(RECENT_WINDOW.total_seconds() // 60)
LOOKING_FOR_LEFTOVER_TEMPLATES = (
    f"before creating, listing the templates of the last {RECENT_MINUTES} minutes for one an interrupted "
    "earlier run may have created (adopted instead of making a second one)"
)


def recent_templates(client: IceClient, *, keyword: str | None = None) -> Iterator[LiveRecordTemplate]:
    """The custom templates created within ``RECENT_WINDOW``, newest first (raises ``IceError``)."""
    horizon = datetime.now(timezone.utc) - RECENT_WINDOW
    for template in client.iter_live_record_templates(keyword=keyword, type="custom", sort_by="desc"):
        if parse_api_time(template.create_time) < horizon:
            return
        yield template


class LeftoverTemplates:
    """The recent templates a provider process may adopt (thread-safe): listed once, before its first create,
    so none it makes itself is among them; each is adopted by at most one resource."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._templates: list[LiveRecordTemplate] | None = None
        self._taken: set[str] = set()

    def forget(self) -> None:
        """Another service (new settings): what the old one said no longer holds."""
        with self._lock:
            self._templates = None
            self._taken.clear()

    def claim(
        self, client: IceClient, fits: Callable[[LiveRecordTemplate], bool]
    ) -> LiveRecordTemplate | None:
        """The newest unclaimed leftover that ``fits``, now claimed (raises ``IceError`` if listing fails)."""
        with self._lock:
            if self._templates is None:
                self._templates = list(recent_templates(client))
            horizon = datetime.now(timezone.utc) - RECENT_WINDOW
            for template in self._templates:
                if template.template_id in self._taken or parse_api_time(template.create_time) < horizon:
                    continue
                if fits(template):
                    self._taken.add(template.template_id)
                    return template
        return None


def formats_to_api(formats: Sequence[RecordFormatValue]) -> list[RecordFormat]:
    return [
        RecordFormat(
            format=item["format"],
            oss_object_prefix=item.get("oss_object_prefix"),
            slice_oss_object_prefix=item.get("slice_oss_object_prefix"),
            slice_duration=plain_number(item.get("slice_duration")),
            cycle_duration=plain_number(item.get("cycle_duration")),
        )
        for item in formats
    ]


def format_from_api(record_format: RecordFormat, declared: Mapping[str, Any] | None) -> dict[str, Any]:
    """A format as the service reports it, in input form. A prefix the user left unset is the service's
    default, not drift, so it stays unset; missing durations are the documented defaults."""
    is_m3u8 = record_format.format == "m3u8"
    values: dict[str, Any] = {
        "format": record_format.format,
        "oss_object_prefix": record_format.oss_object_prefix,
        "slice_oss_object_prefix": record_format.slice_oss_object_prefix if is_m3u8 else None,
        "slice_duration": (record_format.slice_duration or rules.DEFAULT_SLICE_DURATION) if is_m3u8 else None,
        "cycle_duration": record_format.cycle_duration or rules.DEFAULT_CYCLE_DURATION,
    }
    if declared is not None:
        for key in ("oss_object_prefix", "slice_oss_object_prefix"):
            if declared.get(key) is None:
                values[key] = None
    return {key: value for key, value in values.items() if value is not None}


def formats_from_api(record_formats: Sequence[RecordFormat], declared: object) -> list[dict[str, Any]]:
    """The service's formats, in the order the user declared them (the service may list them differently);
    ``declared`` is what the stack says of them, maybe nothing (an imported template)."""
    items = declared if isinstance(declared, list | tuple) else ()
    by_format = {str(item.get("format")): item for item in items if isinstance(item, Mapping)}
    order = list(by_format)
    converted = [format_from_api(item, by_format.get(item.format)) for item in record_formats]
    return sorted(
        converted, key=lambda item: order.index(item["format"]) if item["format"] in order else len(order)
    )


def canonical_formats(formats: Any) -> Any:
    """Formats compared as a set keyed by format (each may appear once), numbers as ints."""
    if not isinstance(formats, list | tuple):
        return plain_number(formats)
    entries = [plain_number(dict(item)) if isinstance(item, Mapping) else item for item in formats]
    return sorted(entries, key=lambda item: str(item.get("format")) if isinstance(item, dict) else "")


SYSTEM_TYPE = "system"
SYSTEM_TEMPLATE_IS_READ_ONLY = (
    "a system template (an IMS preset, as imported) cannot be changed: put back the imported values, or "
    "declare a template of your own with these settings and point the jobs at it"
)
"""Said at preview and on update of an imported system template: IMS refuses to update presets."""


class LiveRecordTemplateProvider(ProviderBase):
    """CRUD of a custom live-recording template (CreateLiveRecordTemplate and friends)."""

    kind = "LiveRecordTemplate"

    def _reset(self) -> None:
        super()._reset()
        self._leftovers = LeftoverTemplates()  # per provider process, never pickled

    def use_settings(self, settings: ProviderSettings) -> None:
        super().use_settings(settings)
        self._leftovers.forget()  # another service: forget what the old one said

    # --- check ---

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = check_template(news)
        return CheckResult(inputs, engine_failures(failures))

    # --- diff ---

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in UPDATABLE if self._differs(key, olds.get(key), news.get(key))]
        replaces = []
        adopt = news.get("adopt_template_id")
        # Removing adopt_template_id after adoption changes nothing; pointing it at another template does.
        if adopt is not None and (is_unknown(adopt) or adopt != id_):
            replaces.append("adopt_template_id")
        if changed and olds.get("type") == SYSTEM_TYPE:  # an imported preset: the update would fail
            self.warn_of_update(f"{self.kind} '{olds.get('name')}' ({id_}): {SYSTEM_TEMPLATE_IS_READ_ONLY}")
        elif changed and not replaces:  # said at preview, where a reviewer reads it
            self.warn_of_update(
                f"{self.kind} '{olds.get('name')}' ({id_}) is updated in place ({', '.join(changed)}): jobs "
                "already recording with it keep the settings they were submitted with; only new jobs use the "
                "new ones"
            )
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    @staticmethod
    def _differs(key: str, old: Any, new: Any) -> bool:
        if key == "record_formats" and not is_unknown(new):
            return differs(canonical_formats(old), canonical_formats(new))
        return differs(old, new)

    # --- create ---

    def create(self, props: dict[str, Any]) -> CreateResult:
        label = f"'{props.get('name')}'"
        inputs = self.inputs(TemplateInputs, props, label)
        adopt = inputs.get("adopt_template_id")
        if adopt:
            template = self._get(adopt, label, missing=f"adopt_template_id: no template {adopt!r} exists")
            mismatches = self._mismatches(inputs, template)
            if mismatches:
                self.fail(
                    label,
                    f"adopt_template_id {adopt!r} does not match the declared inputs: "
                    + "; ".join(mismatches)
                    + ". Change the inputs to match it, or drop adopt_template_id to create a new one",
                )
            return CreateResult(template.template_id, self._outputs(template, inputs, adopted=True))
        client = self.client()
        try:
            leftover = self._leftovers.claim(client, lambda found: not self._mismatches(inputs, found))
        except IceError as exc:
            self.fail(label, exc, during=LOOKING_FOR_LEFTOVER_TEMPLATES)
        if leftover is not None:
            self.warn(
                f"{self.kind} {label}: adopting template {leftover.template_id}, created at "
                f"{leftover.create_time} with the same name and formats and held by no other resource of "
                "this deployment (probably by an earlier `pulumi up` that was interrupted before it saved "
                "it), instead of creating a second one. If another stack made it, give this template a "
                f"name of its own. {AFTER_AN_INTERRUPTED_UP}"
            )
            return CreateResult(leftover.template_id, self._outputs(leftover, inputs, adopted=True))
        try:
            template_id = client.create_live_record_template(
                name=inputs["name"], record_formats=formats_to_api(inputs["record_formats"])
            ).template_id
        except OutcomeUnknownError as exc:
            found = self._find_recent(inputs, label)
            if found is None:
                self.fail(
                    label, f"{exc}. No matching template appeared, so none was created; it is safe to retry"
                )
            self.warn(
                f"{self.kind} {label}: CreateLiveRecordTemplate had an unknown outcome; "
                f"adopting the matching template {found.template_id} it created"
            )
            return CreateResult(found.template_id, self._outputs(found, inputs, adopted=True))
        except IceError as exc:
            self.fail(label, exc)
        template = self._get(template_id, label)
        return CreateResult(template_id, self._outputs(template, inputs, adopted=False))

    def _find_recent(self, inputs: TemplateInputs, label: str) -> LiveRecordTemplate | None:
        """The newest custom template with these name and formats created within ``RECENT_WINDOW``."""
        try:
            for template in recent_templates(self.client(), keyword=inputs["name"]):
                if not self._mismatches(inputs, template):
                    return template
        except IceError as exc:
            self.fail(label, exc)
        return None

    def _mismatches(self, inputs: TemplateInputs, template: LiveRecordTemplate) -> list[str]:
        problems = []
        if template.name != inputs["name"]:
            problems.append(f"name is {template.name!r}, declared {inputs['name']!r}")
        declared = inputs["record_formats"]
        actual = formats_from_api(template.record_formats, declared)
        if canonical_formats(actual) != canonical_formats(declared):
            problems.append(
                f"record_formats are {canonical_formats(actual)}, declared {canonical_formats(declared)}"
            )
        return problems

    # --- read ---

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        olds = without_provider(props)
        label = f"'{olds.get('name')}' ({id_})"
        try:
            template = self.client().get_live_record_template(template_id=id_).record_template
        except NotFoundError:
            return ReadResult("", {})  # deleted outside Pulumi
        except IceError as exc:
            self.fail(label, exc)
        declared = {key: olds[key] for key in TEMPLATE_INPUTS if key in olds}
        outputs = self._outputs(template, declared, adopted=bool(olds.get("adopted")))
        inputs = {key: outputs[key] for key in TEMPLATE_INPUTS if key in outputs}
        return ReadResult(id_, outputs, inputs=inputs)

    # --- update ---

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        label = f"'{news.get('name')}' ({id_})"
        inputs = self.inputs(TemplateInputs, news, label)
        if olds.get("type") == SYSTEM_TYPE:
            self.fail(label, SYSTEM_TEMPLATE_IS_READ_ONLY)
        try:
            self.client().update_live_record_template(
                template_id=id_, name=inputs["name"], record_formats=formats_to_api(inputs["record_formats"])
            )
        except IceError as exc:
            self.fail(label, exc)
        template = self._get(id_, label)
        return UpdateResult(self._outputs(template, inputs, adopted=bool(olds.get("adopted"))))

    # --- delete ---

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        label = f"'{props.get('name')}' ({id_})"
        if props.get("type") == SYSTEM_TYPE:
            self.warn(f"{self.kind} {label} is a system template; it was removed from the stack, not deleted")
            return
        try:
            self.client().delete_live_record_template(template_id=id_)
        except NotFoundError:
            return  # already gone: the goal of delete is reached
        except AuthorizationError as exc:
            if "SystemTemplate" in (exc.code or ""):
                self.warn(
                    f"{self.kind} {label} is a system template; it was removed from the stack, not deleted"
                )
                return
            self.fail(label, exc)
        except IceError as exc:
            self.fail(label, exc)

    # --- helpers ---

    def _get(self, template_id: str, label: str, *, missing: str | None = None) -> LiveRecordTemplate:
        try:
            return self.client().get_live_record_template(template_id=template_id).record_template
        except NotFoundError as exc:
            self.fail(label, missing or exc)
        except IceError as exc:
            self.fail(label, exc)

    @staticmethod
    def _outputs(
        template: LiveRecordTemplate, declared: Mapping[str, object], *, adopted: bool
    ) -> dict[str, Any]:
        outputs: dict[str, Any] = {
            "name": template.name,
            "record_formats": formats_from_api(template.record_formats, declared.get("record_formats")),
            "template_id": template.template_id,
            "type": template.type,
            "create_time": template.create_time,
            "last_modified": template.last_modified,
            "adopted": adopted,
        }
        if declared.get("adopt_template_id"):
            outputs["adopt_template_id"] = declared["adopt_template_id"]
        return {key: value for key, value in outputs.items() if value is not None}


__all__ = ["LiveRecordTemplateProvider"]
