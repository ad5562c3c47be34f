"""Monte Carlo tree search over a dialogue: optillm 0.4.0 ``optillm/mcts.py`` (``DialogueState``,
``MCTSNode``, ``MCTS``, ``chat_with_mcts``), async.

Each expansion asks for ``num_actions`` replies (optillm: one ``n=3`` call; here concurrent
requests) and, for each, a likely next user query; a simulation plays ``simulation_depth`` such
steps and scores the conversation 0..1. Random choices come from the ``random.Random`` passed in,
drawn in optillm's order (it draws from the ``random`` module, the same generator), so a seeded
run repeats optillm's. optillm's networkx graph and node labels only feed its plots; they are
left out.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field

from .client import StrategyClient
from .moa import _usable

logger = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 4096
NEXT_QUERY_PROMPT = "Based on this conversation, what might the user ask or say next? Provide a likely user query."
NEXT_QUERY_DEFAULT = "Please continue."
EVALUATION_PROMPT = (
    "Evaluate the quality of this conversation on a scale from 0 to 1, where 0 is poor and 1 is excellent. "
    "Consider factors such as coherence, relevance, and engagement. Respond with only a number."
)
NEUTRAL_SCORE = 0.5


@dataclass
class MCTSConfig:
    """``chat_with_mcts``'s parameters, its defaults; ``num_actions`` is the ``n`` of
    ``generate_actions`` (3 in optillm, not a parameter there)."""

    num_simulations: int = 2
    exploration_weight: float = 0.2
    simulation_depth: int = 1
    num_actions: int = 3
    max_tokens: int | None = None  # optillm's request_config["max_tokens"] (4096 when unset)


@dataclass
class DialogueState:
    system_prompt: str
    conversation_history: list[dict[str, str]]
    current_query: str


@dataclass(eq=False)
class MCTSNode:
    state: DialogueState
    parent: MCTSNode | None = None
    children: list[MCTSNode] = field(default_factory=list)
    visits: int = 0
    value: float = 0


def parse_score(content: str) -> float:
    """``evaluate_state``'s reading of a score: a number clamped to 0..1, else 0.5."""
    try:
        return max(0, min(float(content.strip()), 1))
    except ValueError:
        return NEUTRAL_SCORE


class MCTS:
    def __init__(
        self,
        simulation_depth: int,
        exploration_weight: float,
        client: StrategyClient,
        rng: random.Random,
        max_tokens: int | None = None,
        num_actions: int = 3,
    ) -> None:
        self.simulation_depth = simulation_depth
        self.exploration_weight = exploration_weight
        self.root: MCTSNode | None = None
        self.client = client
        self.rng = rng
        self.completion_tokens = 0
        self.max_tokens = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
        self.num_actions = num_actions

    def select(self, node: MCTSNode) -> MCTSNode:
        if not node.children:
            return node
        return max(
            node.children,
            key=lambda c: c.value / (c.visits + 1e-8)
            + self.exploration_weight * math.sqrt(math.log(node.visits + 1) / (c.visits + 1e-8)),
        )

    async def expand(self, node: MCTSNode) -> MCTSNode:
        actions = await self.generate_actions(node.state)
        for action in actions:
            new_state = await self.apply_action(node.state, action)
            node.children.append(MCTSNode(new_state, parent=node))
        return self.rng.choice(node.children)

    async def simulate(self, node: MCTSNode) -> float:
        state = node.state
        for _ in range(self.simulation_depth):
            if self.is_terminal(state):
                break
            action = self.rng.choice(await self.generate_actions(state))
            state = await self.apply_action(state, action)
        return await self.evaluate_state(state)

    def backpropagate(self, node: MCTSNode | None, value: float) -> None:
        while node:
            node.visits += 1
            node.value += value
            node = node.parent

    async def search(self, initial_state: DialogueState, num_simulations: int) -> DialogueState:
        if not self.root:
            self.root = MCTSNode(initial_state)
        for _ in range(num_simulations):
            node = self.select(self.root)
            if not self.is_terminal(node.state):
                node = await self.expand(node)
            value = await self.simulate(node)
            self.backpropagate(node, value)
            self.client.best = _reply(max(self.root.children, key=lambda c: c.visits).state) if self.root.children else None
        return max(self.root.children, key=lambda c: c.visits).state

    async def generate_actions(self, state: DialogueState) -> list[str]:
        messages = [{"role": "system", "content": state.system_prompt}, *state.conversation_history]
        messages.append({"role": "user", "content": state.current_query})
        response = await self.client.create(
            messages=messages, max_tokens=self.max_tokens, n=self.num_actions, temperature=1
        )
        if response is None or not response.choices:
            logger.error("Failed to get valid completions from the model")
            return []
        completions = [c.message.content.strip() for c in response.choices if c.message.content is not None]
        self.completion_tokens += response.usage.completion_tokens
        return completions

    async def apply_action(self, state: DialogueState, action: str) -> DialogueState:
        new_history = [*state.conversation_history, {"role": "assistant", "content": action}]
        messages = [{"role": "system", "content": state.system_prompt}, *new_history]
        messages.append({"role": "user", "content": NEXT_QUERY_PROMPT})
        response = await self.client.create(
            messages=messages, max_tokens=min(self.max_tokens, 1024), n=1, temperature=1
        )
        if not _usable(response):
            next_query = NEXT_QUERY_DEFAULT
        else:
            next_query = response.choices[0].message.content
        self.completion_tokens += response.usage.completion_tokens
        return DialogueState(state.system_prompt, new_history, next_query)

    def is_terminal(self, state: DialogueState) -> bool:
        return len(state.conversation_history) > 10 or "goodbye" in state.current_query.lower()

    async def evaluate_state(self, state: DialogueState) -> float:
        messages = [{"role": "system", "content": state.system_prompt}, *state.conversation_history]
        messages.append({"role": "user", "content": EVALUATION_PROMPT})
        response = await self.client.create(messages=messages, max_tokens=256, n=1, temperature=0.1)
        self.completion_tokens += response.usage.completion_tokens
        if not _usable(response):
            return NEUTRAL_SCORE
        return parse_score(response.choices[0].message.content)


def _reply(state: DialogueState) -> str:
    return state.conversation_history[-1]["content"] if state.conversation_history else ""


async def chat_with_mcts(
    system_prompt: str,
    initial_query: str,
    client: StrategyClient,
    rng: random.Random,
    config: MCTSConfig | None = None,
) -> tuple[str, int]:
    """``chat_with_mcts``: the reply of the most visited first move and the tokens used."""
    config = config or MCTSConfig()
    mcts = MCTS(
        config.simulation_depth, config.exploration_weight, client, rng, config.max_tokens, config.num_actions
    )
    final_state = await mcts.search(DialogueState(system_prompt, [], initial_query), config.num_simulations)
    return _reply(final_state), mcts.completion_tokens
