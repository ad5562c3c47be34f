"""STS ``AssumeRole`` and ``AssumeRoleWithWebIdentity``, as the SDK's nested STS client sends them
(awsQuery protocol).

Mirrors @aws-sdk/nested-clients 3.922.0 (``dist-cjs/submodules/sts/index.js``:
``getDefaultRoleAssumer``, ``getDefaultRoleAssumerWithWebIdentity``, ``resolveRegion``,
``se_AssumeRoleCommand``, ``se_AssumeRoleWithWebIdentityCommand``,
``buildFormUrlencodedString``, ``de_AssumeRoleWithWebIdentityResponse``, ``de_CommandError``,
``getAccountIdFromAssumedRoleUser``; the endpoint ruleset's regional ``https://sts.{Region}.{dnsSuffix}``)
and @aws-sdk/core 3.922.0 (``parseXmlBody``, ``parseXmlErrorBody``, ``loadQueryErrorCode``). Calls go
through ``providers.sdk.transport`` with the standard retry strategy (its ``retry-after`` hint and
clock-skew correction are not reproduced); ``AssumeRole`` is signed with the source credentials,
``AssumeRoleWithWebIdentity`` is not. The endpoint honours ``AWS_ENDPOINT_URL_STS`` and the other
configured endpoints as every SDK client does.
"""

from __future__ import annotations

import datetime
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any

import aiohttp

from .. import transport
from ...js.errors import JSError
from .config import configured_endpoint, dns_suffix, request_url
from .credentials import Credentials, set_credential_feature
from .http_handler import connection_error, read_body
from .protocol import extended_encode_uri_component
from .retry import send_with_retries
from .signing import sign_sigv4
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


async def _send(url: str, headers: dict[str, str], body: bytes, host: str) -> ElementTree.Element | None:
    """One attempt: the parsed XML body, or the error ``de_CommandError`` throws."""
    try:
        response = await transport.request("POST", url, headers=headers, body=body, limited=False)
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


async def _call(
    action: str,
    params: Mapping[str, Any],
    members: tuple[str, ...],
    region: str,
    app_id: str | None,
    source_credentials: Credentials | None,
) -> dict[str, ElementTree.Element]:
    """``stsClient.send(command)``: the form body (``members`` in model order, then ``Action`` and
    ``Version``), the endpoint (``AWS_ENDPOINT_URL_STS`` and the other configured endpoints, else
    the regional one), SigV4 (service ``sts``) when there are source credentials, the standard
    retry strategy; the members of ``<Action>Result``."""
    entries = {key: params[key] for key in members if params.get(key) is not None}
    entries.update(Action=action, Version=STS_VERSION)
    body = "&".join(
        f"{extended_encode_uri_component(key)}={extended_encode_uri_component(str(value))}" for key, value in entries.items()
    ).encode()
    endpoint = configured_endpoint("STS") or f"https://sts.{region}.{dns_suffix(region)}"
    url, host = request_url(endpoint, "/")
    # the user agent carries the feature ids of the credentials the request is signed with
    features = {"RETRY_MODE_STANDARD": "E"}
    if source_credentials is not None:
        if source_credentials.get("accountId"):
            features["RESOLVED_ACCOUNT_ID"] = "T"
        features.update(source_credentials.get("$source", {}))
    x_amz_user_agent, user_agent = user_agent_headers(features, app_id, "api/sts")
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": str(len(body)),
        "x-amz-user-agent": x_amz_user_agent,
        "user-agent": user_agent,
        "host": host,
        "amz-sdk-invocation-id": str(uuid.uuid4()),
    }

    async def attempt(request_header: str) -> ElementTree.Element | None:
        headers["amz-sdk-request"] = request_header
        request_headers = headers
        if source_credentials is not None:
            request_headers = sign_sigv4("POST", url, headers, body, source_credentials, region, time.time(), "sts")
        return await _send(url, request_headers, body, host)

    root = await send_with_retries(attempt)
    result = _children(root).get(f"{action}Result") if root is not None else None
    return _children(result) if result is not None else {}


def _role_credentials(members: Mapping[str, ElementTree.Element], operation: str, role_arn: Any) -> Credentials:
    """The role's ``Credentials`` and the account of its ``AssumedRoleUser``."""
    sts_credentials = _children(members["Credentials"]) if "Credentials" in members else {}
    access_key = _text(sts_credentials.get("AccessKeyId"))
    secret_key = _text(sts_credentials.get("SecretAccessKey"))
    if not access_key or not secret_key:
        raise JSError(f"Invalid response from STS.{operation} call with role {role_arn}")
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
    return credentials


async def assume_role(
    region: str, source_credentials: Credentials, params: Mapping[str, Any], app_id: str | None
) -> Credentials:
    """``roleAssumer(sourceCreds, params)`` (``getDefaultRoleAssumer``): STS ``AssumeRole`` signed
    with the source credentials; ``params`` are ``RoleArn``, ``RoleSessionName``,
    ``DurationSeconds``, ``ExternalId``."""
    members = await _call(
        "AssumeRole",
        params,
        ("RoleArn", "RoleSessionName", "DurationSeconds", "ExternalId"),
        region,
        app_id,
        source_credentials,
    )
    credentials = _role_credentials(members, "assumeRole", params.get("RoleArn"))
    return set_credential_feature(credentials, "CREDENTIALS_STS_ASSUME_ROLE", "i")


async def assume_role_with_web_identity(region: str, params: Mapping[str, Any], app_id: str | None) -> Credentials:
    """``roleAssumerWithWebIdentity(params)``: the role's temporary credentials, unsigned.

    ``params`` are ``RoleArn``, ``RoleSessionName``, ``WebIdentityToken`` (members set to ``None``
    are left out, as ``se_AssumeRoleWithWebIdentityRequest`` does); ``app_id`` is the calling
    client's ``userAgentAppId``.
    """
    members = await _call(
        "AssumeRoleWithWebIdentity", params, ("RoleArn", "RoleSessionName", "WebIdentityToken"), region, app_id, None
    )
    credentials = _role_credentials(members, "assumeRoleWithWebIdentity", params.get("RoleArn"))
    if "accountId" in credentials:
        set_credential_feature(credentials, "RESOLVED_ACCOUNT_ID", "T")
    return set_credential_feature(credentials, "CREDENTIALS_STS_ASSUME_ROLE_WEB_ID", "k")
