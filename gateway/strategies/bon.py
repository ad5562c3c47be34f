"""Best of n: optillm 0.4.0 ``optillm/bon.py`` (``best_of_n_sampling``), async.

``n`` completions at temperature 1 (one ``n`` call, here ``n`` concurrent requests; one by one
when that fails), then one rating call per completion at 0.1 (256 tokens) in a conversation that
shows it; the first completion with the highest rating wins (an unreadable rating counts 0).
"""

from __future__ import annotations

import logging
from typing import Any

from .client import StrategyClient
from .moa import NO_COMPLETIONS, _usable

logger = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 4096
DEFAULT_N = 3
RATING_MAX_TOKENS = 256
RATING_INSTRUCTION = (
    "Rate the following responses on a scale from 0 to 10, where 0 is poor and 10 is excellent. "
    "Consider factors such as relevance, coherence, and helpfulness. Respond with only a number."
)
RATE_REQUEST = "Rate the above response:"


def parse_rating(content: str) -> float:
    """``float(content.strip())``, 0 when that is not a number (Python's ``float`` rules)."""
    try:
        return float(content.strip())
    except ValueError:
        return 0


async def best_of_n_sampling(
    system_prompt: str,
    initial_query: str,
    client: StrategyClient,
    n: int = DEFAULT_N,
    request_config: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """``best_of_n_sampling``: the best-rated completion and the completion tokens used."""
    bon_completion_tokens = 0
    max_tokens = (request_config or {}).get("max_tokens", DEFAULT_MAX_TOKENS)
    messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": initial_query}]

    completions: list[str] = []
    try:
        response = await client.create(messages=messages, max_tokens=max_tokens, n=n, temperature=1)
        if response is None or not response.choices:
            raise Exception("Response is None or has no choices")
        completions = [c.message.content for c in response.choices if c.message.content is not None]
        bon_completion_tokens += response.usage.completion_tokens
        if not completions:
            raise Exception("No valid completions generated (all were None)")
    except Exception as exc:
        logger.warning("n parameter not supported by provider: %s", exc)
        for i in range(n):
            try:
                response = await client.create(messages=messages, max_tokens=max_tokens, temperature=1)
                if not _usable(response):
                    logger.warning("Completion %d/%d truncated or empty, skipping", i + 1, n)
                    continue
                completions.append(response.choices[0].message.content)
                bon_completion_tokens += response.usage.completion_tokens
            except Exception as fallback_error:
                logger.error("Error generating completion %d: %s", i + 1, fallback_error)
        if not completions:
            return NO_COMPLETIONS, 0

    if not completions:
        return NO_COMPLETIONS, bon_completion_tokens
    client.best = completions[0]

    rating_messages = [*messages, {"role": "system", "content": RATING_INSTRUCTION}]
    ratings: list[float] = []
    for completion in completions:
        rating_messages.append({"role": "assistant", "content": completion})
        rating_messages.append({"role": "user", "content": RATE_REQUEST})
        rating_response = await client.create(
            messages=rating_messages, max_tokens=RATING_MAX_TOKENS, n=1, temperature=0.1
        )
        bon_completion_tokens += rating_response.usage.completion_tokens
        if not _usable(rating_response):
            ratings.append(0)
        else:
            ratings.append(parse_rating(rating_response.choices[0].message.content))
        client.best = completions[ratings.index(max(ratings))]
        rating_messages = rating_messages[:-2]

    best_index = ratings.index(max(ratings))
    return completions[best_index], bon_completion_tokens
