"""The AI tools and the knowledge-graph tool pack (installed as `ouroboros.tools`).

``all_tools()`` returns every tool definition: the 13 core tools (``ouroboros.tools.core``)
then the knowledge-graph pack (``ouroboros.tools.graph_pack``). A ``ToolRegistry`` holds them,
enables a subset per settings, and calls them through one result envelope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ouroboros.tools.registry import Tool

__all__ = ["all_tools"]


def all_tools() -> list[Tool]:
    """Return every tool definition, core tools first, then the knowledge-graph pack."""
    from ouroboros.tools.core import core_tools
    from ouroboros.tools.graph_pack import graph_tools
    from ouroboros.tools.memory_pack import memory_tools

    return [*core_tools(), *graph_tools(), *memory_tools()]
