"""Prototype: the job provider with a throttling-tolerant client: what the proposed client change buys.

Under a QPS limit the 4 provider threads wake up on the same ``x-acs-retry-after`` and race for one token;
the losers spend a retry each, and with ``max_retries=4`` some ``create`` calls fail (benchmark 4). The change
proposed for ``pulumi_ims_record/ice/_client.py``: throttling answers are bounded by ``retry_deadline`` only
(they prove the request was not applied), and the wait is ``retry_after`` plus a random share of it so the
threads spread out. This prototype approximates it from outside: ``max_retries=50`` (the 60 s
``retry_deadline`` still bounds the total).

``use_patient_provider()`` makes ``LiveRecordJob`` (created afterwards, in this process) pickle this provider
instead; the resource type token is unchanged.
"""

from __future__ import annotations

from pulumi_ims_record.ice import IceClient
from pulumi_ims_record.provider import LiveRecordJobProvider, ProviderSettings
from pulumi_ims_record.provider._base import ChainThenConfigCredentials

PATIENT_MAX_RETRIES = 50


class PatientLiveRecordJobProvider(LiveRecordJobProvider):
    def new_client(self, settings: ProviderSettings) -> IceClient:
        return IceClient(
            region=settings.region,
            endpoint=settings.endpoint,
            credentials=ChainThenConfigCredentials(settings.config_credentials),
            max_retries=PATIENT_MAX_RETRIES,
        )


def use_patient_provider(enabled: bool) -> None:
    from pulumi_ims_record.resources import live_record_job

    live_record_job.LiveRecordJobProvider = (  # type: ignore[misc]
        PatientLiveRecordJobProvider if enabled else LiveRecordJobProvider
    )
