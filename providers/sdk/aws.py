"""The AWS SDK for JavaScript v3 as ``bedrock.ts`` runs it: ``BedrockRuntimeClient.send`` for the
``ConverseStream`` and ``Converse`` commands.

Mirrors @aws-sdk/client-bedrock-runtime 3.922.0 (``dist-cjs/index.js``: serializers, deserializers,
exception classes, endpoint ruleset) and the packages it runs on: @aws-sdk/core 3.922.0
(``parseJsonErrorBody``, ``loadRestJsonErrorCode``, ``AwsSdkSigV4Signer``, credential feature ids),
@smithy/smithy-client 4.9.2 (``ServiceException``, ``decorateServiceException``, ``take``, ``_json``),
@aws-sdk/middleware-user-agent 3.922.0 and util-user-agent-node 3.922.0 (the ``user-agent`` headers),
@smithy/middleware-retry 4.4.6 with @smithy/util-retry 4.2.4 and service-error-classification 4.2.4
(standard retry strategy), @smithy/middleware-serde 4.2.4 (deserialization-error hint),
@smithy/eventstream-serde-universal and eventstream-codec 4.2.4 (event-stream framing and
unmarshalling), @aws-sdk/credential-provider-ini / -env / -node 3.922.0 (credentials), and
@smithy/signature-v4 5.3.4 (which headers are signed).

The wire pieces come from botocore: SigV4 signing (``SigV4Auth`` on an ``AWSRequest``), the
event-stream frame parser with its CRC checks (``EventStreamBuffer``; the common message, string
headers only, is read here on the hot path), the shared config/credentials file parser and the
credential providers that need a network or a subprocess. botocore is imported only when a request
is signed, an unusual frame decoded or a credential resolved. The reference spoke HTTP/2;
this port speaks HTTP/1.1 through ``providers.sdk.transport`` and signs ``host`` where the reference
signed ``:authority``.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import math
import os
import platform
import random
import re
import struct
import sys
import time
import uuid
import zlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard
from urllib.parse import quote, urlsplit

import aiohttp

from . import jsonjs, transport
from .errors import JSError, JSSyntaxError, JSTypeError

SDK_VERSION = "3.922.0"
"""@aws-sdk/client-bedrock-runtime version (``aws-sdk-js/…`` and ``api/bedrock-runtime#…``)."""

SIGNING_NAME = "bedrock"

Credentials = dict[str, Any]
"""An AWS credential identity: ``accessKeyId``, ``secretAccessKey``, optional ``sessionToken``,
``credentialScope``, ``accountId``, and ``$source`` (the user-agent
feature ids of the providers that produced it, in the order they were set)."""

CredentialProvider = Callable[[], Credentials | Awaitable[Credentials]]


# ---------------------------------------------------------------------------------------------
# Errors: @smithy/smithy-client ServiceException and the Bedrock Runtime exception classes
# ---------------------------------------------------------------------------------------------


class BedrockRuntimeServiceException(JSError):
    """``BedrockRuntimeServiceException`` (a smithy ``ServiceException``).

    ``fault`` is ``$fault``, ``metadata`` is ``$metadata`` (``httpStatusCode``, ``requestId``,
    ``extendedRequestId``, ``cfId``, and after the retry loop ``attempts``/``totalRetryDelay``;
    keys whose JS value is undefined are left out). The parsed error body's fields are copied
    onto the exception as ``decorateServiceException`` does (``code``, ``status``, ``__type`` …).
    """

    js_constructor = "BedrockRuntimeServiceException"
    fault = "client"
    retryable: dict[str, Any] | None = None

    def __init__(self, message: str = "", *, name: str | None = None, **props: Any) -> None:
        metadata = props.pop("metadata", {})
        super().__init__(message, name=name if name is not None else self.js_constructor, **props)
        self.metadata: dict[str, Any] = metadata
        self.response: _Response | None = None


class AccessDeniedException(BedrockRuntimeServiceException):
    js_constructor = "AccessDeniedException"


class InternalServerException(BedrockRuntimeServiceException):
    js_constructor = "InternalServerException"
    fault = "server"


class ThrottlingException(BedrockRuntimeServiceException):
    js_constructor = "ThrottlingException"


class ValidationException(BedrockRuntimeServiceException):
    js_constructor = "ValidationException"


class ConflictException(BedrockRuntimeServiceException):
    js_constructor = "ConflictException"


class ResourceNotFoundException(BedrockRuntimeServiceException):
    js_constructor = "ResourceNotFoundException"


class ServiceQuotaExceededException(BedrockRuntimeServiceException):
    js_constructor = "ServiceQuotaExceededException"


class ServiceUnavailableException(BedrockRuntimeServiceException):
    js_constructor = "ServiceUnavailableException"
    fault = "server"


class ModelErrorException(BedrockRuntimeServiceException):
    js_constructor = "ModelErrorException"


class ModelNotReadyException(BedrockRuntimeServiceException):
    js_constructor = "ModelNotReadyException"
    retryable: dict[str, Any] | None = {}


class ModelTimeoutException(BedrockRuntimeServiceException):
    js_constructor = "ModelTimeoutException"


class ModelStreamErrorException(BedrockRuntimeServiceException):
    js_constructor = "ModelStreamErrorException"


# de_CommandError's switch: modeled error code -> (class, members its de_*Res takes from the body)
_MODELED_ERRORS: dict[str, tuple[type[BedrockRuntimeServiceException], tuple[str, ...]]] = {
    "AccessDeniedException": (AccessDeniedException, ("message",)),
    "InternalServerException": (InternalServerException, ("message",)),
    "ResourceNotFoundException": (ResourceNotFoundException, ("message",)),
    "ServiceQuotaExceededException": (ServiceQuotaExceededException, ("message",)),
    "ServiceUnavailableException": (ServiceUnavailableException, ("message",)),
    "ThrottlingException": (ThrottlingException, ("message",)),
    "ValidationException": (ValidationException, ("message",)),
    "ModelErrorException": (ModelErrorException, ("message", "originalStatusCode", "resourceName")),
    "ModelNotReadyException": (ModelNotReadyException, ("message",)),
    "ModelTimeoutException": (ModelTimeoutException, ("message",)),
    "ModelStreamErrorException": (
        ModelStreamErrorException,
        ("message", "originalMessage", "originalStatusCode"),
    ),
    "ConflictException": (ConflictException, ("message",)),
}

# de_ConverseStreamOutput: the exception members of the ConverseStream event union.
_STREAM_EXCEPTIONS = {
    "internalServerException": "InternalServerException",
    "modelStreamErrorException": "ModelStreamErrorException",
    "validationException": "ValidationException",
    "throttlingException": "ThrottlingException",
    "serviceUnavailableException": "ServiceUnavailableException",
}


class CredentialsProviderError(JSError):
    """@smithy/property-provider ``CredentialsProviderError`` (``tryNextLink`` defaults to true)."""

    js_constructor = "CredentialsProviderError"

    def __init__(self, message: str, *, try_next_link: bool = True) -> None:
        super().__init__(message)
        self.try_next_link = try_next_link


class _JSRangeError(JSError):
    js_constructor = "RangeError"


def _decorate_service_exception(
    exception: BedrockRuntimeServiceException, additions: Mapping[str, Any]
) -> BedrockRuntimeServiceException:
    """``decorateServiceException``: copy body fields the exception lacks, settle ``message``."""
    for key, value in additions.items():
        if value is None or hasattr(BaseException, key):
            continue
        attr = _attr_name(key)
        current = getattr(exception, attr, None)
        if current is None or current == "":
            setattr(exception, attr, value)
    message = exception.message or getattr(exception, "Message", None) or "UnknownError"
    exception.message = message
    exception.args = (message,)
    if hasattr(exception, "Message"):
        delattr(exception, "Message")
    return exception


def _attr_name(key: str) -> str:
    # ``$fault``/``$metadata`` live under Python names; everything else keeps its JS key.
    return {"$metadata": "metadata", "$fault": "fault", "$retryable": "retryable"}.get(key, key)


def _metadata_from_response(status: int | None, headers: Mapping[str, str]) -> dict[str, Any]:
    """``deserializeMetadata``: undefined members are left out."""
    metadata: dict[str, Any] = {}
    if status is not None:
        metadata["httpStatusCode"] = status
    request_id = headers.get("x-amzn-requestid") or headers.get("x-amzn-request-id") or headers.get("x-amz-request-id")
    for key, value in (
        ("requestId", request_id),
        ("extendedRequestId", headers.get("x-amz-id-2")),
        ("cfId", headers.get("x-amz-cf-id")),
    ):
        if value is not None:
            metadata[key] = value
    return metadata


def _error_name(error: BaseException) -> Any:
    return getattr(error, "name", type(error).__name__)


# ---------------------------------------------------------------------------------------------
# smithy-client helpers: take / _json / expectUnion / expectString
# ---------------------------------------------------------------------------------------------


def _json(obj: Any) -> Any:
    """``_json``: drop null members (recursively); ``null`` itself becomes ``{}``."""
    if obj is None:
        return {}
    if isinstance(obj, list):
        return [_json(item) for item in obj if item is not None]
    if isinstance(obj, dict):
        return {key: _json(value) for key, value in obj.items() if value is not None}
    return obj


def _take(source: Mapping[str, Any], instructions: Mapping[str, Callable[[Any], Any] | None]) -> dict[str, Any]:
    """``take(source, instructions)``: non-null members in the instructions' order, transformed."""
    out: dict[str, Any] = {}
    for key, transform in instructions.items():
        value = source.get(key)
        if value is not None:
            out[key] = transform(value) if transform is not None else value
    return out


def _aws_expect_union(value: Any) -> Any:
    """``awsExpectUnion``: drop ``__type``, then exactly one non-null member."""
    if value is None:
        return None
    if isinstance(value, dict) and "__type" in value:
        del value["__type"]
    if not isinstance(value, dict):
        raise JSTypeError(f"Expected object, got {_js_typeof(value)}: {jsonjs.js_string(value)}")
    if len(value) == 1 and next(iter(value.values())) is not None:
        return value  # the usual shape: one member, set
    set_keys = [key for key, item in value.items() if item is not None]
    if not set_keys:
        raise JSTypeError("Unions must have exactly one non-null member. None were found.")
    if len(set_keys) > 1:
        raise JSTypeError(f"Unions must have exactly one non-null member. Keys {','.join(set_keys)} were not null.")
    return value


def _expect_string(value: Any) -> str | None:
    """``expectString``: numbers and booleans are stringified, other types are a TypeError."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return jsonjs.js_string(value)
    raise JSTypeError(f"Expected string, got {_js_typeof(value)}: {jsonjs.js_string(value)}")


def _js_typeof(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


# ---------------------------------------------------------------------------------------------
# Endpoint: the client's endpoint ruleset with @aws-sdk/util-endpoints partitions
# ---------------------------------------------------------------------------------------------

# (regionRegex, dnsSuffix) of the partitions, in partitions.json order; "aws" is the default.
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


def _dns_suffix(region: str) -> str:
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
    return f"https://{prefix}.{real_region}.{_dns_suffix(real_region)}"


# ---------------------------------------------------------------------------------------------
# Credentials: credential-provider-ini (fromIni), -env and -node (defaultProvider)
# ---------------------------------------------------------------------------------------------


def _set_credential_feature(credentials: Credentials, feature: str, value: str) -> Credentials:
    """``setCredentialFeature``."""
    credentials.setdefault("$source", {})[feature] = value
    return credentials


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


def _is_static_creds_profile(data: Any) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(data, dict)
        and isinstance(data.get("aws_access_key_id"), str)
        and isinstance(data.get("aws_secret_access_key"), str)
    )


def _is_assume_role_profile(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("role_arn"), str):
        return False
    with_source_profile = isinstance(data.get("source_profile"), str) and "credential_source" not in data
    with_credential_source = isinstance(data.get("credential_source"), str) and "source_profile" not in data
    return with_source_profile or with_credential_source


def _is_web_identity_profile(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("web_identity_token_file"), str)
        and isinstance(data.get("role_arn"), str)
    )


def _is_sso_profile(data: Any) -> bool:
    return isinstance(data, dict) and any(
        isinstance(data.get(key), str)
        for key in ("sso_start_url", "sso_account_id", "sso_session", "sso_region", "sso_role_name")
    )


def _frozen(credentials: Any) -> Credentials:
    """A botocore ``Credentials`` object as an identity dict (session token when present)."""
    frozen = credentials.get_frozen_credentials()
    identity: Credentials = {"accessKeyId": frozen.access_key, "secretAccessKey": frozen.secret_key}
    if frozen.token:
        identity["sessionToken"] = frozen.token
    return identity


def _botocore_profile_credentials(profile: str) -> Any:
    """Profile credentials that need STS, SSO or a subprocess: botocore resolves them itself."""
    import botocore.session

    return botocore.session.Session(profile=profile).get_credentials()


def _resolve_profile_data(profile: str, profiles: Mapping[str, dict[str, Any]]) -> Credentials:
    """``resolveProfileData`` of credential-provider-ini.

    Static keys are read here; role assumption, web identity, SSO and ``credential_process``
    profiles are resolved by botocore (its own STS/SSO requests and subprocess), then tagged
    with the feature id the JS provider sets.
    """
    data = profiles.get(profile)
    if _is_assume_role_profile(data):
        return _set_credential_feature(_botocore_identity(profile), "CREDENTIALS_PROFILE_SOURCE_PROFILE", "o")
    if _is_static_creds_profile(data):
        return _static_profile_credentials(data)
    if _is_web_identity_profile(data):
        return _set_credential_feature(_botocore_identity(profile), "CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN", "q")
    if isinstance(data, dict) and isinstance(data.get("credential_process"), str):
        return _set_credential_feature(_botocore_identity(profile), "CREDENTIALS_PROFILE_PROCESS", "v")
    if _is_sso_profile(data):
        assert data is not None
        feature = (
            ("CREDENTIALS_PROFILE_SSO", "r") if data.get("sso_session") else ("CREDENTIALS_PROFILE_SSO_LEGACY", "t")
        )
        return _set_credential_feature(_botocore_identity(profile), *feature)
    raise CredentialsProviderError(
        f"Could not resolve credentials using profile: [{profile}] in configuration/credentials file(s)."
    )


def _botocore_identity(profile: str) -> Credentials:
    credentials = _botocore_profile_credentials(profile)
    if credentials is None:
        raise CredentialsProviderError(
            f"Could not resolve credentials using profile: [{profile}] in configuration/credentials file(s)."
        )
    return _frozen(credentials)


def _static_profile_credentials(data: Mapping[str, Any]) -> Credentials:
    """``resolveStaticCredentials``."""
    credentials: Credentials = {
        "accessKeyId": data["aws_access_key_id"],
        "secretAccessKey": data["aws_secret_access_key"],
    }
    if data.get("aws_session_token") is not None:
        credentials["sessionToken"] = data["aws_session_token"]
    if data.get("aws_credential_scope"):
        credentials["credentialScope"] = data["aws_credential_scope"]
    if data.get("aws_account_id"):
        credentials["accountId"] = data["aws_account_id"]
    return _set_credential_feature(credentials, "CREDENTIALS_PROFILE", "n")


def from_ini(profile: str | None = None, ignore_cache: bool = True) -> CredentialProvider:  # noqa: ARG001
    """``fromIni({profile, ignoreCache})``: a provider reading the shared config files when called.

    The files are read afresh on every call, which is what ``ignoreCache: true`` asks for.
    """

    def provider() -> Credentials:
        name = profile or os.environ.get("AWS_PROFILE") or "default"
        return _resolve_profile_data(name, parse_known_files())

    return provider


def _from_env() -> Credentials:
    """``fromEnv`` of credential-provider-env."""
    access_key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not (access_key and secret_key):
        raise CredentialsProviderError("Unable to find environment variable credentials.")
    credentials: Credentials = {"accessKeyId": access_key, "secretAccessKey": secret_key}
    for key, env in (
        ("sessionToken", "AWS_SESSION_TOKEN"),
        ("credentialScope", "AWS_CREDENTIAL_SCOPE"),
        ("accountId", "AWS_ACCOUNT_ID"),
    ):
        if os.environ.get(env):
            credentials[key] = os.environ[env]
    return _set_credential_feature(credentials, "CREDENTIALS_ENV_VARS", "g")


def _from_remote() -> Credentials:
    """``remoteProvider``: container credentials or IMDS, fetched by botocore."""
    from botocore.credentials import (
        ContainerProvider,
        InstanceMetadataFetcher,
        InstanceMetadataProvider,
    )

    if os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        credentials = ContainerProvider().load()
        feature = ("CREDENTIALS_HTTP", "z")
    else:
        disabled = os.environ.get("AWS_EC2_METADATA_DISABLED")
        if disabled and disabled != "false":
            raise CredentialsProviderError("EC2 Instance Metadata Service access disabled")
        credentials = InstanceMetadataProvider(
            iam_role_fetcher=InstanceMetadataFetcher(timeout=1, num_attempts=1)
        ).load()
        feature = ("CREDENTIALS_IMDS", "0")
    if credentials is None:
        raise CredentialsProviderError("Could not load credentials from any providers", try_next_link=False)
    return _set_credential_feature(_frozen(credentials), *feature)


def default_provider() -> Credentials:
    """``defaultProvider`` of credential-provider-node: env, ini, remote, then the final error."""
    chain: list[Callable[[], Credentials]] = [
        _default_from_env,
        lambda: _resolve_profile_data(os.environ.get("AWS_PROFILE") or "default", parse_known_files()),
        _from_remote,
    ]
    last_error: CredentialsProviderError | None = None
    for link in chain:
        try:
            return link()
        except CredentialsProviderError as error:
            last_error = error
            if not error.try_next_link:
                raise
    raise CredentialsProviderError("Could not load credentials from any providers", try_next_link=False) from last_error


def _default_from_env() -> Credentials:
    if os.environ.get("AWS_PROFILE"):
        raise CredentialsProviderError("AWS_PROFILE is set, skipping fromEnv provider.")
    return _from_env()


# ---------------------------------------------------------------------------------------------
# User agent: middleware-user-agent + util-user-agent-node
# ---------------------------------------------------------------------------------------------

_UA_NAME_ESCAPE = re.compile(r"[^!$%&'*+\-.^_`|~\w]")
_UA_VALUE_ESCAPE = re.compile(r"[^!$%&'*+\-.^_`|~\w#]")
_FEATURE_BYTE_LIMIT = 1024


def _escape_user_agent(name: str, version: str | None = None) -> str:
    """``escapeUserAgent([name, version])``."""
    name = "/".join(_UA_NAME_ESCAPE.sub("-", part) for part in name.split("/"))
    version = _UA_VALUE_ESCAPE.sub("-", version) if version is not None else None
    prefix, sep, ua_name = name.partition("/")
    if not sep:
        prefix, ua_name = "", name
    if prefix == "api":
        ua_name = ua_name.lower()
    items = [item for item in (prefix, ua_name, version) if item]
    out = ""
    for index, item in enumerate(items):
        out = item if index == 0 else f"{out}/{item}" if index == 1 else f"{out}#{item}"
    return out


def _encode_features(features: Mapping[str, str]) -> str:
    """``encodeFeatures``: comma-joined feature ids up to 1024 bytes."""
    buffer = ""
    for value in features.values():
        if len(buffer) + len(value) + 1 > _FEATURE_BYTE_LIMIT:
            break
        buffer = f"{buffer},{value}" if buffer else value
    return buffer


def user_agent_headers(features: Mapping[str, str], app_id: str | None) -> tuple[str, str]:
    """(``x-amz-user-agent``, ``user-agent``) as the SDK builds them.

    The ``os/``, ``lang/`` and ``md/`` sections describe this Python process.
    """
    sections = [
        _escape_user_agent("aws-sdk-js", SDK_VERSION),
        _escape_user_agent("ua", "2.1"),
        _escape_user_agent(f"os/{sys.platform}", platform.release()),
        _escape_user_agent("lang/python"),
        _escape_user_agent("md/python", platform.python_version()),
        _escape_user_agent("api/Bedrock Runtime", SDK_VERSION),
    ]
    if os.environ.get("AWS_EXECUTION_ENV"):
        sections.append(_escape_user_agent(f"exec-env/{os.environ['AWS_EXECUTION_ENV']}"))
    sections.append(f"m/{_encode_features(features)}")
    if app_id:
        sections.append(_escape_user_agent("app", app_id))
    normal = " ".join(section for section in sections if section.startswith("aws-sdk-"))
    return normal, " ".join(sections)


# ---------------------------------------------------------------------------------------------
# Serializers: se_ConverseStreamCommand / se_ConverseCommand (restJson1)
# ---------------------------------------------------------------------------------------------


def _extended_encode_uri_component(value: str) -> str:
    """``extendedEncodeURIComponent``: encodeURIComponent plus ``!'()*``."""
    return quote(value, safe="-_.~")


def _b64(value: Any) -> str:
    """``toBase64`` of util-base64."""
    return base64.b64encode(bytes(value)).decode("ascii")


def _from_base64(value: Any) -> bytes:
    """``fromBase64`` of util-base64: padded standard base64 only."""
    if not isinstance(value, str) or (len(value) * 3) % 4 != 0:
        raise JSTypeError("Incorrect padding on base64 string.")
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", value):
        raise JSTypeError("Invalid base64 string.")
    return base64.b64decode(value)


def _visit_union(value: Mapping[str, Any], members: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """A union's ``visit``: the first set member in the model's order, else the raw member."""
    for member, serialize in members.items():
        if value.get(member, _UNDEFINED) is not _UNDEFINED:
            return {member: serialize(value[member])}
    unknown = value.get("$unknown")
    if unknown is None:
        raise JSTypeError("Cannot read properties of undefined (reading '0')")
    return {unknown[0]: unknown[1]}


_UNDEFINED = object()


def _se_list(items: list[Any], serialize: Callable[[Any], Any]) -> list[Any]:
    return [serialize(item) for item in items if item is not None]


def _se_image_block(value: Mapping[str, Any]) -> dict[str, Any]:
    return _take(value, {"format": None, "source": lambda s: _visit_union(s, {"bytes": _b64, "s3Location": _json})})


def _se_video_block(value: Mapping[str, Any]) -> dict[str, Any]:
    return _take(value, {"format": None, "source": lambda s: _visit_union(s, {"bytes": _b64, "s3Location": _json})})


def _se_document_block(value: Mapping[str, Any]) -> dict[str, Any]:
    source_members = {"bytes": _b64, "s3Location": _json, "text": lambda v: v, "content": _json}
    return _take(
        value,
        {
            "citations": _json,
            "context": None,
            "format": None,
            "name": None,
            "source": lambda s: _visit_union(s, source_members),
        },
    )


def _se_guard_content(value: Mapping[str, Any]) -> dict[str, Any]:
    image_members = {"bytes": _b64}
    return _visit_union(
        value,
        {
            "text": _json,
            "image": lambda v: _take(v, {"format": None, "source": lambda s: _visit_union(s, image_members)}),
        },
    )


def _se_tool_result_block(value: Mapping[str, Any]) -> dict[str, Any]:
    members: dict[str, Callable[[Any], Any]] = {
        "json": lambda v: v,
        "text": lambda v: v,
        "image": _se_image_block,
        "document": _se_document_block,
        "video": _se_video_block,
    }
    return _take(
        value,
        {
            "content": lambda c: _se_list(c, lambda b: _visit_union(b, members)),
            "status": None,
            "toolUseId": None,
            "type": None,
        },
    )


def _se_content_block(value: Mapping[str, Any]) -> dict[str, Any]:
    """``se_ContentBlock`` (ContentBlock.visit order)."""
    return _visit_union(
        value,
        {
            "text": lambda v: v,
            "image": _se_image_block,
            "document": _se_document_block,
            "video": _se_video_block,
            "toolUse": lambda v: _take(v, {"input": lambda i: i, "name": None, "toolUseId": None, "type": None}),
            "toolResult": _se_tool_result_block,
            "guardContent": _se_guard_content,
            "cachePoint": _json,
            "reasoningContent": lambda v: _visit_union(v, {"reasoningText": _json, "redactedContent": _b64}),
            "citationsContent": _json,
        },
    )


def _se_message(value: Mapping[str, Any]) -> dict[str, Any]:
    return _take(value, {"content": lambda c: _se_list(c, _se_content_block), "role": None})


def _se_system_content_block(value: Mapping[str, Any]) -> dict[str, Any]:
    return _visit_union(value, {"text": lambda v: v, "guardContent": _se_guard_content, "cachePoint": _json})


def _se_tool(value: Mapping[str, Any]) -> dict[str, Any]:
    spec = {"description": None, "inputSchema": lambda s: _visit_union(s, {"json": lambda v: v}), "name": None}
    return _visit_union(value, {"toolSpec": lambda v: _take(v, spec), "systemTool": _json, "cachePoint": _json})


def _serialize_float(value: Any) -> Any:
    """``serializeFloat``: NaN and the infinities as strings."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    return value


def serialize_converse_input(input: Mapping[str, Any]) -> bytes:
    """The JSON body of ``se_ConverseStreamCommand`` / ``se_ConverseCommand`` (members in model
    order, members the model lacks dropped)."""
    body = _take(
        input,
        {
            "additionalModelRequestFields": lambda v: v,
            "additionalModelResponseFieldPaths": _json,
            "guardrailConfig": _json,
            "inferenceConfig": lambda v: _take(
                v,
                {"maxTokens": None, "stopSequences": _json, "temperature": _serialize_float, "topP": _serialize_float},
            ),
            "messages": lambda v: _se_list(v, _se_message),
            "performanceConfig": _json,
            "promptVariables": _json,
            "requestMetadata": _json,
            "system": lambda v: _se_list(v, _se_system_content_block),
            "toolConfig": lambda v: _take(v, {"toolChoice": _json, "tools": lambda t: _se_list(t, _se_tool)}),
        },
    )
    return jsonjs.dumps(body).encode()


def model_path(model_id: Any, operation: str) -> str:
    """``b.bp("/model/{modelId}/…")`` with the label resolved."""
    if model_id is None:
        raise JSError("No value provided for input HTTP label: modelId.")
    if len(model_id) <= 0:
        raise JSError("Empty value provided for input HTTP label: modelId.")
    return f"/model/{_extended_encode_uri_component(model_id)}/{operation}"


# ---------------------------------------------------------------------------------------------
# Retry: @smithy/util-retry StandardRetryStrategy + middleware-retry + error classification
# ---------------------------------------------------------------------------------------------

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_DELAY_BASE = 100
THROTTLING_RETRY_DELAY_BASE = 500
MAXIMUM_RETRY_DELAY = 20 * 1000
INITIAL_RETRY_TOKENS = 500
RETRY_COST = 5
TIMEOUT_RETRY_COST = 10
NO_RETRY_INCREMENT = 1

THROTTLING_ERROR_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "LimitExceededException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)
TRANSIENT_ERROR_CODES = frozenset({"TimeoutError", "RequestTimeout", "RequestTimeoutException"})
TRANSIENT_ERROR_STATUS_CODES = frozenset({500, 502, 503, 504})
NODEJS_TIMEOUT_ERROR_CODES = frozenset({"ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"})
NODEJS_NETWORK_ERROR_CODES = frozenset({"EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND"})


def _status_of(error: BaseException) -> Any:
    return (getattr(error, "metadata", None) or {}).get("httpStatusCode")


def is_throttling_error(error: BaseException) -> bool:
    """``isThrottlingError``."""
    retryable = getattr(error, "retryable", None)
    return (
        _status_of(error) == 429
        or _error_name(error) in THROTTLING_ERROR_CODES
        or bool(retryable and retryable.get("throttling"))
    )


def is_transient_error(error: BaseException, depth: int = 0) -> bool:
    """``isTransientError`` (a cause chain is followed 10 deep)."""
    cause = getattr(error, "cause", None)
    return (
        getattr(error, "retryable", None) is not None
        or bool((getattr(error, "metadata", None) or {}).get("clockSkewCorrected"))
        or _error_name(error) in TRANSIENT_ERROR_CODES
        or (getattr(error, "code", None) or "") in NODEJS_TIMEOUT_ERROR_CODES
        or (getattr(error, "code", None) or "") in NODEJS_NETWORK_ERROR_CODES
        or (_status_of(error) or 0) in TRANSIENT_ERROR_STATUS_CODES
        or (isinstance(cause, BaseException) and depth <= 10 and is_transient_error(cause, depth + 1))
    )


def is_server_error(error: BaseException) -> bool:
    """``isServerError``."""
    status = _status_of(error)
    return status is not None and 500 <= status <= 599 and not is_transient_error(error)


def get_retry_error_type(error: BaseException) -> str:
    """``getRetryErrorType``."""
    if is_throttling_error(error):
        return "THROTTLING"
    if is_transient_error(error):
        return "TRANSIENT"
    if is_server_error(error):
        return "SERVER_ERROR"
    return "CLIENT_ERROR"


def _retry_after_hint_ms(error: BaseException) -> float | None:
    """``getRetryAfterHint``: the ``retry-after`` header as an epoch time in ms (NaN if unparsable).

    As in the SDK, a number is taken as seconds since the epoch (so it never outweighs the
    backoff); anything else is parsed as a date.
    """
    response = getattr(error, "response", None)
    if response is None:
        return None
    value = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    seconds = jsonjs.js_to_number(value)
    if not math.isnan(seconds):
        return seconds * 1000
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() * 1000
    except (TypeError, ValueError, IndexError):
        return math.nan


@dataclass
class RetryToken:
    """``createDefaultRetryToken``."""

    retry_delay: float
    retry_count: int
    retry_cost: int | None = None

    def get_retry_delay(self) -> float:
        return min(MAXIMUM_RETRY_DELAY, self.retry_delay)


class NoRetryTokenAvailable(Exception):
    """``refreshRetryTokenForRetry`` refused (``No retry token available``)."""


@dataclass
class StandardRetryStrategy:
    """@smithy/util-retry ``StandardRetryStrategy``: a retry quota shared by the client's calls.

    Backoff before retry n (n = 1 for the first): ``floor(min(20000, U · 2ⁿ⁻¹ · base))`` ms with
    base 500 for throttling errors and 100 otherwise; a ``retry-after`` hint wins when later.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    capacity: int = INITIAL_RETRY_TOKENS
    random: Callable[[], float] = field(default=random.random)

    def acquire_initial_retry_token(self) -> RetryToken:
        return RetryToken(retry_delay=DEFAULT_RETRY_DELAY_BASE, retry_count=0)

    def refresh_retry_token_for_retry(
        self, token: RetryToken, error_type: str, retry_after_ms: float | None
    ) -> RetryToken:
        if not self._should_retry(token, error_type):
            raise NoRetryTokenAvailable("No retry token available")
        delay_base = THROTTLING_RETRY_DELAY_BASE if error_type == "THROTTLING" else DEFAULT_RETRY_DELAY_BASE
        delay_from_error_type = math.floor(min(MAXIMUM_RETRY_DELAY, self.random() * 2**token.retry_count * delay_base))
        retry_delay: float = delay_from_error_type
        if retry_after_ms is not None:
            # retryAfterHint.getTime() - Date.now() || 0 (an invalid date gives NaN, hence 0)
            hinted = 0 if math.isnan(retry_after_ms) else math.trunc(retry_after_ms) - int(time.time() * 1000)
            retry_delay = max(hinted, delay_from_error_type)
        cost = self._capacity_cost(error_type)
        self.capacity -= cost
        return RetryToken(retry_delay=retry_delay, retry_count=token.retry_count + 1, retry_cost=cost)

    def record_success(self, token: RetryToken) -> None:
        increment = token.retry_cost if token.retry_cost is not None else NO_RETRY_INCREMENT
        self.capacity = max(INITIAL_RETRY_TOKENS, self.capacity + increment)

    def _should_retry(self, token: RetryToken, error_type: str) -> bool:
        attempts = token.retry_count + 1
        return (
            attempts < self.max_attempts
            and self.capacity >= self._capacity_cost(error_type)
            and error_type in ("THROTTLING", "TRANSIENT")
        )

    @staticmethod
    def _capacity_cost(error_type: str) -> int:
        return TIMEOUT_RETRY_COST if error_type == "TRANSIENT" else RETRY_COST


# ---------------------------------------------------------------------------------------------
# HTTP: one attempt (node-http-handler's role) and the response the deserializers read
# ---------------------------------------------------------------------------------------------


@dataclass
class _Response:
    """What the deserializers see of an HTTP response (``HttpResponse``)."""

    status: int
    headers: dict[str, str]
    raw: aiohttp.ClientResponse


_ERRNO_CODES = {
    111: "ECONNREFUSED",
    61: "ECONNREFUSED",
    104: "ECONNRESET",
    54: "ECONNRESET",
    110: "ETIMEDOUT",
    60: "ETIMEDOUT",
    113: "EHOSTUNREACH",
    65: "EHOSTUNREACH",
    101: "ENETUNREACH",
    51: "ENETUNREACH",
    32: "EPIPE",
}


def _connection_error(error: Exception, host: str) -> JSError:
    """The error NodeHttp2Handler rejects with when no response arrives."""
    if isinstance(error, aiohttp.ClientConnectorDNSError) or (
        isinstance(error, aiohttp.ClientConnectorError)
        and isinstance(error.os_error, OSError)
        and getattr(error.os_error, "errno", None) in (-2, -3, -5, 8)
    ):
        cause = JSError(f"getaddrinfo ENOTFOUND {host}", code="ENOTFOUND", syscall="getaddrinfo", hostname=host)
        return JSError(
            f"The pending stream has been canceled (caused by: {cause.message})",
            code="ERR_HTTP2_STREAM_CANCEL",
            cause=cause,
        )
    if isinstance(error, aiohttp.ClientConnectorError):
        errno = getattr(error.os_error, "errno", None)
        code = _ERRNO_CODES.get(errno or 0)
        if code is not None:
            cause = JSError(
                f"connect {code} {error.host}:{error.port}",
                code=code,
                errno=-(errno or 0),
                syscall="connect",
                address=error.host,
                port=error.port,
            )
            return JSError(
                f"The pending stream has been canceled (caused by: {cause.message})",
                code="ERR_HTTP2_STREAM_CANCEL",
                cause=cause,
            )
        return JSError(str(error.os_error or error))
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, ConnectionResetError)):
        return JSError("Unexpected error: http2 request did not get a response")
    return JSError(str(error) or type(error).__name__)


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """The whole body (``collectBody``); a connection lost mid-body ends it where it stopped."""
    parts: list[bytes] = []
    try:
        async for chunk in response.content.iter_any():
            parts.append(chunk)
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionResetError):
        pass
    finally:
        response.release()
    return b"".join(parts)


def _parse_json_body(data: bytes) -> Any:
    """``parseJsonBody``: ``{}`` for an empty body, else ``JSON.parse`` of the UTF-8 text."""
    text = data.decode("utf-8", "replace")
    if not text:
        return {}
    try:
        return jsonjs.loads(text)
    except JSSyntaxError as error:
        setattr(error, "response_body_text", text)
        raise


def _load_rest_json_error_code(headers: Mapping[str, str], data: Any) -> str | None:
    """``loadRestJsonErrorCode``: ``x-amzn-errortype`` header, else the body's code/__type."""

    def sanitize(raw: Any) -> str:
        value = jsonjs.js_string(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
        if not isinstance(value, str):
            raise JSTypeError("cleanValue.indexOf is not a function")
        if "," in value:
            value = value.split(",")[0]
        if ":" in value:
            value = value.split(":")[0]
        if "#" in value:
            value = value.split("#")[1]
        return value

    header = next((k for k in headers if k.lower() == "x-amzn-errortype"), None)
    if header is not None:
        return sanitize(headers[header])
    if isinstance(data, dict):
        code_key = next((k for k in data if k.lower() == "code"), None)
        if code_key is not None and data[code_key] is not None:
            return sanitize(data[code_key])
        if data.get("__type") is not None:
            return sanitize(data["__type"])
    return None


def _de_command_error(response: _Response, body: Any) -> BedrockRuntimeServiceException:
    """``de_CommandError``: the modeled exception for the error code, else the base exception."""
    if isinstance(body, dict):
        body["message"] = body["message"] if body.get("message") is not None else body.get("Message")
    error_code = _load_rest_json_error_code(response.headers, body)
    metadata = _metadata_from_response(response.status, response.headers)
    exception: BedrockRuntimeServiceException
    if error_code in _MODELED_ERRORS:
        exception = _modeled_exception(error_code, body, metadata)
    else:
        parsed = body if isinstance(body, dict) else {}
        name = parsed.get("code") or parsed.get("Code") or error_code or str(response.status) or "UnknownError"
        exception = BedrockRuntimeServiceException("", name=name, metadata=metadata)
        exception.fault = "client"
        exception = _decorate_service_exception(exception, parsed)
    exception.response = response
    return exception


def _modeled_exception(error_code: str, body: Any, metadata: dict[str, Any]) -> BedrockRuntimeServiceException:
    """``de_<Name>ExceptionRes``: the members the model takes, then ``decorateServiceException``."""
    cls, members = _MODELED_ERRORS[error_code]
    parsed = body if isinstance(body, dict) else {}
    contents = _take(
        parsed,
        {
            member: _expect_string if member in ("message", "originalMessage", "resourceName") else None
            for member in members
        },
    )
    exception = cls(contents.pop("message", "") or "", name=error_code, metadata=metadata, **contents)
    return _decorate_service_exception(exception, parsed)


def _deserialization_error(error: JSError, response: _Response) -> JSError:
    """middleware-serde: a non-service error gains the hint and ``$metadata`` from the headers."""
    if getattr(error, "metadata", None) is None:
        error.message += (
            "\n  Deserialization error: to see the raw response, inspect the hidden field "
            "{error}.$response on this object."
        )
        error.args = (error.message,)

        def find(pattern: str) -> str | None:
            return next((v for k, v in response.headers.items() if re.match(pattern, k)), None)

        metadata: dict[str, Any] = {"httpStatusCode": response.status}
        for key, pattern in (
            ("requestId", r"^x-[\w-]+-request-?id$"),
            ("extendedRequestId", r"^x-[\w-]+-id-2$"),
            ("cfId", r"^x-[\w-]+-cf-id$"),
        ):
            value = find(pattern)
            if value is not None:
                metadata[key] = value
        setattr(error, "metadata", metadata)
        setattr(error, "response", response)
    return error


# ---------------------------------------------------------------------------------------------
# Event stream: getChunkedStream + EventStreamCodec (botocore EventStreamBuffer) + unmarshaller
# ---------------------------------------------------------------------------------------------


_UINT32 = struct.Struct(">I")


class EventMessageChunker:
    """``getChunkedStream``: cut the body into whole messages by their 4-byte length prefix.

    A message is only decoded once all of its bytes arrived; a body ending inside a message is
    ``Truncated event message received.``, one ending inside a length prefix simply ends.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length = 0  # the current message's total length once its prefix is complete

    def feed(self, data: bytes) -> list[bytes]:
        """The messages completed by ``data`` (cut in one pass; the rest kept once)."""
        buffer = self._buffer
        buffer += data
        messages: list[bytes] = []
        start = 0
        end = len(buffer)
        try:
            while True:
                if not self._length:
                    if end - start < 4:
                        return messages
                    self._length = _UINT32.unpack_from(buffer, start)[0]
                    if self._length < 4:
                        raise _JSRangeError("Offset is outside the bounds of the DataView")
                stop = start + self._length
                if end < stop:
                    return messages
                messages.append(bytes(buffer[start:stop]))
                start = stop
                self._length = 0
        finally:
            del buffer[:start]

    def end(self) -> None:
        """The body ended: an incomplete message is an error."""
        if self._length:
            raise JSError("Truncated event message received.")


@dataclass(slots=True)
class EventMessage:
    """A decoded event-stream message: header values (strings, ints, bytes …) and payload."""

    headers: dict[str, Any]
    body: bytes


_EVENT_STREAM_PRELUDE = struct.Struct(">III")
_MAX_HEADERS_LENGTH = 128 * 1024  # botocore's limits: a message beyond them is its error to raise
_MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
_STRING_HEADER_TYPE = 7
# Header sections already read: a stream repeats a handful (one per event type) thousands of times.
_HEADERS_SEEN: dict[bytes, dict[str, Any]] = {}
_HEADERS_SEEN_MAX = 64


def decode_message(frame: bytes) -> EventMessage:
    """``EventStreamCodec.decode`` (``splitMessage`` + header parsing) of one whole message.

    A well-formed message whose headers are all strings (every message Bedrock sends) is read
    here, both CRCs checked; anything else goes to botocore's ``EventStreamBuffer``, which parses
    it the same way and raises what is wrong, reported with the JavaScript codec's wording and
    numbers.
    """
    if len(frame) < 16:
        raise JSError("Provided message too short to accommodate event stream message overhead")
    total, headers_length, prelude_crc = _EVENT_STREAM_PRELUDE.unpack_from(frame)
    headers_end = 12 + headers_length
    if (
        total == len(frame)
        and headers_end <= total - 4
        and headers_length <= _MAX_HEADERS_LENGTH
        and total - 16 - headers_length <= _MAX_PAYLOAD_LENGTH
        and zlib.crc32(frame[:8]) == prelude_crc
        and zlib.crc32(frame[:-4]) == _UINT32.unpack_from(frame, total - 4)[0]
    ):
        raw_headers = frame[12:headers_end]
        headers = _HEADERS_SEEN.get(raw_headers)
        if headers is None:
            headers = _string_headers(frame, headers_end)
            if headers is not None and len(_HEADERS_SEEN) < _HEADERS_SEEN_MAX:
                _HEADERS_SEEN[raw_headers] = headers
        if headers is not None:
            return EventMessage(dict(headers), frame[headers_end:-4])
    return _decode_message_botocore(frame)


def _string_headers(frame: bytes, end: int) -> dict[str, Any] | None:
    """The headers ``frame[12:end]`` when each is a string, complete, valid UTF-8 and named once;
    otherwise ``None``."""
    headers: dict[str, Any] = {}
    at = 12
    try:
        while at < end:
            name_end = at + 1 + frame[at]
            value_at = name_end + 3
            if value_at > end or frame[name_end] != _STRING_HEADER_TYPE:
                return None
            value_end = value_at + int.from_bytes(frame[name_end + 1 : value_at], "big")
            if value_end > end:
                return None
            name = frame[at + 1 : name_end].decode("utf-8")
            if name in headers:
                return None
            headers[name] = frame[value_at:value_end].decode("utf-8")
            at = value_end
    except UnicodeDecodeError:
        return None
    return headers


def _decode_message_botocore(frame: bytes) -> EventMessage:
    """``decode_message`` through botocore's ``EventStreamBuffer``, for every other message."""
    from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    try:
        message = next(buffer)
    except ChecksumMismatch:
        raise _checksum_error(frame) from None
    except KeyError:
        raise JSError("Unrecognized header type tag") from None
    return EventMessage(headers=message.headers, body=message.payload)


def _checksum_error(frame: bytes) -> JSError:
    expected_prelude = int.from_bytes(frame[8:12], "big")
    prelude = zlib.crc32(frame[:8])
    if expected_prelude != prelude:
        return JSError(
            f"The prelude checksum specified in the message ({expected_prelude}) does not match "
            f"the calculated CRC32 checksum ({prelude})"
        )
    expected = int.from_bytes(frame[-4:], "big")
    calculated = zlib.crc32(frame[:-4])
    return JSError(f"The message checksum ({calculated}) did not match the expected value of {expected}")


def _de_content_block_delta(value: Any) -> dict[str, Any]:
    """``de_ContentBlockDelta``."""
    delta = _aws_expect_union(value)
    text = delta.get("text")
    if isinstance(text, str):
        return {"text": text}  # the usual member (only one is set: citation and the rest are not)
    if delta.get("citation") is not None:
        return {"citation": _json(delta["citation"])}
    if delta.get("reasoningContent") is not None:
        reasoning = _aws_expect_union(delta["reasoningContent"])
        if reasoning.get("redactedContent") is not None:
            return {"reasoningContent": {"redactedContent": _from_base64(reasoning["redactedContent"])}}
        for member in ("signature", "text"):
            text = _expect_string(reasoning.get(member))
            if text is not None:
                return {"reasoningContent": {member: text}}
        return {"reasoningContent": {"$unknown": next(iter(reasoning.items()))}}
    text = _expect_string(delta.get("text"))
    if text is not None:
        return {"text": text}
    for member in ("toolResult", "toolUse"):
        if delta.get(member) is not None:
            return {member: _json(delta[member])}
    return {"$unknown": next(iter(delta.items()))}


# de_ContentBlockDeltaEvent's `take` instructions, built once (they run per streamed delta)
_CONTENT_BLOCK_DELTA_EVENT: dict[str, Callable[[Any], Any] | None] = {
    "contentBlockIndex": None,
    "delta": _de_content_block_delta,
}

_EVENT_DESERIALIZERS: dict[str, Callable[[Any], Any]] = {
    "messageStart": _json,
    "contentBlockStart": _json,
    "contentBlockDelta": lambda data: _take(data, _CONTENT_BLOCK_DELTA_EVENT),
    "contentBlockStop": _json,
    "messageStop": lambda data: _take(data, {"additionalModelResponseFields": None, "stopReason": _expect_string}),
    "metadata": lambda data: _take(
        data,
        {
            "metrics": _json,
            "performanceConfig": _json,
            "trace": lambda t: _take(t, {"guardrail": None, "promptRouter": _json}),
            "usage": _json,
        },
    ),
}


def unmarshal_event(message: EventMessage) -> dict[str, Any] | None:
    """``getMessageUnmarshaller`` with ``de_ConverseStreamOutput``: an event dict, ``None`` for an
    unknown event, or the exception an ``exception``/``error`` message carries (raised)."""
    if ":message-type" not in message.headers:
        raise JSTypeError(
            "Cannot destructure property 'value' of 'message.headers[\":message-type\"]' as it is undefined."
        )
    message_type = _header(message, ":message-type")
    if message_type == "error":
        raise JSError(_header(message, ":error-message") or "UnknownError", name=_header(message, ":error-code"))
    if message_type == "exception":
        code = _header(message, ":exception-type")
        if code in _STREAM_EXCEPTIONS:
            body = _parse_json_body(message.body)
            raise _modeled_exception(_STREAM_EXCEPTIONS[code], body, _metadata_from_response(None, {}))
        raise JSError(message.body.decode("utf-8", "replace"), name=code)
    if message_type == "event":
        event_type = _header(message, ":event-type")
        deserialize = _EVENT_DESERIALIZERS.get(event_type)
        if deserialize is None:
            return None
        return {event_type: deserialize(_parse_json_body(message.body))}
    raise JSError(f"Unrecognizable event type: {_header(message, ':event-type')}")


def _header(message: EventMessage, name: str) -> Any:
    """``message.headers[name].value``."""
    if name not in message.headers:
        raise JSTypeError("Cannot read properties of undefined (reading 'value')")
    value = message.headers[name]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


async def iterate_events(response: aiohttp.ClientResponse) -> AsyncGenerator[dict[str, Any], None]:
    """The ``stream`` of a ConverseStream response: decoded events, in order.

    As with the reference's HTTP/2 stream, a connection lost mid-body ends the body there. The
    response is released when the iteration ends, fails or is closed.
    """
    chunker = EventMessageChunker()
    try:
        while True:
            try:
                data = await response.content.readany()
            except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionResetError):
                data = b""
            if not data:
                chunker.end()
                return
            for frame in chunker.feed(data):
                event = unmarshal_event(decode_message(frame))
                if event is not None:
                    yield event
    finally:
        response.release()


# ---------------------------------------------------------------------------------------------
# Signing: AwsSdkSigV4Signer (botocore SigV4Auth) and HttpBearerAuthSigner
# ---------------------------------------------------------------------------------------------


def _sign_sigv4(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    signing_date: float,
) -> dict[str, str]:
    """Sign with SigV4 (service ``bedrock``) at ``signing_date`` (epoch seconds).

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
    signer = SigV4Auth(boto_credentials, SIGNING_NAME, region)
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


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------


@dataclass
class ConverseStreamOutput:
    """``ConverseStreamCommandOutput``: ``$metadata`` and the event ``stream``.

    ``aclose()`` releases the connection whether or not the stream was iterated.
    """

    metadata: dict[str, Any]
    stream: AsyncGenerator[dict[str, Any], None]
    raw: aiohttp.ClientResponse

    async def aclose(self) -> None:
        await self.stream.aclose()
        self.raw.release()


class BedrockRuntimeClient:
    """``new BedrockRuntimeClient(config)`` and its ``send`` for Converse / ConverseStream.

    ``config`` keys as in ``BedrockRuntimeClientConfig``: ``region``, ``endpoint``,
    ``userAgentAppId``, ``credentials`` (an identity dict or a provider such as ``from_ini(…)``),
    ``token`` (``{"token": …}``), ``authSchemePreference``. Without credentials the default chain
    (env, shared files, container/IMDS) resolves them on first use; the identity is memoized.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        region = config.get("region")
        if region is not None and not region:
            raise JSError("Region is missing")
        self._region: str | None = region
        self._endpoint: str | None = config.get("endpoint")
        self._app_id: str | None = config.get("userAgentAppId") or os.environ.get("AWS_SDK_UA_APP_ID")
        self._credentials: Any = config.get("credentials")
        self._token: Mapping[str, Any] | None = config.get("token")
        self._auth_scheme_preference: list[str] = list(config.get("authSchemePreference") or _env_auth_preference())
        self._identity: Credentials | None = None
        self._retry_strategy = StandardRetryStrategy()
        self.system_clock_offset = 0.0

    async def converse_stream(self, input: Mapping[str, Any]) -> ConverseStreamOutput:
        """``client.send(new ConverseStreamCommand(input))``."""
        response, metadata = await self._send("converse-stream", input)
        return ConverseStreamOutput(metadata=metadata, stream=iterate_events(response.raw), raw=response.raw)

    async def converse(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """``client.send(new ConverseCommand(input))``: the deserialized output."""
        response, metadata = await self._send("converse", input)
        body = await _read_body(response.raw)
        try:
            data = _parse_json_body(body)
        except JSSyntaxError as error:
            raise _deserialization_error(error, response) from None
        output: dict[str, Any] = {"$metadata": metadata}
        if not isinstance(data, dict):
            raise JSTypeError(f"Expected object, got {_js_typeof(data)}: {jsonjs.js_string(data)}")
        output.update(
            _take(
                data,
                {
                    "additionalModelResponseFields": None,
                    "metrics": _json,
                    "output": lambda o: _de_converse_output(_aws_expect_union(o)),
                    "performanceConfig": _json,
                    "stopReason": _expect_string,
                    "trace": None,
                    "usage": _json,
                },
            )
        )
        return output

    # -- the middleware stack ------------------------------------------------------------------

    async def _send(self, operation: str, input: Mapping[str, Any]) -> tuple[_Response, dict[str, Any]]:
        region = self._resolve_region()
        real_region = check_region(region)
        scheme, identity, source = await self._select_auth()
        base_url = resolve_endpoint(region, self._endpoint)
        url, host = _request_url(base_url, model_path(input.get("modelId"), operation))
        body = serialize_converse_input(input)
        features = {"ENDPOINT_OVERRIDE": "N"} if self._endpoint else {}
        features["RETRY_MODE_STANDARD"] = "E"
        if identity.get("accountId"):
            features["RESOLVED_ACCOUNT_ID"] = "T"
        features.update(source)
        x_amz_user_agent, user_agent = user_agent_headers(features, self._app_id)
        headers = {
            "host": host,
            "content-type": "application/json",
            "content-length": str(len(body)),
            "x-amz-user-agent": x_amz_user_agent,
            "user-agent": user_agent,
            "amz-sdk-invocation-id": str(uuid.uuid4()),
        }
        return await self._retry_loop(url, headers, body, scheme, identity, real_region)

    async def _retry_loop(
        self, url: str, headers: dict[str, str], body: bytes, scheme: str, identity: Credentials, region: str
    ) -> tuple[_Response, dict[str, Any]]:
        """``retryMiddleware`` (standard strategy) around signing, sending and deserializing."""
        strategy = self._retry_strategy
        token = strategy.acquire_initial_retry_token()
        attempts = 0
        total_retry_delay: float = 0
        while True:
            headers["amz-sdk-request"] = f"attempt={attempts + 1}; max={strategy.max_attempts}"
            try:
                response = await self._attempt(url, headers, body, scheme, identity, region)
                strategy.record_success(token)
                output_metadata = _metadata_from_response(response.status, response.headers)
                output_metadata.update(attempts=attempts + 1, totalRetryDelay=total_retry_delay)
                return response, output_metadata
            except JSError as error:
                try:
                    token = strategy.refresh_retry_token_for_retry(
                        token, get_retry_error_type(error), _retry_after_hint_ms(error)
                    )
                except NoRetryTokenAvailable:
                    metadata = getattr(error, "metadata", None)
                    if metadata is None:
                        metadata = {}
                        setattr(error, "metadata", metadata)
                    metadata["attempts"] = attempts + 1
                    metadata["totalRetryDelay"] = total_retry_delay
                    raise error from None
                attempts = token.retry_count
                delay = token.get_retry_delay()
                total_retry_delay += delay
                await asyncio.sleep(delay / 1000)

    async def _attempt(
        self, url: str, headers: dict[str, str], body: bytes, scheme: str, identity: Credentials, region: str
    ) -> _Response:
        """One attempt: sign (httpSigningMiddleware), send, deserialize an error status."""
        if scheme == "sigv4":
            signing_date = time.time() + self.system_clock_offset / 1000
            request_headers = _sign_sigv4("POST", url, headers, body, identity, region, signing_date)
        else:
            if not identity.get("token"):
                raise JSError("request could not be signed with `token` since the `token` is not defined")
            request_headers = {**headers, "authorization": f"Bearer {identity['token']}"}
        parts = urlsplit(url)
        try:
            raw = await transport.request("POST", url, headers=request_headers, body=body)
        except (aiohttp.ClientError, OSError) as connection_error:
            raise _connection_error(connection_error, parts.hostname or "") from None
        response = _Response(
            status=raw.status,
            headers={key.lower(): value for key, value in raw.headers.items()},
            raw=raw,
        )
        if response.status != 200 and response.status >= 300:
            data = await _read_body(raw)
            failure: JSError
            try:
                failure = _de_command_error(response, _parse_json_body(data))
            except JSSyntaxError as syntax_error:
                failure = _deserialization_error(syntax_error, response)
            if scheme == "sigv4":
                self._correct_clock_skew(failure)
            raise failure
        if scheme == "sigv4":
            date = response.headers.get("date")
            if date:
                self.system_clock_offset = _updated_clock_offset(date, self.system_clock_offset)
        return response

    def _correct_clock_skew(self, error: JSError) -> None:
        """``AwsSdkSigV4Signer.errorHandler``: a server clock ≥ 5 min away moves the signing clock."""
        response: _Response | None = getattr(error, "response", None)
        server_time = getattr(error, "ServerTime", None) or (response.headers.get("date") if response else None)
        if not server_time:
            return
        before = self.system_clock_offset
        self.system_clock_offset = _updated_clock_offset(server_time, before)
        metadata = getattr(error, "metadata", None)
        if self.system_clock_offset != before and metadata is not None:
            metadata["clockSkewCorrected"] = True

    def _resolve_region(self) -> str:
        """The ``region`` provider: the configured region, else ``AWS_REGION``, else the profile's."""
        region = self._region or os.environ.get("AWS_REGION")
        if not region:
            profile = parse_known_files().get(os.environ.get("AWS_PROFILE") or "default", {})
            region = profile.get("region")
        if not region:
            raise JSError("Region is missing")
        return str(region)

    async def _select_auth(self) -> tuple[str, Credentials, dict[str, str]]:
        """``httpAuthSchemeMiddleware``: the preferred scheme and its (memoized) identity."""
        candidates = ["sigv4", "httpBearerAuth"]
        ordered = [s for p in self._auth_scheme_preference for s in candidates if s == p]
        ordered += [s for s in candidates if s not in ordered]
        if ordered[0] == "httpBearerAuth":
            token = self._token or _token_from_env()
            return "httpBearerAuth", dict(token), dict(token.get("$source", {}))
        if self._identity is None:
            self._identity = await self._resolve_credentials()
        return "sigv4", self._identity, dict(self._identity.get("$source", {}))

    async def _resolve_credentials(self) -> Credentials:
        if self._credentials is None:
            return await asyncio.to_thread(default_provider)
        if callable(self._credentials):
            result = await asyncio.to_thread(self._credentials)
            if asyncio.iscoroutine(result):
                result = await result
            credentials: Credentials = dict(result)
        else:
            credentials = dict(self._credentials)
        # Credentials the caller configured are attributed to code (``CREDENTIALS_CODE``).
        credentials["$source"] = dict(credentials.get("$source", {}))
        return _set_credential_feature(credentials, "CREDENTIALS_CODE", "e")


def _env_auth_preference() -> list[str]:
    """``NODE_AUTH_SCHEME_PREFERENCE_OPTIONS`` from the environment (the config file is not read)."""
    if "AWS_BEARER_TOKEN_BEDROCK" in os.environ:
        return ["httpBearerAuth"]
    value = os.environ.get("AWS_AUTH_SCHEME_PREFERENCE")
    return [item.strip() for item in value.split(",")] if value else []


def _token_from_env() -> dict[str, Any]:
    """``fromEnvSigningName({signingName: "bedrock"})``."""
    token = os.environ.get("AWS_BEARER_TOKEN_BEDROCK")
    if token is None:
        raise JSError("Token not present in 'AWS_BEARER_TOKEN_BEDROCK' environment variable", name="TokenProviderError")
    return {"token": token, "$source": {"BEARER_SERVICE_ENV_VARS": "3"}}


def _request_url(base_url: str, path: str) -> tuple[str, str]:
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


def _updated_clock_offset(server_time: str, current_offset: float) -> float:
    """``getUpdatedSystemClockOffset``: the new offset in ms when the clocks are ≥ 5 min apart."""
    try:
        clock_ms = email.utils.parsedate_to_datetime(server_time).timestamp() * 1000
    except (TypeError, ValueError, IndexError):
        return current_offset
    now_ms = time.time() * 1000
    if abs(now_ms + current_offset - clock_ms) >= 300000:
        return clock_ms - now_ms
    return current_offset


def _de_converse_output(output: Mapping[str, Any]) -> dict[str, Any]:
    """``de_ConverseOutput``: the message and its content blocks."""
    if output.get("message") is not None:
        message = output["message"]
        return {
            "message": _take(
                message,
                {
                    "content": lambda blocks: [
                        _de_content_block(_aws_expect_union(block)) for block in blocks if block is not None
                    ],
                    "role": _expect_string,
                },
            )
        }
    return {"$unknown": next(iter(output.items()))}


def _de_content_block(block: Mapping[str, Any]) -> dict[str, Any]:
    """``de_ContentBlock``: text as a string, other members as sent."""
    for member in ("cachePoint", "citationsContent", "document", "guardContent", "image", "reasoningContent"):
        if block.get(member) is not None:
            return {member: block[member]}
    text = _expect_string(block.get("text"))
    if text is not None:
        return {"text": text}
    for member in ("toolResult", "toolUse", "video"):
        if block.get(member) is not None:
            return {member: block[member]}
    return {"$unknown": next(iter(block.items()))}
