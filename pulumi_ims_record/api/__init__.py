"""The ICE API's own facts, standard library only: the version, one table per API object (``fields``: the
only place an API field name is written), the value rules (``rules``) and request signing (``signing``, pure
functions over strings and bytes).

The ground floor of the package: the HTTP client (``ice``), the local IMS (``local``) and the providers
(``provider``) all read these, and this package imports nothing of theirs, so the local IMS runs without
httpx."""

from __future__ import annotations

API_VERSION = "2020-11-09"
"""The ICE API version every operation uses (``x-acs-version`` in V3, ``Version`` in V2)."""

__all__ = ["API_VERSION"]
