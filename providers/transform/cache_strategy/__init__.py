"""Prompt-cache point placement for Bedrock: port of ``src/api/transform/cache-strategy/``."""
