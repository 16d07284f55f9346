"""The bytes on the wire, exactly as the official Python SDK (alibabacloud_tea_openapi 0.4.6) produces them.

* nested objects and lists of objects: one field holding compact JSON (``,``/``:`` separators, non-ASCII kept,
  keys in alphabetical order - the SDK's model order);
* lists of strings: ``Name.1``, ``Name.2`` ... (1-based);
* booleans: ``True`` / ``False`` (the Python SDK uses ``str()``);
* form bodies and query strings: ``urlencode`` of the sorted fields (space → ``+``, ``*`` → ``%2A``,
  ``~`` kept);
* V3 signature over every header sent except ``Authorization`` (host, x-acs-*, accept, user-agent,
  content-type).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from pulumi_ims_record.api import API_VERSION
from pulumi_ims_record.api.fields import Field
from pulumi_ims_record.api.signing import sha256_hex, v3_sign_headers

from ._credentials import Credentials
from ._endpoints import Endpoint

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

Params = list[tuple[str, str]]


def json_field(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def bool_field(value: bool) -> str:
    return str(bool(value))


def time_field(value: str | datetime) -> str:
    """A UTC ``yyyy-MM-ddTHH:mm:ssZ`` string; naive datetimes are taken as UTC."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def list_fields(name: str, values: Iterable[str]) -> Params:
    return [(f"{name}.{index}", str(value)) for index, value in enumerate(values, start=1)]


def build_params(*values: tuple[Field, str | int | bool | list[str] | None]) -> Params:
    """The request parameters for ``(field, value)`` pairs, named by ``api.fields``: ``None`` dropped, scalars
    as text (bool as ``True``/``False``), a list of strings flattened as ``Name.1``, ``Name.2`` ..."""
    params: Params = []
    for item, value in values:
        name = item.request_name
        if value is None:
            continue
        if isinstance(value, list):
            params.extend(list_fields(name, value))
        elif isinstance(value, bool):
            params.append((name, bool_field(value)))
        else:
            params.append((name, str(value)))
    return params


def encode(params: Params) -> str:
    return urlencode(sorted(params))


@dataclass(frozen=True)
class WireRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def utc_timestamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def new_nonce() -> str:
    return secrets.token_hex(16)


def build_request(
    *,
    endpoint: Endpoint,
    action: str,
    method: str,
    query: Sequence[tuple[str, str]],
    form: Sequence[tuple[str, str]] | None,
    credentials: Credentials,
    user_agent: str,
    now: Callable[[], float] = time.time,
    nonce: Callable[[], str] = new_nonce,
) -> WireRequest:
    """A signed request: ``form`` (when not None) goes in the body, ``query`` in the URL."""
    body = encode(list(form)).encode("utf-8") if form is not None else b""
    headers = {
        "host": endpoint.host,
        "x-acs-version": API_VERSION,
        "x-acs-action": action,
        "user-agent": user_agent,
        "x-acs-date": utc_timestamp(now()),
        "x-acs-signature-nonce": nonce(),
        "accept": "application/json",
    }
    if form is not None:
        headers["content-type"] = FORM_CONTENT_TYPE
    headers["x-acs-content-sha256"] = sha256_hex(body)
    if credentials.security_token:
        headers["x-acs-accesskey-id"] = credentials.access_key_id
        headers["x-acs-security-token"] = credentials.security_token
    headers["authorization"] = v3_sign_headers(
        method=method,
        query=list(query),
        headers=headers,
        access_key_id=credentials.access_key_id,
        access_key_secret=credentials.access_key_secret,
    )
    url = f"{endpoint.base_url}/"
    if query:
        url += "?" + encode(list(query))
    return WireRequest(method, url, headers, body)
