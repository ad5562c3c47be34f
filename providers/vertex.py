"""Vertex handler (Gemini on Vertex AI): port of ``src/api/providers/vertex.ts`` (Roo-Code @ cb83656).

``GeminiHandler`` in Vertex mode, with the Vertex model table. ``claude*`` model ids never get
here: ``build_api_handler`` sends them to ``anthropic_vertex.py``.
"""

from __future__ import annotations

from typing import Any, Mapping

from .gemini import GeminiHandler, resolve_model
from .types.vertex import VERTEX_DEFAULT_MODEL_ID, VERTEX_MODELS


class VertexHandler(GeminiHandler):
    """``VertexHandler``: ``GeminiHandler`` with ``isVertex`` set."""

    # vertex.ts: constructor
    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__({**options, "isVertex": True})

    # vertex.ts: VertexHandler.getModel
    def get_model(self) -> dict[str, Any]:
        """As ``GeminiHandler.get_model``, over ``vertexModels``."""
        return resolve_model(self.options, VERTEX_MODELS, VERTEX_DEFAULT_MODEL_ID)
