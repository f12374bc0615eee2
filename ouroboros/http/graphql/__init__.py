"""GraphQL at ``/graphql``: a schema generated from the attribute index, compiled to EQL.

``build_graphql_app(service, settings)`` builds the model (``model.py``, names per
``names.py``), the Strawberry schema (``schema.py``) and the ASGI view (``view.py``); the
GraphiQL page and its shipped assets are ``ide.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ouroboros.config import Settings
    from ouroboros.http.graphql.view import GraphQLView

__all__ = ["build_graphql_app"]


def build_graphql_app(service: Any, settings: Settings) -> GraphQLView:
    """Return the ``/graphql`` ASGI view for ``service``.

    Raises NameCollisionError when two attributes or tools map to one GraphQL name.
    """
    from ouroboros.http.graphql.model import build_model
    from ouroboros.http.graphql.schema import GraphQLLimits, build_schema
    from ouroboros.http.graphql.view import GraphQLView

    model = build_model(service.engine, service.tools)
    extra = settings.extra
    limits = GraphQLLimits(
        max_depth=settings.max_query_depth,
        max_aliases=int(extra.get("graphql_max_aliases", 64)),
        max_tokens=int(extra.get("graphql_max_tokens", 2000)),
        max_fields=int(extra.get("graphql_max_fields", settings.max_query_nodes)),
        max_repeats=int(extra.get("graphql_max_repeats", 32)),
        max_bytes=int(extra.get("graphql_max_bytes", 64 * 1024)),
    )
    schema = build_schema(model, service, limits)
    view = GraphQLView(schema, service=service)
    view.model = model  # type: ignore[attr-defined]
    return view
