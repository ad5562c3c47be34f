"""Request signing: SigV4 for the ``bedrock`` signing name, and the clock-skew correction.

Mirrors @aws-sdk/core 3.922.0 (``AwsSdkSigV4Signer``: ``sign``, ``errorHandler``,
``successHandler``; ``getUpdatedSystemClockOffset``) and @smithy/signature-v4 5.3.4 (which headers
are signed, in what order the signer leaves them); the signature itself is botocore's ``SigV4Auth``.
"""

from __future__ import annotations

import email.utils
import hashlib
import time

from .credentials import Credentials


SIGNING_NAME = "bedrock"


def sign_sigv4(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    signing_date: float,
    service: str = SIGNING_NAME,
) -> dict[str, str]:
    """Sign with SigV4 (service ``bedrock``, or ``sts`` for the nested STS client) at
    ``signing_date`` (epoch seconds).

    Returns the headers in the order the SDK's signer leaves them: the request's, then
    ``x-amz-date``, ``x-amz-security-token``, ``x-amz-content-sha256``, ``authorization``.
    """
    import datetime

    from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    boto_credentials = BotoCredentials(
        credentials["accessKeyId"], credentials["secretAccessKey"], credentials.get("sessionToken")
    )
    payload_hash = hashlib.sha256(body).hexdigest()
    request = AWSRequest(method=method, url=url, data=body, headers={**headers, "X-Amz-Content-SHA256": payload_hash})
    signer = SigV4Auth(boto_credentials, service, region)
    # SigV4Auth.add_auth with the SDK's skew-corrected signing time.
    request.context["timestamp"] = datetime.datetime.fromtimestamp(signing_date, datetime.timezone.utc).strftime(
        SIGV4_TIMESTAMP
    )
    signer._modify_request_before_signing(request)
    canonical_request = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical_request), request)
    signer._inject_signature_to_request(request, signature)

    signed = dict(headers)
    signed["x-amz-date"] = request.headers["X-Amz-Date"]
    if credentials.get("sessionToken"):
        signed["x-amz-security-token"] = credentials["sessionToken"]
    signed["x-amz-content-sha256"] = payload_hash
    signed["authorization"] = request.headers["Authorization"]
    return signed


def updated_clock_offset(server_time: str, current_offset: float) -> float:
    """``getUpdatedSystemClockOffset``: the new offset in ms when the clocks are ≥ 5 min apart."""
    try:
        clock_ms = email.utils.parsedate_to_datetime(server_time).timestamp() * 1000
    except (TypeError, ValueError, IndexError):
        return current_offset
    now_ms = time.time() * 1000
    if abs(now_ms + current_offset - clock_ms) >= 300000:
        return clock_ms - now_ms
    return current_offset
