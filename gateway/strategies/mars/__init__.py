"""MARS, the multi-agent reasoning system: optillm 0.4.0 ``optillm/mars/`` file by file."""

from .mars import multi_agent_reasoning_system

__all__ = ["multi_agent_reasoning_system"]
