"""Official MCP memory server shapes: strip our extra fields (times) from results."""

from __future__ import annotations

from typing import Any

__all__ = ["official_entity", "official_graph", "official_relation"]


def official_entity(entity: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"name", "entityType", "observations"}``."""
    return {
        "name": entity["name"],
        "entityType": entity["entityType"],
        "observations": list(entity["observations"]),
    }


def official_relation(relation: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"from", "to", "relationType"}``."""
    return {
        "from": relation["from"],
        "to": relation["to"],
        "relationType": relation["relationType"],
    }


def official_graph(graph: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"entities", "relations"}`` in the official shapes (paging fields dropped)."""
    return {
        "entities": [official_entity(e) for e in graph.get("entities", [])],
        "relations": [official_relation(r) for r in graph.get("relations", [])],
    }
