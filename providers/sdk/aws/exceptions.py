"""The Bedrock Runtime exception classes and smithy's service-exception decoration.

Mirrors @aws-sdk/client-bedrock-runtime 3.922.0 (``dist-cjs/index.js``: ``BedrockRuntimeServiceException``
and the modeled exceptions of ``models_0``) and @smithy/smithy-client 4.9.2
(``dist-cjs/index.js``: ``ServiceException``, ``decorateServiceException``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...js.errors import JSError

if TYPE_CHECKING:
    from .http_handler import HttpResponse


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
        self.response: HttpResponse | None = None


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
MODELED_ERRORS: dict[str, tuple[type[BedrockRuntimeServiceException], tuple[str, ...]]] = {
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


def decorate_service_exception(
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
