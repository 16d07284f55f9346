"""The package's functions (look-ups, no resource): ``getLiveRecordTemplate`` and ``getLiveRecordJob``.

Like a resource's ``check``, a look-up first checks its arguments and names each bad one without calling the
API; then it reads. Its answer has the properties the resource of the same object has (a template's: id,
name, type, times, formats), so a stack can use a template it did not declare (a system one, another
team's) the way it uses its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_ims_record.api import rules
from pulumi_ims_record.ice import IceError, LiveRecordTemplate, NotFoundError

from ._base import ProviderBase
from ._checks import Failures
from ._jobs import job_outputs
from .template import formats_from_api


class Lookup(ProviderBase):
    """A function: ``check_args`` (no API call), then ``lookup``; ``kind`` is the function's name."""

    def check_args(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        raise NotImplementedError

    def lookup(self, args: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class TemplateLookup(Lookup):
    """``getLiveRecordTemplate``: a template by ``template_id``, or by its exact ``name``."""

    kind = "getLiveRecordTemplate"

    def check_args(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The arguments' failures, as ``(path, rule)``; no API call."""
        failures = Failures()
        failures.unknown_keys(args, ("template_id", "name"))
        template_id = failures.string(
            "template_id", args.get("template_id"), required=False, rule=rules.id_rule
        )
        name = failures.string("name", args.get("name"), required=False, rule=rules.name_rule)
        if (template_id is None) == (name is None) and not failures.items:
            failures.add("template_id", "give templateId or name (one of them)")
        return failures.items

    def lookup(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """The template's properties; a ``ProviderError`` when there is none (or, by name, more than one)."""
        template_id, name = args.get("template_id"), args.get("name")
        client = self.client()
        try:
            if template_id:
                template = client.get_live_record_template(template_id=str(template_id)).record_template
            else:
                template = self._one_named(str(name))
        except NotFoundError:
            self.fail(repr(template_id), "no such template")
        except IceError as exc:
            self.fail(repr(template_id or name), exc)
        return template_outputs(template)

    def _one_named(self, name: str) -> LiveRecordTemplate:
        # The keyword search is fuzzy and also matches ids: keep the exact names only.
        named = [item for item in self.client().iter_live_record_templates(keyword=name) if item.name == name]
        if len(named) != 1:
            ids = f": {', '.join(item.template_id for item in named)}" if named else ""
            self.fail(
                f"name {name!r}",
                f"{len(named)} templates have this name{ids}; exactly one must (or look it up by templateId)",
            )
        return named[0]


class JobLookup(Lookup):
    """``getLiveRecordJob``: a job by ``job_id``."""

    kind = "getLiveRecordJob"

    def check_args(self, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        failures = Failures()
        failures.unknown_keys(args, ("job_id",))
        failures.string("job_id", args.get("job_id"), required=True, rule=rules.id_rule)
        return failures.items

    def lookup(self, args: Mapping[str, Any]) -> dict[str, Any]:
        job_id = str(args["job_id"])
        try:
            job = self.client().get_live_record_job(job_id=job_id).record_job
        except NotFoundError:
            self.fail(repr(job_id), "no such job")
        except IceError as exc:
            self.fail(repr(job_id), exc)
        outputs = job_outputs(job, {}, "")
        outputs.pop("origin", None)  # how a resource got its job; a look-up got it by id
        return outputs


LOOKUPS: tuple[type[Lookup], ...] = (TemplateLookup, JobLookup)


def template_outputs(template: LiveRecordTemplate) -> dict[str, Any]:
    """A template's properties as the resource's outputs name them."""
    values = {
        "template_id": template.template_id,
        "name": template.name,
        "type": template.type,
        "create_time": template.create_time,
        "last_modified": template.last_modified,
        "record_formats": formats_from_api(template.record_formats, None),
    }
    return {key: value for key, value in values.items() if value is not None}


__all__ = ["LOOKUPS", "JobLookup", "Lookup", "TemplateLookup", "template_outputs"]
