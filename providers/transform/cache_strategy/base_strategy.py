"""Cache strategy base class: port of ``src/api/transform/cache-strategy/base-strategy.ts``
(Roo-Code @ cb83656).

Token counts are the reference's estimates (words · 1.3 + punctuation · 0.3 + newlines · 0.5 …),
computed with the same floating-point operations in the same order.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from typing import Any

from .types import CachePointPlacement, CacheResult, CacheStrategyConfig

# JavaScript's \s (ECMAScript WhiteSpace and LineTerminator), which differs from Python's.
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_WORD = re.compile(f"[^{_JS_WHITESPACE}]+")
_PUNCTUATION = re.compile(r"""[.,!?;:()\[\]{}"'`]""")


def _text_token_estimate(text: str) -> tuple[int, int, int]:
    """(words, punctuation marks, newlines) of ``text`` as the reference's regexes count them."""
    return len(_WORD.findall(text)), len(_PUNCTUATION.findall(text)), text.count("\n")


class CacheStrategy(ABC):
    """``CacheStrategy``: shared helpers of the cache-point strategies."""

    def __init__(self, config: CacheStrategyConfig) -> None:
        self.config = config
        self.system_token_count = 0
        self.initialize_message_groups()
        self.calculate_system_tokens()

    @abstractmethod
    def determine_optimal_cache_points(self) -> CacheResult:
        """Determine optimal cache point placements and return the formatted result."""

    def initialize_message_groups(self) -> None:
        """``initializeMessageGroups`` (nothing to prepare)."""

    def calculate_system_tokens(self) -> None:
        """``calculateSystemTokens``: estimate the system prompt's tokens."""
        text = self.config.get("systemPrompt")
        if text:
            words, punctuation, newlines = _text_token_estimate(text)
            # Average English word is ~1.3 tokens
            token_count = words * 1.3
            # Add overhead for punctuation and special characters
            token_count += punctuation * 0.3
            # Add overhead for newlines
            token_count += newlines * 0.5
            # Add a small overhead for system prompt structure
            token_count += 5
            self.system_token_count = math.ceil(token_count)

    def create_cache_point(self) -> dict[str, Any]:
        """``createCachePoint``."""
        return {"cachePoint": {"type": "default"}}

    def messages_to_content_blocks(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``messagesToContentBlocks``: messages as Converse messages (text blocks only)."""
        result = []
        for message in messages:
            role = "assistant" if message.get("role") == "assistant" else "user"
            content = message.get("content")
            if isinstance(content, list):
                blocks = [self._content_block(block) for block in content]
            else:
                blocks = [{"text": content}]
            result.append({"role": role, "content": blocks})
        return result

    @staticmethod
    def _content_block(block: Any) -> dict[str, Any]:
        if isinstance(block, str):
            return {"text": block}
        if "text" in block:
            return {"text": block["text"]}
        # Handle other content types if needed
        return {"text": "[Unsupported Content]"}

    def meets_min_token_threshold(self, token_count: int) -> bool:
        """``meetsMinTokenThreshold``."""
        min_tokens = self.config["modelInfo"]["minTokensPerCachePoint"]
        if not min_tokens:
            return False
        return token_count >= min_tokens

    def estimate_token_count(self, message: dict[str, Any]) -> int:
        """``estimateTokenCount``: a message's estimated tokens (images count 300)."""
        content = message.get("content")
        if content is None or content == "":
            return 0
        total_tokens: float = 0
        if isinstance(content, list):
            for block in content:
                block_type = block.get("type") if isinstance(block, dict) else None
                if block_type == "text":
                    text = block.get("text") or ""
                    if len(text) > 0:
                        words, punctuation, newlines = _text_token_estimate(text)
                        total_tokens += words * 1.3
                        total_tokens += punctuation * 0.3
                        total_tokens += newlines * 0.5
                elif block_type == "image":
                    total_tokens += 300
        elif isinstance(content, str):
            words, punctuation, newlines = _text_token_estimate(content)
            total_tokens += words * 1.3
            total_tokens += punctuation * 0.3
            total_tokens += newlines * 0.5
        # Add a small overhead for message structure
        total_tokens += 10
        return math.ceil(total_tokens)

    def apply_cache_points(
        self, messages: list[dict[str, Any]], placements: list[CachePointPlacement]
    ) -> list[dict[str, Any]]:
        """``applyCachePoints``: append a cache point to each placed message (in place)."""
        result = []
        for i, message in enumerate(messages):
            if any(p["index"] == i for p in placements):
                message["content"].append(self.create_cache_point())
            result.append(message)
        return result

    def format_result(self, system_blocks: list[dict[str, Any]] | None, messages: list[dict[str, Any]]) -> CacheResult:
        """``formatResult``."""
        return {"system": system_blocks if system_blocks is not None else [], "messages": messages}
