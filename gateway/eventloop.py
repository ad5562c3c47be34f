"""The event loop a server process runs on (ours): ``python -m gateway serve --loop`` and the
benchmark's relay, as uvicorn's ``--loop`` picks it. ``auto``: uvloop when it can be imported
(the ``gateway`` extra brings it), else asyncio's own. Imports nothing of the gateway, so the
relay that measures the floor of a hop loads none of it."""

from __future__ import annotations

import asyncio
import importlib

LOOPS = ("auto", "asyncio", "uvloop")


def loop_name(kind: str = "auto") -> str:
    """The loop ``kind`` gives here: ``asyncio`` or ``uvloop``. ``uvloop`` asked for by name
    and not importable is an error that says how to install it."""
    if kind not in LOOPS:
        raise ValueError(f"unknown event loop {kind!r}; one of {', '.join(LOOPS)}")
    if kind == "asyncio":
        return "asyncio"
    try:
        importlib.import_module("uvloop")
    except ImportError:  # (not installed, or a build that does not load here)
        if kind == "uvloop":
            raise SystemExit("--loop uvloop: uvloop is not installed (pip install 'provider-port[gateway]')") from None
        return "asyncio"
    return "uvloop"


def new_event_loop(kind: str = "auto") -> asyncio.AbstractEventLoop:
    """A new event loop of ``kind`` (``LOOPS``, ``loop_name``)."""
    if loop_name(kind) == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()
