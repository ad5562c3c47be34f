"""Strategies: the order in which a request tries the deployments that are not cooling down.

Ours (gateway.router): the brief's five (``primary``, ``highest_priority``, ``round_robin``,
``random``, ``cheapest``) and two that LiteLLM users rely on (``least_busy``,
``lowest_latency``). Priority 1 is the highest; ties go by list order.
"""

from __future__ import annotations

import random
from typing import Sequence

from .config import Deployment

STRATEGIES = ("primary", "highest_priority", "round_robin", "random", "cheapest", "least_busy", "lowest_latency")


def order(
    strategy: str, ready: list[Deployment], everyone: Sequence[Deployment], turn: list[int], rng: random.Random
) -> list[Deployment]:
    """``ready`` (the deployments not cooling down, in list order) in ``strategy``'s order.

    ``turn`` is the round robin's counter (one per router, shared by its views), ``rng`` the
    ``random`` strategy's generator (seeded by the router)."""
    if strategy == "primary" or len(ready) == 1:
        return ready
    if strategy == "highest_priority":
        return sorted(ready, key=lambda d: (d.priority, d.index))
    if strategy == "round_robin":
        start = turn[0] % len(everyone)
        turn[0] += 1
        rotated = [*everyone[start:], *everyone[:start]]
        return [d for d in rotated if d in ready]
    if strategy == "random":
        return rng.sample(ready, len(ready))
    if strategy == "cheapest":
        return sorted(ready, key=lambda d: (d.price, d.priority, d.index))
    if strategy == "least_busy":
        return sorted(ready, key=lambda d: (d.state.in_flight, d.priority, d.index))
    # lowest_latency: a deployment without a measurement yet comes first (it gets one)
    return sorted(ready, key=lambda d: (d.state.ttfc_avg if d.state.ttfc_avg is not None else -1.0, d.priority, d.index))
