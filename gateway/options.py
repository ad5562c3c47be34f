"""Per-call sampling options for the gateway's callers (strategies, later the router).

The port's handlers take their temperature and output limit from the settings they were built
with (the reference's ``modelTemperature`` and ``modelMaxTokens``; the OpenAI-compatible handler
sends ``max_completion_tokens`` only when ``includeMaxTokens`` is true, ``openai.ts``
``addMaxTokensIfNeeded``). ``with_options`` therefore builds a handler from a copy of those
settings; the handlers themselves stay the reference's.
"""

from __future__ import annotations

from typing import Any

import providers
from providers.sdk.retries import NoSdkRetriesHandler


def settings_with(settings: dict[str, Any], temperature: float | None, max_tokens: int | None) -> dict[str, Any]:
    """A copy of ``settings`` that samples at ``temperature`` and stops at ``max_tokens``."""
    copy = dict(settings)
    if temperature is not None:
        copy["modelTemperature"] = temperature
    if max_tokens is not None:
        copy["modelMaxTokens"] = max_tokens
        copy["includeMaxTokens"] = True
    return copy


def with_options(target: Any, temperature: float | None = None, max_tokens: int | None = None) -> Any:
    """Something with ``create_message`` that calls ``target`` at these options.

    ``target`` is a settings dict (``apiProvider`` …), an object with its own ``with_options``
    (a router), or a handler built by ``providers.build_api_handler`` (rebuilt from a copy of
    its ``options``; one built with a limiter keeps that limiter, one built with
    ``sdk_retries=False`` keeps its SDK retries off). With neither option set,
    ``target`` itself (or its handler) is returned.
    """
    if isinstance(target, dict):
        return providers.build_api_handler(settings_with(target, temperature, max_tokens))
    if isinstance(target, NoSdkRetriesHandler):  # built with sdk_retries=False: stays so
        derived = with_options(target.wrapped, temperature, max_tokens)
        return target if derived is target.wrapped else NoSdkRetriesHandler(derived)
    if hasattr(target, "with_options"):
        return target.with_options(temperature=temperature, max_tokens=max_tokens)
    if temperature is None and max_tokens is None:
        return target
    limiter = getattr(target, "limiter", None)
    handler = target._handler if limiter is not None else target  # a providers.ratelimit.LimitedHandler
    options = getattr(handler, "options", None)
    if not isinstance(options, dict):
        raise TypeError(f"{type(target).__name__} has no settings to derive per-call options from")
    derived = type(handler)(settings_with(options, temperature, max_tokens))
    if limiter is None:
        return derived
    from providers.ratelimit import LimitedHandler

    return LimitedHandler(derived, limiter)
