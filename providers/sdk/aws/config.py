"""Client configuration: the region, the endpoint and the auth-scheme preference.

Mirrors @smithy/config-resolver 4.4.2 (``resolveRegionConfig``: ``getRealRegion``, ``isFipsRegion``,
``checkRegion``), the endpoint ruleset of @aws-sdk/client-bedrock-runtime 3.922.0
(``dist-cjs/endpoint/ruleset.js``) with the partitions of @aws-sdk/util-endpoints 3.922.0
(``partitions.json``), @smithy/middleware-endpoint 4.3.6 (the endpoint URL the request is built on)
and @aws-sdk/core 3.922.0 (``NODE_AUTH_SCHEME_PREFERENCE_OPTIONS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...js.errors import JSError
from ...js.whatwg_url import parse
from .retry import DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_MODE
from .shared_ini import load_config


# partitions.json: (dnsSuffix, dualStackDnsSuffix) per partition (each supports FIPS and dual-stack).
_PARTITION_SUFFIXES = {
    "aws": ("amazonaws.com", "api.aws"),
    "aws-cn": ("amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    "aws-eusc": ("amazonaws.eu", "api.amazonwebservices.eu"),
    "aws-iso": ("c2s.ic.gov", "api.aws.ic.gov"),
    "aws-iso-b": ("sc2s.sgov.gov", "api.aws.scloud"),
    "aws-iso-e": ("cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
    "aws-iso-f": ("csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    "aws-us-gov": ("amazonaws.com", "api.aws"),
}
# (regionRegex, partition) in partitions.json order; "aws" is the default.
_PARTITIONS = (
    (re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"), "aws"),
    (re.compile(r"^cn\-\w+\-\d+$"), "aws-cn"),
    (re.compile(r"^eusc\-(de)\-\w+\-\d+$"), "aws-eusc"),
    (re.compile(r"^us\-iso\-\w+\-\d+$"), "aws-iso"),
    (re.compile(r"^us\-isob\-\w+\-\d+$"), "aws-iso-b"),
    (re.compile(r"^eu\-isoe\-\w+\-\d+$"), "aws-iso-e"),
    (re.compile(r"^us\-isof\-\w+\-\d+$"), "aws-iso-f"),
    (re.compile(r"^us\-gov\-\w+\-\d+$"), "aws-us-gov"),
)
# Regions listed by name in partitions.json that their partition's regex does not match.
_PARTITION_GLOBAL_REGIONS = {
    "aws-global": "aws",
    "aws-cn-global": "aws-cn",
    "aws-iso-global": "aws-iso",
    "aws-iso-b-global": "aws-iso-b",
    "aws-iso-e-global": "aws-iso-e",
    "aws-iso-f-global": "aws-iso-f",
    "aws-us-gov-global": "aws-us-gov",
}
_HOST_LABEL = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")


def _partition_suffixes(region: str) -> tuple[str, str]:
    """``aws.partition(region)``: its (dnsSuffix, dualStackDnsSuffix)."""
    if region in _PARTITION_GLOBAL_REGIONS:
        return _PARTITION_SUFFIXES[_PARTITION_GLOBAL_REGIONS[region]]
    for pattern, partition in _PARTITIONS:
        if pattern.search(region):
            return _PARTITION_SUFFIXES[partition]
    return _PARTITION_SUFFIXES["aws"]


def dns_suffix(region: str) -> str:
    """``aws.partition(region).dnsSuffix``."""
    return _partition_suffixes(region)[0]


def _real_region(region: str) -> tuple[str, bool]:
    """``getRealRegion`` and ``isFipsRegion``: (region, use FIPS endpoint)."""
    if region.startswith("fips-") or region.endswith("-fips"):
        if region in ("fips-aws-global", "aws-fips"):
            return "us-east-1", True
        return re.sub(r"fips-(dkr-|prod-)?|-fips", "", region, count=1), True
    return region, False


def check_region(region: str) -> str:
    """``resolveRegionConfig``'s ``region()``: the real region, which must be a host label."""
    real_region = _real_region(region)[0]
    if not _HOST_LABEL.match(real_region) and real_region != "*":
        raise JSError(f'Region not accepted: region="{real_region}" is not a valid hostname component.')
    return real_region


def resolve_endpoint(region: str, endpoint: str | None, use_fips: bool = False, use_dualstack: bool = False) -> str:
    """The endpoint ruleset of bedrock-runtime: the custom endpoint, else the regional URL
    (``bedrock-runtime-fips`` for FIPS, the partition's dual-stack suffix for dual-stack)."""
    real_region, fips_region = _real_region(region)
    use_fips = use_fips or fips_region
    if endpoint:
        if use_fips:
            raise JSError("Invalid Configuration: FIPS and custom endpoint are not supported", name="EndpointError")
        if use_dualstack:
            raise JSError("Invalid Configuration: Dualstack and custom endpoint are not supported", name="EndpointError")
        return endpoint
    prefix = "bedrock-runtime-fips" if use_fips else "bedrock-runtime"
    suffix, dual_stack_suffix = _partition_suffixes(real_region)
    return f"https://{prefix}.{real_region}.{dual_stack_suffix if use_dualstack else suffix}"


# -- settings read from the environment and the shared config file (the runtime config's loadConfig)

SERVICE_ID = "Bedrock Runtime"


def configured_endpoint(service_id: str = SERVICE_ID) -> str | None:
    """@smithy/middleware-endpoint ``getEndpointFromConfig(serviceId)`` (``getEndpointUrlConfig``):
    ``AWS_ENDPOINT_URL_<SERVICE_ID>`` (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``), ``AWS_ENDPOINT_URL``,
    the profile's ``services`` section (``bedrock_runtime.endpoint_url``), the profile's
    ``endpoint_url``."""

    def from_env(env: Mapping[str, str]) -> str | None:
        service_key = "_".join(["AWS_ENDPOINT_URL", *(word.upper() for word in service_id.split(" "))])
        return env.get(service_key) or env.get("AWS_ENDPOINT_URL") or None

    def from_file(profile: Mapping[str, Any], services: Mapping[str, Any]) -> str | None:
        section = services.get(profile["services"]) if profile.get("services") else None
        if section:
            service = section.get("_".join(word.lower() for word in service_id.split(" ")))
            if isinstance(service, dict) and service.get("endpoint_url"):
                return str(service["endpoint_url"])
        return profile.get("endpoint_url") or None

    value: str | None = load_config(from_env, from_file, None)
    return value


def _boolean_selector(values: Mapping[str, Any], key: str, kind: str) -> bool | None:
    """util-config-provider ``booleanSelector``: "true" / "false", anything else rejected."""
    if key not in values:
        return None
    if values[key] == "true":
        return True
    if values[key] == "false":
        return False
    raise ValueError(f'Cannot load {kind} "{key}". Expected "true" or "false", got {values[key]}.')


def use_fips_endpoint() -> bool:
    """``NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS``: AWS_USE_FIPS_ENDPOINT, the profile's use_fips_endpoint."""
    value: bool = load_config(
        lambda env: _boolean_selector(env, "AWS_USE_FIPS_ENDPOINT", "environment variable"),
        lambda profile, _: _boolean_selector(profile, "use_fips_endpoint", "shared config entry"),
        False,
    )
    return value


def use_dualstack_endpoint() -> bool:
    """``NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS``: AWS_USE_DUALSTACK_ENDPOINT, use_dualstack_endpoint."""
    value: bool = load_config(
        lambda env: _boolean_selector(env, "AWS_USE_DUALSTACK_ENDPOINT", "environment variable"),
        lambda profile, _: _boolean_selector(profile, "use_dualstack_endpoint", "shared config entry"),
        False,
    )
    return value


def _max_attempts_selector(value: Any) -> int | None:
    """``NODE_MAX_ATTEMPT_CONFIG_OPTIONS``' selectors: ``parseInt`` of a non-empty value."""
    if not value:
        return None
    match = re.match(r"\s*([+-]?\d+)", str(value))
    if match is None:
        raise ValueError(f"max attempts must be a number, got {value!r}")
    return int(match.group(1))


def max_attempts() -> int:
    """AWS_MAX_ATTEMPTS, the profile's ``max_attempts``, else ``DEFAULT_MAX_ATTEMPTS``."""
    value: int = load_config(
        lambda env: _max_attempts_selector(env.get("AWS_MAX_ATTEMPTS")),
        lambda profile, _: _max_attempts_selector(profile.get("max_attempts")),
        DEFAULT_MAX_ATTEMPTS,
    )
    return value


def retry_mode() -> str:
    """``NODE_RETRY_MODE_CONFIG_OPTIONS``: AWS_RETRY_MODE, the profile's ``retry_mode``, else standard."""
    value: str = load_config(
        lambda env: env.get("AWS_RETRY_MODE"), lambda profile, _: profile.get("retry_mode"), DEFAULT_RETRY_MODE
    )
    return value


def request_url(base_url: str, path: str) -> tuple[str, str]:
    """The request URL and the ``host`` the SDK would set, from the endpoint as ``new URL()`` reads
    it (@smithy/url-parser ``parseUrl``): the operation path is appended to the endpoint's pathname
    (``RequestBuilder``, one ``/`` between them); the endpoint's query and fragment are dropped
    (the request carries only the operation's query). Text ``new URL()`` rejects raises its
    ``TypeError: Invalid URL``."""
    url = parse(base_url)
    host, scheme, base_path = url.host_and_port, url.scheme, url.pathname
    full_path = (base_path[:-1] if base_path.endswith("/") else base_path) + path
    return f"{scheme}://{host}{full_path}", host


def _comma_separated(value: str) -> list[str]:
    """``getArrayForCommaSeparatedString``."""
    return [item.strip() for item in value.split(",")] if value else []


def auth_scheme_preference() -> list[str]:
    """``NODE_AUTH_SCHEME_PREFERENCE_OPTIONS`` (signing name ``bedrock``): AWS_BEARER_TOKEN_BEDROCK
    set means bearer auth, else AWS_AUTH_SCHEME_PREFERENCE, else the profile's ``auth_scheme_preference``."""

    def from_env(env: Mapping[str, str]) -> list[str] | None:
        if "AWS_BEARER_TOKEN_BEDROCK" in env:
            return ["httpBearerAuth"]
        if "AWS_AUTH_SCHEME_PREFERENCE" not in env:
            return None
        return _comma_separated(env["AWS_AUTH_SCHEME_PREFERENCE"])

    def from_file(profile: Mapping[str, Any], _: Any) -> list[str] | None:
        if "auth_scheme_preference" not in profile:
            return None
        return _comma_separated(profile["auth_scheme_preference"])

    value: list[str] = load_config(from_env, from_file, [])
    return value
