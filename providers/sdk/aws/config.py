"""Client configuration: the region, the endpoint and the auth-scheme preference.

Mirrors @smithy/config-resolver 4.4.2 (``resolveRegionConfig``: ``getRealRegion``, ``isFipsRegion``,
``checkRegion``), the endpoint ruleset of @aws-sdk/client-bedrock-runtime 3.922.0
(``dist-cjs/endpoint/ruleset.js``) with the partitions of @aws-sdk/util-endpoints 3.922.0
(``partitions.json``), @smithy/middleware-endpoint 4.3.6 (the endpoint URL the request is built on)
and @aws-sdk/core 3.922.0 (``NODE_AUTH_SCHEME_PREFERENCE_OPTIONS``).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from ..errors import JSError


_PARTITIONS = (
    (re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"), "amazonaws.com"),
    (re.compile(r"^cn\-\w+\-\d+$"), "amazonaws.com.cn"),
    (re.compile(r"^eusc\-(de)\-\w+\-\d+$"), "amazonaws.eu"),
    (re.compile(r"^us\-iso\-\w+\-\d+$"), "c2s.ic.gov"),
    (re.compile(r"^us\-isob\-\w+\-\d+$"), "sc2s.sgov.gov"),
    (re.compile(r"^eu\-isoe\-\w+\-\d+$"), "cloud.adc-e.uk"),
    (re.compile(r"^us\-isof\-\w+\-\d+$"), "csp.hci.ic.gov"),
    (re.compile(r"^us\-gov\-\w+\-\d+$"), "amazonaws.com"),
)
# Regions listed by name in partitions.json that their partition's regex does not match.
_PARTITION_GLOBAL_REGIONS = {
    "aws-global": "amazonaws.com",
    "aws-cn-global": "amazonaws.com.cn",
    "aws-iso-global": "c2s.ic.gov",
    "aws-iso-b-global": "sc2s.sgov.gov",
    "aws-iso-e-global": "cloud.adc-e.uk",
    "aws-iso-f-global": "csp.hci.ic.gov",
    "aws-us-gov-global": "amazonaws.com",
}
_HOST_LABEL = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")


def dns_suffix(region: str) -> str:
    """``aws.partition(region).dnsSuffix``."""
    if region in _PARTITION_GLOBAL_REGIONS:
        return _PARTITION_GLOBAL_REGIONS[region]
    for pattern, suffix in _PARTITIONS:
        if pattern.search(region):
            return suffix
    return "amazonaws.com"


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


def resolve_endpoint(region: str, endpoint: str | None) -> str:
    """The endpoint ruleset of bedrock-runtime: the custom endpoint, else the regional URL."""
    real_region, use_fips = _real_region(region)
    if endpoint:
        if use_fips:
            raise JSError("Invalid Configuration: FIPS and custom endpoint are not supported", name="EndpointError")
        return endpoint
    prefix = "bedrock-runtime-fips" if use_fips else "bedrock-runtime"
    return f"https://{prefix}.{real_region}.{dns_suffix(real_region)}"


def request_url(base_url: str, path: str) -> tuple[str, str]:
    """The request URL (endpoint path + operation path) and the ``host`` the SDK would set."""
    parts = urlsplit(base_url)
    base_path = parts.path or "/"
    full_path = (base_path.removesuffix("/")) + path
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    netloc = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{netloc}{full_path}{query}", netloc


def env_auth_preference() -> list[str]:
    """``NODE_AUTH_SCHEME_PREFERENCE_OPTIONS`` from the environment (the config file is not read)."""
    if "AWS_BEARER_TOKEN_BEDROCK" in os.environ:
        return ["httpBearerAuth"]
    value = os.environ.get("AWS_AUTH_SCHEME_PREFERENCE")
    return [item.strip() for item in value.split(",")] if value else []
