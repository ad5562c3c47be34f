"""The shared config and credentials files.

Mirrors @smithy/shared-ini-file-loader 4.3.4 (``loadSharedConfigFiles``, ``parseKnownFiles``,
``getConfigFilepath``, ``getCredentialsFilepath``); the files are parsed by botocore's config loader.
"""

from __future__ import annotations

import os
from typing import Any


def _shared_config_paths() -> tuple[str, str]:
    home = os.path.expanduser("~")
    config = os.environ.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config")
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials")
    return config, credentials


def parse_known_files() -> dict[str, dict[str, Any]]:
    """``parseKnownFiles``: config-file profiles merged with credentials-file profiles (these win).

    The files are read and parsed by botocore's config loader on every call (``ignoreCache``).
    """
    from botocore.configloader import build_profile_map, raw_config_parse
    from botocore.exceptions import ConfigNotFound, ConfigParseError

    config_path, credentials_path = _shared_config_paths()
    try:
        config_profiles = build_profile_map(raw_config_parse(config_path))["profiles"]
    except (ConfigNotFound, ConfigParseError):
        config_profiles = {}
    try:
        credentials_profiles = raw_config_parse(credentials_path)
    except (ConfigNotFound, ConfigParseError):
        credentials_profiles = {}
    merged: dict[str, dict[str, Any]] = {name: dict(values) for name, values in config_profiles.items()}
    for name, values in credentials_profiles.items():
        merged.setdefault(name, {}).update(values)
    return merged
