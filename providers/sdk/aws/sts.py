"""STS ``AssumeRoleWithWebIdentity``, as the SDK's nested STS client sends it (awsQuery protocol).

Mirrors @aws-sdk/nested-clients 3.922.0 (``dist-cjs/submodules/sts/index.js``:
``getDefaultRoleAssumerWithWebIdentity``, ``resolveRegion``, ``se_AssumeRoleWithWebIdentityCommand``,
``buildFormUrlencodedString``, ``de_AssumeRoleWithWebIdentityResponse``, ``de_CommandError``,
``getAccountIdFromAssumedRoleUser``; the endpoint ruleset's regional ``https://sts.{Region}.{dnsSuffix}``)
and @aws-sdk/core 3.922.0 (``parseXmlBody``, ``parseXmlErrorBody``, ``loadQueryErrorCode``). The call
is unsigned and goes through ``providers.sdk.transport``, with the standard retry strategy (its
``retry-after`` hint and clock-skew handling are not reproduced).
"""

from __future__ import annotations

import asyncio
import datetime
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any

import aiohttp

from .. import transport
from ..errors import JSError
from .config import dns_suffix
from .credentials import Credentials, set_credential_feature
from .http_handler import connection_error, read_body
from .protocol import extended_encode_uri_component
from .retry import NoRetryTokenAvailable, StandardRetryStrategy, get_retry_error_type
from .user_agent import user_agent_headers

STS_VERSION = "2011-06-15"

# de_CommandError's switch: the modeled STS error codes and their exception names.
_MODELED_ERRORS = {
    "ExpiredTokenException": "ExpiredTokenException",
    "MalformedPolicyDocument": "MalformedPolicyDocumentException",
    "PackedPolicyTooLarge": "PackedPolicyTooLargeException",
    "RegionDisabledException": "RegionDisabledException",
    "IDPCommunicationError": "IDPCommunicationErrorException",
    "IDPRejectedClaim": "IDPRejectedClaimException",
    "InvalidIdentityToken": "InvalidIdentityTokenException",
}


def _children(element: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {child.tag.rpartition("}")[2]: child for child in element}


def _text(element: ElementTree.Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _parse_rfc3339(value: str) -> float:
    """``parseRfc3339DateTimeWithOffset``: epoch seconds."""
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _account_id(assumed_role_arn: str | None) -> str | None:
    """``getAccountIdFromAssumedRoleUser``."""
    if isinstance(assumed_role_arn, str):
        components = assumed_role_arn.split(":")
        if len(components) > 4 and components[4] != "":
            return components[4]
    return None


async def _send(host: str, headers: dict[str, str], body: bytes) -> ElementTree.Element | None:
    """One attempt: the parsed XML body, or the error ``de_CommandError`` throws."""
    try:
        response = await transport.request("POST", f"https://{host}/", headers=headers, body=body, limited=False)
    except (aiohttp.ClientError, OSError) as error:
        raise connection_error(error, host) from None
    data = await read_body(response)
    root = ElementTree.fromstring(data.decode("utf-8")) if data else None
    if response.status >= 300:
        error_element = _children(root).get("Error") if root is not None else None
        fields = _children(error_element) if error_element is not None else {}
        code = _text(fields.get("Code")) or ("NotFound" if response.status == 404 else None)
        name = _MODELED_ERRORS.get(code or "", code or "UnknownError")
        raise JSError(
            _text(fields.get("Message")) or "UnknownError", name=name, metadata={"httpStatusCode": response.status}
        )
    return root


async def assume_role_with_web_identity(region: str, params: Mapping[str, Any], app_id: str | None) -> Credentials:
    """``roleAssumerWithWebIdentity(params)``: the role's temporary credentials.

    ``params`` are ``RoleArn``, ``RoleSessionName``, ``WebIdentityToken`` (members set to ``None``
    are left out, as ``se_AssumeRoleWithWebIdentityRequest`` does); ``app_id`` is the calling
    client's ``userAgentAppId``. The standard retry strategy retries as for any command.
    """
    entries = {key: params[key] for key in ("RoleArn", "RoleSessionName", "WebIdentityToken") if params.get(key) is not None}
    entries.update(Action="AssumeRoleWithWebIdentity", Version=STS_VERSION)
    body = "&".join(
        f"{extended_encode_uri_component(key)}={extended_encode_uri_component(str(value))}" for key, value in entries.items()
    ).encode()
    host = f"sts.{region}.{dns_suffix(region)}"
    x_amz_user_agent, user_agent = user_agent_headers({"RETRY_MODE_STANDARD": "E"}, app_id, "api/sts")
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": str(len(body)),
        "x-amz-user-agent": x_amz_user_agent,
        "user-agent": user_agent,
        "host": host,
        "amz-sdk-invocation-id": str(uuid.uuid4()),
    }
    strategy = StandardRetryStrategy()
    token = strategy.acquire_initial_retry_token()
    while True:
        headers["amz-sdk-request"] = f"attempt={token.retry_count + 1}; max={strategy.max_attempts}"
        try:
            root = await _send(host, headers, body)
            strategy.record_success(token)
            break
        except JSError as error:
            try:
                token = strategy.refresh_retry_token_for_retry(token, get_retry_error_type(error), None)
            except NoRetryTokenAvailable:
                raise error from None
            await asyncio.sleep(token.get_retry_delay() / 1000)
    result = _children(root).get("AssumeRoleWithWebIdentityResult") if root is not None else None
    members = _children(result) if result is not None else {}
    sts_credentials = _children(members["Credentials"]) if "Credentials" in members else {}
    access_key = _text(sts_credentials.get("AccessKeyId"))
    secret_key = _text(sts_credentials.get("SecretAccessKey"))
    if not access_key or not secret_key:
        raise JSError(f"Invalid response from STS.assumeRoleWithWebIdentity call with role {params.get('RoleArn')}")
    credentials: Credentials = {"accessKeyId": access_key, "secretAccessKey": secret_key}
    token = _text(sts_credentials.get("SessionToken"))
    if token is not None:
        credentials["sessionToken"] = token
    expiration = _text(sts_credentials.get("Expiration"))
    if expiration:
        credentials["expiration"] = _parse_rfc3339(expiration)
    user = _children(members["AssumedRoleUser"]) if "AssumedRoleUser" in members else {}
    account_id = _account_id(_text(user.get("Arn")))
    if account_id:
        credentials["accountId"] = account_id
        set_credential_feature(credentials, "RESOLVED_ACCOUNT_ID", "T")
    return set_credential_feature(credentials, "CREDENTIALS_STS_ASSUME_ROLE_WEB_ID", "k")
