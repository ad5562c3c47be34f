"""Events of the LLM manager and the HTTP gateway (ours): ``response_start``, ``response_chunk``,
``response_complete``, ``function_calls``, ``conversation_created``, ``provider_status_change``,
``analytics_update``.

Each subscriber has a bounded queue: a publisher never waits, and when a subscriber's queue is
full the event is dropped for that subscriber only and counted (``EventBus.dropped``), so a slow
subscriber never blocks a response. Callbacks (``on``) run inline and must be quick; one that
raises is logged and kept.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

EVENT_TYPES = frozenset(
    {"response_start", "response_chunk", "response_complete", "function_calls", "conversation_created",
     "provider_status_change", "analytics_update"}
)

log = logging.getLogger("gateway.events")


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self.dropped = 0
        self._queues: dict[asyncio.Queue[Event], frozenset[str]] = {}  # each subscriber's types (empty: all)
        self._callbacks: dict[str, list[Callable[[Event], Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def has_subscribers(self) -> bool:
        """Whether anyone listens (a publisher may skip building an event's data when not)."""
        return bool(self._queues or self._callbacks)

    def on(self, event_type: str, callback: Callable[[Event], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` for each event of ``event_type`` (``"*"``: every type); an
        async callback runs as a task. Returns the function that unsubscribes it."""
        if event_type != "*" and event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}; expected one of {sorted(EVENT_TYPES)} or '*'")
        callbacks = self._callbacks.setdefault(event_type, [])
        callbacks.append(callback)

        def off() -> None:
            if callback in callbacks:
                callbacks.remove(callback)
                if not callbacks:
                    self._callbacks.pop(event_type, None)

        return off

    def subscribe(self, *types: str) -> Subscription:
        """A subscription to the events of ``types`` (or all), registered at once: every event
        published from this call on is queued for it until it is closed (a context manager)."""
        unknown = set(types) - EVENT_TYPES
        if unknown:
            raise ValueError(f"unknown event types {sorted(unknown)}")
        queue: asyncio.Queue[Event] = asyncio.Queue(self.queue_size)
        self._queues[queue] = frozenset(types)
        return Subscription(self, queue)

    async def events(self, *types: str) -> AsyncIterator[Event]:
        """The events published from now on (of ``types``, or all), until the caller stops."""
        with self.subscribe(*types) as subscription:
            async for event in subscription:
                yield event

    def publish(self, event_type: str, data: dict[str, Any]) -> None:
        """Deliver an event to every subscriber without waiting."""
        if not self.has_subscribers:
            return
        event = Event(event_type, data)
        for queue, types in self._queues.items():
            if types and event_type not in types:
                continue
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self.dropped += 1
        for callback in (*self._callbacks.get(event_type, ()), *self._callbacks.get("*", ())):
            try:
                result = callback(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception:
                log.exception("event callback for %s failed", event_type)


class Subscription:
    """One subscriber's bounded queue on an ``EventBus`` (``EventBus.subscribe``): an async
    iterator of its events until ``close()``."""

    def __init__(self, bus: EventBus, queue: asyncio.Queue[Event]) -> None:
        self._bus = bus
        self._queue = queue

    def close(self) -> None:
        self._bus._queues.pop(self._queue, None)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        return await self._queue.get()
