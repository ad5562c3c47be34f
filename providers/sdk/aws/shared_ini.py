"""The shared config and credentials files.

Mirrors @smithy/shared-ini-file-loader 4.3.4 (``loadSharedConfigFiles``, ``parseKnownFiles``,
``getConfigFilepath``, ``getCredentialsFilepath``); the files are parsed by botocore's config loader.
``load_config`` is @smithy/node-config-provider 4.3.4's ``loadConfig``: the environment, then the
profile (config file over credentials file), then the default; a selector that rejects a value
falls through to the next source, as a ``CredentialsProviderError`` does in its chain.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def _shared_config_paths() -> tuple[str, str]:
    home = os.path.expanduser("~")
    config = os.environ.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config")
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials")
    return config, credentials


def load_shared_config_files() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``loadSharedConfigFiles``: (config-file profiles, its ``services`` sections, credentials-file
    profiles), read and parsed by botocore's config loader on every call (``ignoreCache``)."""
    config_map, credentials_profiles = _parse_files()
    return config_map.get("profiles", {}), config_map.get("services", {}), credentials_profiles


def load_sso_session_data() -> dict[str, dict[str, Any]]:
    """``loadSsoSessionData``: the config file's ``[sso-session NAME]`` sections."""
    sessions: dict[str, dict[str, Any]] = _parse_files()[0].get("sso_sessions", {})
    return sessions


def _parse_files() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    from botocore.configloader import build_profile_map, raw_config_parse
    from botocore.exceptions import ConfigNotFound, ConfigParseError

    config_path, credentials_path = _shared_config_paths()
    try:
        config_map = build_profile_map(raw_config_parse(config_path))
    except (ConfigNotFound, ConfigParseError):
        config_map = {}
    try:
        credentials_profiles = raw_config_parse(credentials_path)
    except (ConfigNotFound, ConfigParseError):
        credentials_profiles = {}
    return config_map, credentials_profiles


def parse_known_files() -> dict[str, dict[str, Any]]:
    """``parseKnownFiles``: config-file profiles merged with credentials-file profiles (these win)."""
    config_profiles, _, credentials_profiles = load_shared_config_files()
    merged: dict[str, dict[str, Any]] = {name: dict(values) for name, values in config_profiles.items()}
    for name, values in credentials_profiles.items():
        merged.setdefault(name, {}).update(values)
    return merged


Selector = Callable[..., Any]


def load_config(env_selector: Selector, file_selector: Selector, default: Any) -> Any:
    """``loadConfig({environmentVariableSelector, configFileSelector, default})()`` for the profile
    of ``AWS_PROFILE`` (else ``default``); ``file_selector(profile, services)`` gets the merged
    profile and the config file's ``services`` sections. A selector raising ``ValueError`` (the
    SDK's selectors throw) or returning ``None`` passes on to the next source."""
    try:
        value = env_selector(os.environ)
        if value is not None:
            return value
    except ValueError:
        pass
    config_profiles, services, credentials_profiles = load_shared_config_files()
    name = os.environ.get("AWS_PROFILE") or "default"
    profile = {**credentials_profiles.get(name, {}), **config_profiles.get(name, {})}
    try:
        value = file_selector(profile, services)
        if value is not None:
            return value
    except ValueError:
        pass
    return default
