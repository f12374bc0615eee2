"""The HTTP API: EQL, GraphQL, MCP, health and the index (Starlette)."""
