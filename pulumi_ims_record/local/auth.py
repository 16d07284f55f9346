"""Verification of V3 (``ACS3-HMAC-SHA256``) and V2 (RPC ``HMAC-SHA1``) request signatures, as ims-api.md §5
describes.

Checks in this order, so that a tampered request never consumes a nonce: the signature's shape, the access
key, the date (±15 minutes), the body hash (V3), the signature, the STS token, and last the nonce. Nonces are
remembered in memory until their request's date leaves the window (a restart forgets them; documented). No
message built here contains a secret or a security token."""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pulumi_ims_record.api import rules, signing
from pulumi_ims_record.api.fields import CommonParameters
from pulumi_ims_record.local.exceptions import AuthFailure, MissingParameter

ALLOWED_SKEW_SECONDS = 15 * 60


@dataclass(frozen=True)
class AccessKey:
    """A key the server accepts; with ``security_token`` it is an STS key and the token must come with it."""

    access_key_id: str
    secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs from an HTTP request; headers keyed by lower-case name."""

    method: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes
    form: Sequence[tuple[str, str]]


def _auth_error(code: str, message: str, status: int = 400) -> AuthFailure:
    return AuthFailure(status, code, message)


def parse_acs_time(value: str, parameter: str) -> float:
    moment = rules.parse_utc_time(value)
    if moment is None:
        raise _auth_error(
            "InvalidTimeStamp.Format",
            f"Specified time stamp or date value is not well formatted: {parameter} must look like "
            "2022-07-20T02:48:58Z (UTC).",
        )
    return moment.timestamp()


class NonceRegistry:
    """Nonces seen per access key, each kept until its request's date is outside the accepted window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[tuple[str, str], float] = {}
        self._next_purge = 0.0

    def use(self, access_key_id: str, nonce: str, request_time: float, now: float) -> bool:
        """Record the nonce; False if it was already used within the window."""
        with self._lock:
            if now >= self._next_purge:
                self._expiry = {k: v for k, v in self._expiry.items() if v > now}
                self._next_purge = now + 60
            key = (access_key_id, nonce)
            expiry = self._expiry.get(key)
            if expiry is not None and expiry > now:
                return False
            self._expiry[key] = max(request_time, now) + ALLOWED_SKEW_SECONDS + 1
            return True


class Authenticator:
    """Verifies a request against the configured access keys; returns the access key id that signed it."""

    def __init__(self, keys: Iterable[AccessKey], *, clock: Callable[[], float] = time.time) -> None:
        self._keys = {key.access_key_id: key for key in keys}
        self._clock = clock
        self._nonces = NonceRegistry()

    def verify(self, request: SignedRequest) -> str:
        if "authorization" in request.headers:
            return self._verify_v3(request)
        if any(name == "Signature" for name, _ in request.query):
            return self._verify_v2(request)
        raise _auth_error(
            "IncompleteSignature",
            "The request is not signed: expected an ACS3-HMAC-SHA256 Authorization header (V3) "
            "or a Signature query parameter (V2).",
        )

    # --- common steps ---------------------------------------------------------------------------------------

    def _key(self, access_key_id: str) -> AccessKey:
        key = self._keys.get(access_key_id)
        if key is None:
            raise _auth_error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        return key

    def _check_time(self, value: str | None, parameter: str) -> float:
        if not value:
            raise MissingParameter(parameter)
        request_time = parse_acs_time(value, parameter)
        if abs(self._clock() - request_time) > ALLOWED_SKEW_SECONDS:
            raise _auth_error(
                "InvalidTimeStamp.Expired",
                f"Specified time stamp or date value is expired: {parameter} must be within 15 minutes "
                "of the server's clock (UTC).",
            )
        return request_time

    @staticmethod
    def _check_token(key: AccessKey, token: str | None) -> None:
        if key.security_token is None:
            if token:
                raise _auth_error(
                    "InvalidSecurityToken.Mismatch",
                    "A security token was sent with an access key that is not an STS key.",
                )
            return
        if not token:
            raise _auth_error(
                "InvalidSecurityToken.Missing",
                "This is an STS access key: the request must carry its security token.",
            )
        if not hmac.compare_digest(token.encode(), key.security_token.encode()):
            raise _auth_error(
                "InvalidSecurityToken.Mismatch", "The security token does not belong to this STS access key."
            )

    def _use_nonce(self, access_key_id: str, nonce: str, request_time: float) -> None:
        if not self._nonces.use(access_key_id, nonce, request_time, self._clock()):
            raise _auth_error("SignatureNonceUsed", "Specified signature nonce was used already.")

    # --- V3 -------------------------------------------------------------------------------------------------

    def _verify_v3(self, request: SignedRequest) -> str:
        parsed = signing.parse_v3_authorization(request.headers["authorization"])
        if parsed is None:
            raise _auth_error(
                "IncompleteSignature",
                "The Authorization header must look like 'ACS3-HMAC-SHA256 Credential=<AccessKeyId>,"
                "SignedHeaders=<h1;h2>,Signature=<hex>'.",
            )
        access_key_id, signed_headers, signature = parsed
        signed = {name.lower() for name in signed_headers}
        must_sign = {"host"} | {name for name in request.headers if name.startswith("x-acs-")}
        if "content-type" in request.headers:
            must_sign.add("content-type")
        unsigned = sorted(must_sign - signed)
        if unsigned:
            raise _auth_error("IncompleteSignature", f"These headers must be signed: {', '.join(unsigned)}.")
        key = self._key(access_key_id)
        request_time = self._check_time(request.headers.get("x-acs-date"), "x-acs-date")
        nonce = request.headers.get("x-acs-signature-nonce")
        if not nonce:
            raise MissingParameter("x-acs-signature-nonce")
        content_hash = request.headers.get("x-acs-content-sha256")
        if not content_hash:
            raise MissingParameter("x-acs-content-sha256")
        if not hmac.compare_digest(content_hash.lower().encode(), signing.sha256_hex(request.body).encode()):
            raise _auth_error(
                "SignatureDoesNotMatch",
                "x-acs-content-sha256 does not match the SHA-256 of the request body.",
            )
        canonical = signing.v3_canonical_request(
            method=request.method,
            query=list(request.query),
            headers=request.headers,
            signed_headers=signed_headers,
            payload_hash=content_hash,
        )
        expected = signing.v3_signature(key.secret, canonical)
        if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
            string_to_sign = f"{signing.V3_ALGORITHM}\n{signing.sha256_hex(canonical.encode())}"
            raise _auth_error(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server string to sign is:"
                + string_to_sign.replace("\n", "\\n"),
            )
        self._check_token(key, request.headers.get("x-acs-security-token"))
        self._use_nonce(access_key_id, nonce, request_time)
        return access_key_id

    # --- V2 -------------------------------------------------------------------------------------------------

    def _verify_v2(self, request: SignedRequest) -> str:
        params = [*request.query, *request.form]
        values: dict[str, str] = {}
        for name, value in params:
            values.setdefault(name, value)
        timestamp = CommonParameters.timestamp.api
        for required in ("AccessKeyId", "SignatureNonce", timestamp):
            if not values.get(required):
                raise MissingParameter(required)
        method = values.get("SignatureMethod", "")
        if method != "HMAC-SHA1":
            raise _auth_error(
                "InvalidSignatureMethod", "SignatureMethod must be HMAC-SHA1 for V2 signatures."
            )
        if values.get("SignatureVersion", "") != "1.0":
            raise _auth_error("InvalidSignatureVersion", "SignatureVersion must be 1.0 for V2 signatures.")
        key = self._key(values["AccessKeyId"])
        request_time = self._check_time(values[timestamp], timestamp)
        signed_params = [(name, value) for name, value in params if name != "Signature"]
        string_to_sign = signing.v2_string_to_sign(request.method, signed_params)
        expected = signing.v2_signature(key.secret, string_to_sign)
        if not hmac.compare_digest(expected.encode(), values.get("Signature", "").encode()):
            raise _auth_error(
                "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
            )
        self._check_token(key, values.get("SecurityToken"))
        self._use_nonce(key.access_key_id, values["SignatureNonce"], request_time)
        return key.access_key_id
