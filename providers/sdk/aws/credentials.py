"""AWS credentials: the providers ``bedrock.ts`` configures and the SDK's default chain.

Mirrors @aws-sdk/credential-provider-ini 3.922.0 (``fromIni``, ``resolveProfileData``,
``resolveStaticCredentials``), @aws-sdk/credential-provider-env 3.922.0 (``fromEnv``),
@aws-sdk/credential-provider-node 3.922.0 (``defaultProvider``, ``remoteProvider``),
@smithy/property-provider (``CredentialsProviderError``), @aws-sdk/core 3.922.0
(``setCredentialFeature``) and @aws-sdk/token-providers (``fromEnvSigningName``). Role assumption,
web identity, SSO, ``credential_process``, container and instance credentials are fetched by botocore.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeGuard

from ..errors import JSError
from .shared_ini import parse_known_files


Credentials = dict[str, Any]
"""An AWS credential identity: ``accessKeyId``, ``secretAccessKey``, optional ``sessionToken``,
``credentialScope``, ``accountId``, and ``$source`` (the user-agent
feature ids of the providers that produced it, in the order they were set)."""

CredentialProvider = Callable[[], Credentials | Awaitable[Credentials]]


class CredentialsProviderError(JSError):
    """@smithy/property-provider ``CredentialsProviderError`` (``tryNextLink`` defaults to true)."""

    js_constructor = "CredentialsProviderError"

    def __init__(self, message: str, *, try_next_link: bool = True) -> None:
        super().__init__(message)
        self.try_next_link = try_next_link


def set_credential_feature(credentials: Credentials, feature: str, value: str) -> Credentials:
    """``setCredentialFeature``."""
    credentials.setdefault("$source", {})[feature] = value
    return credentials


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
        return set_credential_feature(_botocore_identity(profile), "CREDENTIALS_PROFILE_SOURCE_PROFILE", "o")
    if _is_static_creds_profile(data):
        return _static_profile_credentials(data)
    if _is_web_identity_profile(data):
        return set_credential_feature(_botocore_identity(profile), "CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN", "q")
    if isinstance(data, dict) and isinstance(data.get("credential_process"), str):
        return set_credential_feature(_botocore_identity(profile), "CREDENTIALS_PROFILE_PROCESS", "v")
    if _is_sso_profile(data):
        assert data is not None
        feature = (
            ("CREDENTIALS_PROFILE_SSO", "r") if data.get("sso_session") else ("CREDENTIALS_PROFILE_SSO_LEGACY", "t")
        )
        return set_credential_feature(_botocore_identity(profile), *feature)
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
    return set_credential_feature(credentials, "CREDENTIALS_PROFILE", "n")


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
    return set_credential_feature(credentials, "CREDENTIALS_ENV_VARS", "g")


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
    return set_credential_feature(_frozen(credentials), *feature)


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


def token_from_env() -> dict[str, Any]:
    """``fromEnvSigningName({signingName: "bedrock"})``."""
    token = os.environ.get("AWS_BEARER_TOKEN_BEDROCK")
    if token is None:
        raise JSError("Token not present in 'AWS_BEARER_TOKEN_BEDROCK' environment variable", name="TokenProviderError")
    return {"token": token, "$source": {"BEARER_SERVICE_ENV_VARS": "3"}}
