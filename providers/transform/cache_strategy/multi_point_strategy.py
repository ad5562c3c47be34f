"""Multi-point cache strategy: port of ``src/api/transform/cache-strategy/multi-point-strategy.ts``
(Roo-Code @ cb83656).

Places cache points after messages as soon as the uncached tokens reach the model's minimum, and
keeps earlier placements stable across the turns of a growing conversation.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .base_strategy import CacheStrategy
from .types import CachePointPlacement, CacheResult

logger = logging.getLogger(__name__)


class MultiPointStrategy(CacheStrategy):
    """``MultiPointStrategy``."""

    def determine_optimal_cache_points(self) -> CacheResult:
        """``determineOptimalCachePoints``."""
        # If prompt caching is disabled or no messages, return without cache points
        if not self.config["usePromptCache"] or len(self.config["messages"]) == 0:
            return self._format_without_cache_points()

        model_info = self.config["modelInfo"]
        supports_system_cache = "system" in model_info["cachableFields"]
        supports_message_cache = "messages" in model_info["cachableFields"]
        min_tokens_per_point = model_info["minTokensPerCachePoint"]
        remaining_cache_points = model_info["maxCachePoints"]

        system_prompt = self.config.get("systemPrompt")
        # First, determine if we'll use a system cache point
        use_system_cache = (
            supports_system_cache and bool(system_prompt) and self.meets_min_token_threshold(self.system_token_count)
        )

        # Handle system blocks
        system_blocks: list[dict[str, Any]] = []
        if system_prompt:
            system_blocks = [{"text": system_prompt}]
            if use_system_cache:
                system_blocks.append(self.create_cache_point())
                remaining_cache_points -= 1

        # If message caching isn't supported, return with just system caching
        if not supports_message_cache:
            return self.format_result(system_blocks, self.messages_to_content_blocks(self.config["messages"]))

        placements = self._determine_message_cache_points(min_tokens_per_point, remaining_cache_points)
        messages = self.messages_to_content_blocks(self.config["messages"])
        cache_result = self.format_result(system_blocks, self.apply_cache_points(messages, placements))

        # Store the placements for future use (to maintain consistency across consecutive messages)
        cache_result["messageCachePointPlacements"] = placements
        return cache_result

    def _determine_message_cache_points(
        self, min_tokens_per_point: int, remaining_cache_points: int
    ) -> list[CachePointPlacement]:
        """``determineMessageCachePoints``: placements for new or growing conversations."""
        messages = self.config["messages"]
        if len(messages) <= 1:
            return []

        placements: list[CachePointPlacement] = []
        total_messages = len(messages)
        previous_placements = self.config.get("previousCachePointPlacements") or []

        # Special case: If previousPlacements is empty, place initial cache points
        if len(previous_placements) == 0:
            current_index = 0
            while current_index < total_messages and remaining_cache_points > 0:
                new_placement = self._find_optimal_placement_for_range(
                    current_index, total_messages - 1, min_tokens_per_point
                )
                if new_placement:
                    placements.append(new_placement)
                    current_index = new_placement["index"] + 1
                    remaining_cache_points -= 1
                else:
                    break
            return placements

        # Calculate tokens in new messages (added since last cache point placement)
        last_previous_index = previous_placements[-1]["index"]
        new_messages_tokens = self._tokens(messages[last_previous_index + 1 :])

        # If new messages have enough tokens for a cache point, we need to decide
        # whether to keep all previous cache points or combine some
        if new_messages_tokens >= min_tokens_per_point:
            # If we have enough cache points for all previous placements plus a new one, keep them all
            if remaining_cache_points > len(previous_placements):
                # Keep all previous placements
                placements.extend(p for p in previous_placements if p["index"] < total_messages)
                # Add a new placement for the new messages
                new_placement = self._find_optimal_placement_for_range(
                    last_previous_index + 1, total_messages - 1, min_tokens_per_point
                )
                if new_placement:
                    placements.append(new_placement)
            else:
                # We need to decide which previous cache points to keep and which to combine
                # Strategy: Compare the token count of new messages with the smallest combined token gap

                # First, analyze the token distribution between previous cache points
                tokens_between_placements: list[int] = []
                start_idx = 0
                for placement in previous_placements:
                    tokens_between_placements.append(self._tokens(messages[start_idx : placement["index"] + 1]))
                    start_idx = placement["index"] + 1

                # Find the two consecutive placements with the smallest token gap
                smallest_gap_index = 0
                smallest_gap: float = sys.float_info.max
                for i in range(len(tokens_between_placements) - 1):
                    gap = tokens_between_placements[i] + tokens_between_placements[i + 1]
                    if gap < smallest_gap:
                        smallest_gap = gap
                        smallest_gap_index = i

                # Only combine cache points if it's beneficial
                # Apply a required percentage increase to ensure reallocation is worth it
                required_percentage_increase = 1.2  # 20% increase required
                required_token_threshold = smallest_gap * required_percentage_increase

                if new_messages_tokens >= required_token_threshold:
                    # It's beneficial to combine cache points since new messages have significantly more tokens
                    logger.debug(
                        "Combining cache points is beneficial",
                        extra={
                            "ctx": "cache-strategy",
                            "newMessagesTokens": new_messages_tokens,
                            "smallestGap": smallest_gap,
                            "requiredTokenThreshold": required_token_threshold,
                            "action": "combining_cache_points",
                        },
                    )
                    # Combine the two placements with the smallest gap
                    i = 0
                    while i < len(previous_placements):
                        if i != smallest_gap_index and i != smallest_gap_index + 1:
                            # Keep this placement
                            if previous_placements[i]["index"] < total_messages:
                                placements.append(previous_placements[i])
                        elif i == smallest_gap_index:
                            # Replace with a combined placement
                            combined_end_index = previous_placements[i + 1]["index"]
                            # Find the optimal placement within this combined range
                            start_of_range = 0 if i == 0 else previous_placements[i - 1]["index"] + 1
                            combined_placement = self._find_optimal_placement_for_range(
                                start_of_range, combined_end_index, min_tokens_per_point
                            )
                            if combined_placement:
                                placements.append(combined_placement)
                            # Skip the next placement as we've combined it
                            i += 1
                        i += 1

                    # If we freed up a cache point, use it for the new messages
                    if len(placements) < remaining_cache_points:
                        new_placement = self._find_optimal_placement_for_range(
                            last_previous_index + 1, total_messages - 1, min_tokens_per_point
                        )
                        if new_placement:
                            placements.append(new_placement)
                else:
                    # It's not beneficial to combine cache points
                    # Keep all previous placements and don't add a new one for the new messages
                    logger.debug(
                        "Combining cache points is not beneficial",
                        extra={
                            "ctx": "cache-strategy",
                            "newMessagesTokens": new_messages_tokens,
                            "smallestGap": smallest_gap,
                            "action": "keeping_existing_cache_points",
                        },
                    )
                    # Keep all previous placements that are still valid
                    placements.extend(p for p in previous_placements if p["index"] < total_messages)
            return placements

        # New messages don't have enough tokens for a cache point
        # Keep all previous placements that are still valid
        placements.extend(p for p in previous_placements if p["index"] < total_messages)
        return placements

    def _find_optimal_placement_for_range(
        self, start_index: int, end_index: int, min_tokens_per_point: int
    ) -> CachePointPlacement | None:
        """``findOptimalPlacementForRange``: the last user message in the range, if it covers enough."""
        if start_index >= end_index:
            return None

        messages = self.config["messages"]
        # Find the last user message in the range
        last_user_message_index = -1
        for i in range(end_index, start_index - 1, -1):
            if messages[i].get("role") == "user":
                last_user_message_index = i
                break

        if last_user_message_index >= 0:
            # Find the previous cache point index
            previous_placements = self.config.get("previousCachePointPlacements") or []
            previous_cache_point_index = -1
            for placement in previous_placements:
                if start_index > placement["index"] > previous_cache_point_index:
                    previous_cache_point_index = placement["index"]

            # Calculate tokens from previous cache point (or start) to this cache point
            token_start_index = previous_cache_point_index + 1
            total_tokens_covered = self._tokens(messages[token_start_index : last_user_message_index + 1])

            # Guard clause: ensure we have enough tokens to justify a cache point
            if total_tokens_covered < min_tokens_per_point:
                return None
            return {"index": last_user_message_index, "type": "message", "tokensCovered": total_tokens_covered}

        return None

    def _tokens(self, messages: list[dict[str, Any]]) -> int:
        """The ``reduce`` summing ``estimateTokenCount`` over a slice."""
        return sum(self.estimate_token_count(message) for message in messages)

    def _format_without_cache_points(self) -> CacheResult:
        """``formatWithoutCachePoints``."""
        system_prompt = self.config.get("systemPrompt")
        system_blocks = [{"text": system_prompt}] if system_prompt else []
        return self.format_result(system_blocks, self.messages_to_content_blocks(self.config["messages"]))
