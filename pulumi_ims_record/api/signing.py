"""Request signing for the Alibaba Cloud POP gateway, shared by the client (signing) and the local IMS
(verifying).

V3 is ``ACS3-HMAC-SHA256`` (the official SDK's default); V2 is the legacy RPC ``HMAC-SHA1`` query signature.
Both canonicalise with RFC 3986 percent-encoding: space is ``%20`` (never ``+``), ``*`` is ``%2A``,
``~`` stays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from pulumi_ims_record.api.fields import CommonParameters

V3_ALGORITHM = "ACS3-HMAC-SHA256"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the gateway canonicalises it: only ``A-Z a-z 0-9 - _ . ~`` stay literal."""
    return quote(value, safe="-_.~")


def canonical_query(params: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    """Sorted ``name=value`` pairs, both percent-encoded, joined by ``&``
    (duplicate names sorted by value)."""
    pairs = params.items() if isinstance(params, Mapping) else params
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def v3_canonical_request(
    *,
    method: str,
    query: Iterable[tuple[str, str]] | Mapping[str, str],
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    payload_hash: str,
) -> str:
    """The six-part V3 canonical request; ``headers`` must be keyed by lower-case names."""
    names = sorted(name.lower() for name in signed_headers)
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in names)
    return "\n".join(
        [method.upper(), "/", canonical_query(query), canonical_headers, ";".join(names), payload_hash]
    )


def v3_signature(access_key_secret: str, canonical_request: str) -> str:
    string_to_sign = f"{V3_ALGORITHM}\n{sha256_hex(canonical_request.encode())}"
    return hmac.new(access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def v3_authorization(access_key_id: str, signed_headers: Iterable[str], signature: str) -> str:
    names = ";".join(sorted(name.lower() for name in signed_headers))
    return f"{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={signature}"


def parse_v3_authorization(value: str) -> tuple[str, list[str], str] | None:
    """``(access_key_id, signed_headers, signature)`` from an Authorization header, or None if malformed."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != V3_ALGORITHM:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        return fields["Credential"], [h for h in fields["SignedHeaders"].split(";") if h], fields["Signature"]
    except KeyError:
        return None


def v2_string_to_sign(method: str, params: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    """``METHOD&%2F&<encoded canonical query>``; ``params`` excludes ``Signature`` and includes
    form-body fields."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def v2_common_parameters(action: str, version: str, timestamp: str) -> dict[str, str]:
    """The parameters every V2 (RPC) request carries besides its own, answers asked for in JSON; the signing
    ones (``AccessKeyId``, ``SignatureMethod`` ...) are added by the signer."""
    common = CommonParameters
    return {
        common.action.api: action,
        common.format.api: common.format.default,
        common.version.api: version,
        common.timestamp.api: timestamp,
    }


def v2_signature(access_key_secret: str, string_to_sign: str) -> str:
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def v3_sign_headers(
    *,
    method: str,
    query: Iterable[tuple[str, str]] | Mapping[str, str],
    headers: Mapping[str, str],
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """The ``Authorization`` value for a request, signing every header in ``headers`` as the SDK does.

    ``headers`` must be keyed by lower-case names and hold ``x-acs-content-sha256`` (the payload hash).
    """
    signed = sorted(headers)
    canonical = v3_canonical_request(
        method=method,
        query=query,
        headers=headers,
        signed_headers=signed,
        payload_hash=headers["x-acs-content-sha256"],
    )
    return v3_authorization(access_key_id, signed, v3_signature(access_key_secret, canonical))
