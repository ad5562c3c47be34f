"""The SDK layers' own retries, switched off for a caller that retries itself (ours, opt-in).

Not in the reference: the SDKs behind it retry on their own (openai-node and the Anthropic SDK
``maxRetries`` 2, the AWS SDK's standard strategy 3 attempts, gaxios 3 retries of a Google token
request). A caller that retries and fails over itself (``gateway.router``) would multiply those
attempts, so ``build_api_handler(settings, sdk_retries=False)`` wraps the handler in
``NoSdkRetriesHandler``: while one of its calls runs, ``enabled`` is ``False`` and each SDK retry
loop takes a maximum of one attempt (``stainless.StainlessClient.make_request``,
``aws.client.BedrockRuntimeClient.send``, ``gaxios.request`` read it where they take
their maximum). Everything else a request does is unchanged; without the keyword nothing is.
"""

from __future__ import annotations

import contextvars
from typing import Any, AsyncIterator

enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("provider_port_sdk_retries", default=True)
"""Whether the SDK layers retry in the handler call in progress (``False`` inside the calls of a
``NoSdkRetriesHandler``, set around each of its steps as ``ratelimit.LimitedHandler`` does)."""


class NoSdkRetriesHandler:
    """A handler whose calls run with the SDK retries off; everything else is the wrapped one's."""

    def __init__(self, handler: Any) -> None:
        self.wrapped = handler

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    async def create_message(self, *args: Any, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        stream = self.wrapped.create_message(*args, **kwargs)
        step, set_enabled, reset_enabled = stream.__anext__, enabled.set, enabled.reset
        try:
            while True:
                # off while the wrapped stream runs, not between chunks (the caller's own code)
                token = set_enabled(False)
                try:
                    chunk = await step()
                except StopAsyncIteration:
                    return
                finally:
                    reset_enabled(token)
                yield chunk
        finally:
            await stream.aclose()

    async def complete_prompt(self, prompt: str) -> str:
        token = enabled.set(False)
        try:
            text: str = await self.wrapped.complete_prompt(prompt)
            return text
        finally:
            enabled.reset(token)
