"""Where requests go: the regional host, its VPC twin, or an explicit override.

ICE requests carry no ``RegionId``; the host alone decides the region, so there is deliberately no fallback
to the central ``ice.aliyuncs.com`` host (the official SDK's endpoint map silently uses it for most regions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_HOST = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$"
)
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@dataclass(frozen=True)
class Endpoint:
    """A resolved endpoint: ``base_url`` to send to, ``host`` as signed (with a non-default port)."""

    scheme: str
    host: str

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"


def regional_host(region: str, *, vpc: bool = False) -> str:
    """``ice.<region>.aliyuncs.com`` or, inside a VPC, ``ice-vpc.<region>.aliyuncs.com``."""
    if not _REGION.match(region):
        raise ConfigurationError(f"region {region!r} is not a region id like 'cn-shanghai'", setting="region")
    return f"ice{'-vpc' if vpc else ''}.{region}.aliyuncs.com"


def resolve_endpoint(*, region: str | None, endpoint: str | None, vpc: bool = False) -> Endpoint:
    """The endpoint to call: ``endpoint`` when given (a host, ``https://host[:port]`` or a loopback
    ``http://127.0.0.1:PORT``), else the regional host over HTTPS."""
    if endpoint is None:
        if not region:
            raise ConfigurationError(
                "no region and no endpoint: cannot tell which host to call", setting="region"
            )
        return Endpoint("https", regional_host(region, vpc=vpc))

    def bad(problem: str) -> ConfigurationError:
        return ConfigurationError(f"endpoint {endpoint!r}: {problem}", setting="endpoint")

    text = endpoint.strip()
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # an unclosed '[' or a port that is not a number from 0 to 65535
        raise bad("not a valid https://host[:port]") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise bad("scheme must be https (or http for a loopback host)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise bad("give only a host and port, no path, query or user")
    host = parts.netloc.lower()
    if not host or not _HOST.match(host):
        raise bad(f"{host!r} is not a valid host[:port]")
    if "://" not in endpoint and (parts.hostname or "") in _LOOPBACK_HOSTS:
        # Without a scheme https is assumed, and a local IMS answers TLS with "wrong version number".
        raise bad(
            f"no scheme, so https would be used; a local IMS speaks http: write http://{endpoint.strip()}"
        )
    if scheme == "http" and (parts.hostname or "") not in _LOOPBACK_HOSTS:
        # Plain HTTP would expose the STS security token and the request to the network.
        raise bad(
            "plain http is only accepted for a loopback host (127.0.0.1, localhost); "
            "use https:// for anything else"
        )
    # Drop a port that is the scheme's default: the SDK signs the host without it.
    default_port = {"http": 80, "https": 443}[scheme]
    if port == default_port:
        host = host.rsplit(":", 1)[0]
    return Endpoint(scheme, host)
