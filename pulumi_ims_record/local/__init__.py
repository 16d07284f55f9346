"""The local IMS: the ICE live-recording API on one machine, recording RTMP streams for real.

Run it with ``python -m pulumi_ims_record.local`` (or ``ims-local``); embed it with
``LocalIms(ServerConfig(data_dir=...))`` as a context manager (one server per data directory: a second
one raises ``DataDirectoryInUse``). See ``docs/local-ims.md``.
"""

from __future__ import annotations

from pulumi_ims_record.local._datalock import DataDirectoryInUse
from pulumi_ims_record.local.auth import AccessKey
from pulumi_ims_record.local.server import DEFAULT_ACCESS_KEY, LocalIms, ServerConfig, running

__all__ = ["DEFAULT_ACCESS_KEY", "AccessKey", "DataDirectoryInUse", "LocalIms", "ServerConfig", "running"]
