"""Shared type aliases: entities, attributes, query data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

Attr: TypeAlias = str
"""An attribute name without the colon, e.g. ``"user/name"`` (a ``Keyword`` is one too)."""

Entity: TypeAlias = dict[Any, Any]
"""A map of attribute → value being resolved (keys are ``Keyword`` or ``Ident``)."""

Params: TypeAlias = Mapping[Any, Any]
"""The EQL parameters of one node."""

JSON: TypeAlias = Any
"""A JSON-compatible value (dict, list, str, int, float, bool, None)."""
