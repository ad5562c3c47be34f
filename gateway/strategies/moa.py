"""Mixture of agents: optillm 0.4.0 ``optillm/moa.py`` (``mixture_of_agents``), async.

Three completions at temperature 1, one critique of all three at 0.1 (512 tokens), one final
answer at 0.1. optillm asks for the three in one ``n=3`` call and falls back to three single
calls when the provider refuses ``n``; here the ``n=3`` call is three concurrent requests (the
calls of that fallback), and a failure of them takes the fallback's one-by-one path.
"""

from __future__ import annotations

import logging
from typing import Any

from .client import StrategyClient

logger = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 4096
NUM_COMPLETIONS = 3
CRITIQUE_MAX_TOKENS = 512
GENERIC_CRITIQUE = "All candidates show reasonable approaches to the problem."
NO_COMPLETIONS = "Error: Could not generate any completions"
TRUNCATED = (
    "Error: Response was truncated due to token limit. Please increase max_tokens or max_completion_tokens."
)

CRITIQUE_PROMPT = """
    Original query: {initial_query}

    I will present you with three candidate responses to the original query. Please analyze and critique each response, discussing their strengths and weaknesses. Provide your analysis for each candidate separately.

    Candidate 1:
    {candidate_1}

    Candidate 2:
    {candidate_2}

    Candidate 3:
    {candidate_3}

    Please provide your critique for each candidate:
    """

FINAL_PROMPT = """
    Original query: {initial_query}

    Based on the following candidate responses and their critiques, generate a final response to the original query.

    Candidate 1:
    {candidate_1}

    Candidate 2:
    {candidate_2}

    Candidate 3:
    {candidate_3}

    Critiques of all candidates:
    {critiques}

    Please provide a final, optimized response to the original query:
    """


def _usable(response: Any) -> bool:
    """optillm's check: a first choice with content that was not cut at the length limit."""
    return bool(
        response is not None
        and response.choices
        and response.choices[0].message.content is not None
        and response.choices[0].finish_reason != "length"
    )


async def mixture_of_agents(
    system_prompt: str,
    initial_query: str,
    client: StrategyClient,
    request_config: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """``mixture_of_agents``: the final answer and the completion tokens of every call."""
    moa_completion_tokens = 0
    max_tokens = (request_config or {}).get("max_tokens", DEFAULT_MAX_TOKENS)
    messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": initial_query}]

    completions: list[str] = []
    try:
        response = await client.create(messages=messages, max_tokens=max_tokens, n=NUM_COMPLETIONS, temperature=1)
        if response is None or not response.choices:
            raise Exception("Response is None or has no choices")
        completions = [c.message.content for c in response.choices if c.message.content is not None]
        moa_completion_tokens += response.usage.completion_tokens
        if not completions:
            raise Exception("No valid completions generated (all were None)")
    except Exception as exc:
        logger.warning("n parameter not supported by provider: %s", exc)
        completions = []
        for i in range(NUM_COMPLETIONS):
            try:
                response = await client.create(messages=messages, max_tokens=max_tokens, temperature=1)
                if not _usable(response):
                    logger.warning("Completion %d/3 truncated or empty, skipping", i + 1)
                    continue
                completions.append(response.choices[0].message.content)
                moa_completion_tokens += response.usage.completion_tokens
            except Exception as fallback_error:
                logger.error("Error generating completion %d: %s", i + 1, fallback_error)
        if not completions:
            return NO_COMPLETIONS, 0

    if not completions:
        return NO_COMPLETIONS, moa_completion_tokens
    client.best = completions[0]
    while len(completions) < NUM_COMPLETIONS:
        completions.append(completions[0])
    candidates = {f"candidate_{i + 1}": completions[i] for i in range(NUM_COMPLETIONS)}

    critique_prompt = CRITIQUE_PROMPT.format(initial_query=initial_query, **candidates)
    critique_response = await client.create(
        messages=[{"role": "system", "content": system_prompt}, {"role": "user", "content": critique_prompt}],
        max_tokens=CRITIQUE_MAX_TOKENS,
        n=1,
        temperature=0.1,
    )
    if not _usable(critique_response):
        critiques = GENERIC_CRITIQUE
    else:
        critiques = critique_response.choices[0].message.content
    moa_completion_tokens += critique_response.usage.completion_tokens

    final_prompt = FINAL_PROMPT.format(initial_query=initial_query, critiques=critiques, **candidates)
    final_response = await client.create(
        messages=[{"role": "system", "content": system_prompt}, {"role": "user", "content": final_prompt}],
        max_tokens=max_tokens,
        n=1,
        temperature=0.1,
    )
    moa_completion_tokens += final_response.usage.completion_tokens
    if not _usable(final_response):
        logger.error("Final response truncated or empty. Consider increasing max_tokens.")
        result = completions[0] if completions else TRUNCATED
    else:
        result = final_response.choices[0].message.content
    return result, moa_completion_tokens
