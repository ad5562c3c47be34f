"""The LLM manager (ours): conversations that persist, a function-calling loop, streaming, a
response cache, typed errors, events, provider status and analytics, on the router and ledger.
Modules: ``manager`` (``LLMManager``), ``config``, ``tools`` (registry, call assembly and
execution), ``cache``, ``conversations`` with ``conversation_store`` and ``context``."""

from .cache import ResponseCache
from .config import ConversationConfig, FunctionCallingConfig, LLMConfig, ProviderConfig
from .conversations import ConversationManager, ConversationNotFound
from .manager import LLMManager, LLMResponse, LLMStreamChunk, Usage
from .tools import FunctionCall, Tool, ToolRegistry

__all__ = [
    "ConversationConfig",
    "ConversationManager",
    "ConversationNotFound",
    "FunctionCall",
    "FunctionCallingConfig",
    "LLMConfig",
    "LLMManager",
    "LLMResponse",
    "LLMStreamChunk",
    "ProviderConfig",
    "ResponseCache",
    "Tool",
    "ToolRegistry",
    "Usage",
]
