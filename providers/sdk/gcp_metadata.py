"""gcp-metadata: the Compute Engine metadata server as google-auth-library reaches it.

Two versions sit behind the goldens: **8.1.2** (``build/src/index.js``, ``gcp-residency.js``; on
gaxios 7.1.3, under google-auth-library 10.5.0) and **6.1.1** (the same files; gaxios 6.7.1,
under 9.15.1). Each is its own module instance in the reference, so each keeps its own caches
(the residency probe and the ``isAvailable`` ping), process-wide as there; ``reset_caches()``
empties them.

The server is ``http://169.254.169.254`` unless ``GCE_METADATA_IP`` / ``GCE_METADATA_HOST`` name
another; every request carries ``Metadata-Flavor: Google`` and every answer must too.
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import urllib.parse
from pathlib import Path
from typing import Any

from . import gaxios
from ..js.errors import JSError, JSRangeError
from ..js.jsonjs import loads
from ..js.whatwg_url import url_search_params

__all__ = ["instance", "is_available", "project", "reset_caches", "gcp_residency"]

BASE_PATH = "/computeMetadata/v1"
HOST_ADDRESS = "http://169.254.169.254"
SECONDARY_HOST_ADDRESS = "http://metadata.google.internal."
HEADER_NAME = "Metadata-Flavor"
HEADER_VALUE = "Google"
METADATA_SERVER_DETECTION = ("assume-present", "none", "bios-only", "ping-only")
GCE_LINUX_BIOS_DATE = "/sys/class/dmi/id/bios_date"
GCE_LINUX_BIOS_VENDOR = "/sys/class/dmi/id/bios_vendor"
_GCE_MAC_ADDRESS = re.compile(r"^42:01")

# the request headers node-fetch sends for gaxios's default instance (no auth interceptor)
_HEADERS = {
    gaxios.V7: {"accept": "*/*", "accept-encoding": "gzip, deflate, br", "metadata-flavor": HEADER_VALUE,
                "user-agent": "node-fetch"},
    gaxios.V6: {"Metadata-Flavor": HEADER_VALUE, "Accept": "*/*",
                "User-Agent": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "Accept-Encoding": "gzip,deflate"},
}

_residency: bool | None = None
_available: dict[str, asyncio.Future[Any]] = {}


def reset_caches() -> None:
    """Forget the residency probe and the ``isAvailable`` ping (a fresh process, as it were)."""
    global _residency
    _residency = None
    _available.clear()


def _base_url(base_url: str | None = None) -> str:
    """``getBaseUrl``: ``GCE_METADATA_IP`` / ``GCE_METADATA_HOST`` / the link-local address."""
    if not base_url:
        base_url = os.environ.get("GCE_METADATA_IP") or os.environ.get("GCE_METADATA_HOST") or HOST_ADDRESS
    if not re.match(r"^https?://", base_url):
        base_url = f"http://{base_url}"
    return urllib.parse.urljoin(base_url, BASE_PATH)


async def _metadata_accessor(
    version: str,
    metadata_key: str,
    params: dict[str, str] | None = None,
    no_response_retries: int = 3,
    fast_fail: bool = False,
) -> Any:
    """``metadataAccessor``: GET the key, check the flavour header, parse JSON when it is JSON."""
    url = f"{_base_url()}/{metadata_key}"
    if params:
        url += "?" + url_search_params(list(params.items()))
    request_kwargs: dict[str, Any] = {
        "response_type": "text",
        "retry": gaxios.Retry(no_response_retries=no_response_retries),
        "timeout_ms": request_timeout(),
    }
    headers = _HEADERS[version]
    if fast_fail:
        response = await _fast_fail_request(version, url, headers, request_kwargs)
    else:
        response = await gaxios.request(version, "GET", url, headers, **request_kwargs)
    flavor = response.headers.get(HEADER_NAME.lower())
    if flavor != HEADER_VALUE:
        got = f"'{flavor}'" if flavor else "no header"
        text = f"Invalid response from metadata service: incorrect {HEADER_NAME} header. Expected '{HEADER_VALUE}', got {got}"
        raise JSRangeError(text) if version == gaxios.V7 else JSError(text)
    if isinstance(response.data, str):
        try:
            return loads(response.data)
        except JSError:
            pass
    return response.data


async def _fast_fail_request(
    version: str, url: str, headers: dict[str, str], kwargs: dict[str, Any]
) -> gaxios.Response:
    """``fastFailMetadataRequest``: the address and the DNS name raced; 8.x takes the first
    success (``Promise.any``), 6.x the first to settle."""
    secondary = url.replace(_base_url(), _base_url(SECONDARY_HOST_ADDRESS))
    tasks = [asyncio.ensure_future(gaxios.request(version, "GET", u, headers, **kwargs)) for u in (url, secondary)]
    try:
        if version == gaxios.V6:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            return next(iter(done)).result()
        errors: list[BaseException] = []
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except gaxios.GaxiosError as exc:
                errors.append(exc)
        raise JSError("All promises were rejected", name="AggregateError")
    finally:
        for task in tasks:
            task.cancel()


async def instance(version: str, property_: str, params: dict[str, str] | None = None) -> Any:
    """``instance({property, params})``."""
    return await _metadata_accessor(version, f"instance/{property_}", params)


async def project(version: str, property_: str) -> Any:
    """``project(property)``: e.g. ``project-id``."""
    return await _metadata_accessor(version, f"project/{property_}")


def _detect_gcp_available_retries() -> int:
    value = os.environ.get("DETECT_GCP_RETRIES")
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


async def is_available(version: str) -> bool:
    """``isAvailable()``: ``METADATA_SERVER_DETECTION``, else one ping of ``instance`` (cached;
    without ``GCE_METADATA_IP``/``HOST`` the address and ``metadata.google.internal.`` race).
    Every failure means "not available"."""
    detection = os.environ.get("METADATA_SERVER_DETECTION")
    if detection:
        value = detection.strip().lower()
        if value not in METADATA_SERVER_DETECTION:
            allowed = "`, `".join(METADATA_SERVER_DETECTION)
            raise JSRangeError(
                f"Unknown `METADATA_SERVER_DETECTION` env variable. Got `{value}`, but it should be `{allowed}`, or unset"
            )
        if value == "assume-present":
            return True
        if value == "none":
            return False
        if value == "bios-only":
            return gcp_residency()
    pending = _available.get(version)
    if pending is None or pending.cancelled() or (
        not pending.done() and pending.get_loop() is not asyncio.get_running_loop()
    ):  # none yet, or one a loop that ended took with it
        fast_fail = not (os.environ.get("GCE_METADATA_IP") or os.environ.get("GCE_METADATA_HOST"))
        pending = asyncio.ensure_future(
            _metadata_accessor(version, "instance", None, _detect_gcp_available_retries(), fast_fail)
        )
        _available[version] = pending
    try:
        await asyncio.shield(pending)
    except (JSError, OSError):
        return False
    return True


def gcp_residency() -> bool:
    """``getGCPResidency()``: Cloud Run / Functions by their variables, GCE by its BIOS or MAC
    address (cached)."""
    global _residency
    if _residency is None:
        _residency = _is_serverless() or _is_gce_linux() or _is_gce_mac_address()
    return _residency


def _is_serverless() -> bool:
    return bool(os.environ.get("CLOUD_RUN_JOB") or os.environ.get("FUNCTION_NAME") or os.environ.get("K_SERVICE"))


def _is_gce_linux() -> bool:
    if platform.system() != "Linux":
        return False
    try:
        os.stat(GCE_LINUX_BIOS_DATE)
        return "Google" in Path(GCE_LINUX_BIOS_VENDOR).read_text(encoding="utf-8")
    except OSError:
        return False


def _is_gce_mac_address() -> bool:
    """``os.networkInterfaces()``'s MAC addresses (Linux: ``/sys/class/net/*/address``)."""
    try:
        interfaces = list(Path("/sys/class/net").iterdir())
    except OSError:
        return False
    for interface in interfaces:
        try:
            if _GCE_MAC_ADDRESS.match((interface / "address").read_text(encoding="ascii").strip()):
                return True
        except OSError:
            continue
    return False


def request_timeout() -> int:
    """``requestTimeout()``: none on Google Cloud, 3 s elsewhere."""
    return 0 if gcp_residency() else 3000
