"""The AWS SDK for JavaScript v3 as ``bedrock.ts`` runs it: ``BedrockRuntimeClient.send`` for the
``ConverseStream`` and ``Converse`` commands, split along the npm packages it re-implements.

- ``client``: @aws-sdk/client-bedrock-runtime 3.922.0 (the client and its middleware stack)
- ``config``: @smithy/config-resolver 4.4.2, the client's endpoint ruleset, @aws-sdk/util-endpoints,
  and the settings the runtime config loads (endpoint URLs, FIPS, dual-stack, retries, auth schemes)
- ``shared_ini``: @smithy/shared-ini-file-loader and node-config-provider's ``loadConfig``
- ``credentials``: @aws-sdk/credential-provider-ini / -env / -node / -process / -http / -web-identity
  3.922.0, with @smithy/core's ``memoizeIdentityProvider`` (identities that expire are fetched again)
- ``sts``: the nested STS client's ``AssumeRole`` / ``AssumeRoleWithWebIdentity`` (@aws-sdk/nested-clients)
- ``imds``: @smithy/credential-provider-imds 4.2.4 ``fromInstanceMetadata``
- ``sso``: @aws-sdk/credential-provider-sso and token-providers 3.922.0 (portal and OIDC calls)
- ``signing``: @aws-sdk/core 3.922.0 ``AwsSdkSigV4Signer`` with @smithy/signature-v4 5.3.4
- ``user_agent``: @aws-sdk/middleware-user-agent and util-user-agent-node 3.922.0
- ``retry``: @smithy/util-retry 4.2.4 (standard and adaptive), service-error-classification 4.2.4,
  middleware-retry 4.4.6
- ``http_handler``: @smithy/node-http-handler 4.4.4 (one attempt through ``providers.sdk.transport``)
- ``protocol``: the restJson1 serializers and deserializers (client-bedrock-runtime, smithy-client)
- ``eventstream``: @smithy/eventstream-serde-universal and eventstream-codec 4.2.4
- ``exceptions``: the Bedrock Runtime exception classes (smithy-client ``ServiceException``)

The wire pieces come from botocore: SigV4 signing (``SigV4Auth`` on an ``AWSRequest``), the
event-stream frame parser with its CRC checks (``EventStreamBuffer``; the common message, string
headers only, is read here on the hot path) and the shared config/credentials file parser; every
credential provider's request (STS, SSO, SSO OIDC, container and instance metadata) goes through
``providers.sdk.transport``. botocore is imported only when a request is signed, an unusual frame
decoded or the shared files read. The reference spoke HTTP/2;
this port speaks HTTP/1.1 through ``providers.sdk.transport`` and signs ``host`` where the reference
signed ``:authority``.
"""

from __future__ import annotations

from .client import BedrockRuntimeClient, ConverseStreamOutput
from .config import check_region, resolve_endpoint
from .credentials import (
    CredentialProvider,
    Credentials,
    CredentialsProviderError,
    default_provider,
    from_ini,
)
from .eventstream import EventMessage, EventMessageChunker, decode_message, iterate_events, unmarshal_event
from .exceptions import (
    AccessDeniedException,
    BedrockRuntimeServiceException,
    ConflictException,
    InternalServerException,
    ModelErrorException,
    ModelNotReadyException,
    ModelStreamErrorException,
    ModelTimeoutException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ServiceUnavailableException,
    ThrottlingException,
    ValidationException,
)
from .protocol import model_path, serialize_converse_input
from .retry import NoRetryTokenAvailable, RetryToken, StandardRetryStrategy, get_retry_error_type
from .shared_ini import parse_known_files
from .signing import sign_sigv4
from .user_agent import SDK_VERSION, user_agent_headers

__all__ = [
    "SDK_VERSION",
    "AccessDeniedException",
    "BedrockRuntimeClient",
    "BedrockRuntimeServiceException",
    "ConflictException",
    "ConverseStreamOutput",
    "CredentialProvider",
    "Credentials",
    "CredentialsProviderError",
    "EventMessage",
    "EventMessageChunker",
    "InternalServerException",
    "ModelErrorException",
    "ModelNotReadyException",
    "ModelStreamErrorException",
    "ModelTimeoutException",
    "NoRetryTokenAvailable",
    "ResourceNotFoundException",
    "RetryToken",
    "ServiceQuotaExceededException",
    "ServiceUnavailableException",
    "StandardRetryStrategy",
    "ThrottlingException",
    "ValidationException",
    "check_region",
    "decode_message",
    "default_provider",
    "from_ini",
    "get_retry_error_type",
    "iterate_events",
    "model_path",
    "parse_known_files",
    "resolve_endpoint",
    "serialize_converse_input",
    "sign_sigv4",
    "unmarshal_event",
    "user_agent_headers",
]
