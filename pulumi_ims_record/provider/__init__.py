"""The engine side: dynamic-provider classes the Pulumi engine unpickles (by reference) and calls.

Runs in the provider process the engine starts. Imports ``pulumi.dynamic`` and ``pulumi_ims_record.ice``,
never ``pulumi_alicloud``. Importing this package has no side effects.
"""

from ._base import ProviderError
from ._settings import ProviderSettings
from .job import LiveRecordJobProvider
from .job_set import LiveRecordJobSetProvider
from .template import LiveRecordTemplateProvider

__all__ = [
    "LiveRecordJobProvider",
    "LiveRecordJobSetProvider",
    "LiveRecordTemplateProvider",
    "ProviderError",
    "ProviderSettings",
]
