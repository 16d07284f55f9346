"""Reading the settings that live outside the program: environment variables and ``~/.aliyun/config.json``.

Everything here is read when called, never at import time, so a test (or a long-lived process) that changes
the environment sees the change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._exceptions import ConfigurationError, CredentialsError

PROFILE_ENV_VARS = ("ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE")
REGION_ENV_VARS = ("ALIBABA_CLOUD_REGION_ID", "ALIBABA_CLOUD_REGION", "ALICLOUD_REGION")
CONFIG_FILE_ENV_VARS = ("ALIBABA_CLOUD_CONFIG_FILE",)


def env(environ: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The environment to read: the one given, else ``os.environ`` as it is now."""
    return os.environ if environ is None else environ


def first_env(names: tuple[str, ...], environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """``(name, value)`` of the first variable in ``names`` that is set and not blank."""
    source = env(environ)
    for name in names:
        value = source.get(name, "").strip()
        if value:
            return name, value
    return None


def config_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """The aliyun CLI configuration file: ``$ALIBABA_CLOUD_CONFIG_FILE`` or ``~/.aliyun/config.json``."""
    override = first_env(CONFIG_FILE_ENV_VARS, environ)
    if override:
        return Path(override[1]).expanduser()
    home = env(environ).get("HOME") or str(Path.home())
    return Path(home) / ".aliyun" / "config.json"


def _load_profiles(
    environ: Mapping[str, str] | None,
) -> tuple[Path, dict[str, Any], list[dict[str, Any]]] | None:
    path = config_file_path(environ)
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CredentialsError(
            f"cannot read the aliyun configuration file {path}: {type(exc).__name__}"
        ) from None
    if not isinstance(document, dict):
        raise CredentialsError(f"the aliyun configuration file {path} is not a JSON object")
    profiles = [dict(p) for p in document.get("profiles") or [] if isinstance(p, dict)]
    return path, document, profiles


def load_profiles_by_name(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Every profile of the configuration file by name (for ``ChainableRamRoleArn``'s ``source_profile``)."""
    loaded = _load_profiles(environ)
    return {} if loaded is None else {str(p.get("name")): p for p in loaded[2]}


def load_profile(environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The selected profile of the aliyun CLI configuration file, or None when there is no file.

    The profile is the one named by ``ALIBABA_CLOUD_PROFILE`` / ``ALICLOUD_PROFILE``, else the file's
    ``current``. A profile named explicitly but missing from the file is an error, not a silent fallback.
    """
    loaded = _load_profiles(environ)
    if loaded is None:
        return None
    path, document, profiles = loaded
    chosen = first_env(PROFILE_ENV_VARS, environ)
    wanted = chosen[1] if chosen else document.get("current") or "default"
    for profile in profiles:
        if profile.get("name") == wanted:
            return profile
    if chosen:
        names = ", ".join(repr(p.get("name")) for p in profiles) or "none"
        raise ConfigurationError(
            f"{chosen[0]}={wanted!r} but {path} has no profile of that name (profiles: {names})"
        )
    return None


def resolve_region(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Region order: explicit → ``ALIBABA_CLOUD_REGION_ID`` / ``ALIBABA_CLOUD_REGION`` / ``ALICLOUD_REGION`` →
    the selected profile's ``region_id`` in ``~/.aliyun/config.json``."""
    if explicit:
        return explicit
    from_env = first_env(REGION_ENV_VARS, environ)
    if from_env:
        return from_env[1]
    profile = load_profile(environ)
    if profile and str(profile.get("region_id") or "").strip():
        return str(profile["region_id"]).strip()
    raise ConfigurationError(
        "no region configured: pass region=... (e.g. 'cn-shanghai'), or set ALIBABA_CLOUD_REGION_ID, "
        "ALIBABA_CLOUD_REGION or ALICLOUD_REGION, or set region_id in the selected profile of "
        f"{config_file_path(environ)} (profile chosen by ALIBABA_CLOUD_PROFILE / ALICLOUD_PROFILE, "
        "else 'current'); "
        "or pass endpoint=... to address a host directly",
        setting="region",
    )
