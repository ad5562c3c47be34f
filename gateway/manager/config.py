"""The LLM manager's configuration (ours), with the brief's names and defaults: ``LLMConfig``
with its providers (``ProviderConfig``), the conversations' ``ConversationConfig`` and
``FunctionCallingConfig``.

A ``ProviderConfig`` becomes the reference's ``ProviderSettings`` through
``gateway.settings.settings_for`` (the one mapping of provider names to settings) and a router
with that one deployment: ``max_retries`` and ``timeout`` are the router's (``timeout`` bounds the
wait for the first chunk and for each next one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..options import settings_with
from ..settings import PROVIDERS, settings_for
from .conversations import ConversationConfig

__all__ = ["ProviderConfig", "FunctionCallingConfig", "LLMConfig", "ConversationConfig"]


@dataclass
class ProviderConfig:
    """One provider: ``provider`` is one of ``gateway.settings.PROVIDERS``; ``api_key`` and
    ``api_base`` win over the environment variables the official SDKs read."""

    provider: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    api_base: str | None = None
    temperature: float = 0.7
    max_tokens: int | None = None
    timeout: float = 120.0
    max_retries: int = 3

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown provider {self.provider!r}; expected one of {', '.join(PROVIDERS)}")

    def settings(self) -> dict[str, Any]:
        """The ``ProviderSettings`` of this provider at its temperature and output limit."""
        settings = settings_for(self.provider, self.model, api_key=self.api_key, base_url=self.api_base)
        return settings_with(settings, self.temperature, self.max_tokens)

    def router_options(self) -> dict[str, Any]:
        """``Router`` keyword arguments: its retries and per-chunk timeout."""
        return {"max_retries": self.max_retries, "timeout_s": self.timeout}


@dataclass
class FunctionCallingConfig:
    enabled: bool = True
    max_function_calls_per_turn: int = 5
    auto_execute: bool = True
    parallel_execution: bool = True
    timeout_seconds: float = 30.0


@dataclass
class LLMConfig:
    """``database_url`` (``sqlite:////abs.db``, ``postgresql://…``) holds the ledger, the
    conversations and the cache table, opened once by the manager; None: what
    ``gateway.ledger.Ledger()`` opens (``$GATEWAY_DB``, else
    ``usage.db`` in the user's data directory). ``default_provider`` None: the first provider."""

    providers: dict[str, ProviderConfig]
    default_provider: str | None = None
    database_url: str | None = None
    enable_caching: bool = False
    cache_ttl_seconds: float = 3600
    cache_in_database: bool = False  # also a response_cache table in database_url (shared, survives restarts)
    conversation: ConversationConfig = field(default_factory=ConversationConfig)
    function_calling: FunctionCallingConfig = field(default_factory=FunctionCallingConfig)

    def __post_init__(self) -> None:
        if not self.providers:
            raise ValueError("LLMConfig needs at least one provider")
        if self.default_provider is None:
            self.default_provider = next(iter(self.providers))
        elif self.default_provider not in self.providers:
            raise ValueError(
                f"default_provider {self.default_provider!r} is not among the providers ({', '.join(self.providers)})"
            )
