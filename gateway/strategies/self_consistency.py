"""Self-consistency: optillm 0.4.0 ``optillm/self_consistency.py``
(``AdvancedSelfConsistency``, ``advanced_self_consistency_approach``), async.

Five samples at temperature 1, one after another; answers clustered by ``difflib`` similarity
(ratio ≥ 0.8 to a cluster's first answer); the largest cluster's first answer wins (the first
such cluster on a tie).
"""

from __future__ import annotations

import logging
from difflib import SequenceMatcher
from typing import Any

from .client import StrategyClient
from .moa import _usable

logger = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 4096
NO_CONSISTENT_ANSWER = "No consistent answer found."


class AdvancedSelfConsistency:
    def __init__(
        self,
        client: StrategyClient,
        num_samples: int = 5,
        similarity_threshold: float = 0.8,
        request_config: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.num_samples = num_samples
        self.similarity_threshold = similarity_threshold
        self.self_consistency_completion_tokens = 0
        self.max_tokens = (request_config or {}).get("max_tokens", DEFAULT_MAX_TOKENS)

    async def generate_responses(self, system_prompt: str, user_prompt: str) -> list[str]:
        responses: list[str] = []
        for _ in range(self.num_samples):
            response = await self.client.create(
                messages=[{"role": "system", "content": system_prompt}, {"role": "user", "content": user_prompt}],
                temperature=1,
                max_tokens=self.max_tokens,
            )
            if not _usable(response):
                logger.warning("Self-consistency sample was empty, None, or truncated, skipping")
                continue
            self.self_consistency_completion_tokens += response.usage.completion_tokens
            responses.append(response.choices[0].message.content)
            self.client.best = self.aggregate_results(responses)["clusters"][0]["answer"]
        return responses

    def calculate_similarity(self, a: str, b: str) -> float:
        return SequenceMatcher(None, a, b).ratio()

    def cluster_similar_responses(self, responses: list[str]) -> list[list[str]]:
        clusters: list[list[str]] = []
        for response in responses:
            for cluster in clusters:
                if self.calculate_similarity(response, cluster[0]) >= self.similarity_threshold:
                    cluster.append(response)
                    break
            else:
                clusters.append([response])
        return clusters

    def aggregate_results(self, responses: list[str]) -> dict[str, Any]:
        clusters = self.cluster_similar_responses(responses)
        cluster_info = [{"answer": c[0], "frequency": len(c), "variants": c} for c in clusters]
        cluster_info.sort(key=lambda x: x["frequency"], reverse=True)
        return {"clusters": cluster_info, "total_responses": len(responses), "num_unique_clusters": len(clusters)}

    async def evaluate(self, system_prompt: str, user_prompt: str) -> dict[str, Any]:
        responses = await self.generate_responses(system_prompt, user_prompt)
        return {"individual_responses": responses, "aggregated_result": self.aggregate_results(responses)}


async def advanced_self_consistency_approach(
    system_prompt: str,
    initial_query: str,
    client: StrategyClient,
    request_config: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """``advanced_self_consistency_approach``: the most frequent answer and the tokens used."""
    self_consistency = AdvancedSelfConsistency(client, request_config=request_config)
    result = await self_consistency.evaluate(system_prompt, initial_query)
    aggregated = result["aggregated_result"]
    logger.info(
        "Self-consistency: %d responses, %d clusters", aggregated["total_responses"], aggregated["num_unique_clusters"]
    )
    if aggregated["clusters"]:
        return aggregated["clusters"][0]["answer"], self_consistency.self_consistency_completion_tokens
    return NO_CONSISTENT_ANSWER, self_consistency.self_consistency_completion_tokens
