"""``/openapi.json``: an OpenAPI 3.1 document of the HTTP endpoints, written by hand as data."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ouroboros import __version__

__all__ = ["openapi_document", "openapi_endpoint"]

_ERROR = {"$ref": "#/components/responses/Error"}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): _ERROR for s in statuses}


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of ``/eql``, ``/graphql``, ``/mcp`` and the rest."""
    json_object = {"type": "object", "additionalProperties": True}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ouroboros",
            "version": __version__,
            "summary": "A query-driven knowledge-graph engine: EQL, GraphQL and MCP over HTTP.",
            "description": (
                "Ask for attributes in EQL (POST /eql) or GraphQL (/graphql); a planner finds "
                "the resolvers that produce them. Every error is "
                '{"error": {"type", "message", "path"?, "details"?}}. With API tokens in the '
                "database every endpoint but /health needs `Authorization: Bearer <token>`."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "http://127.0.0.1:8000"}],
        "security": [{"bearer": []}],
        "paths": {
            "/eql": {
                "post": {
                    "operationId": "eql",
                    "summary": "Run an EQL query (mutations need the write scope).",
                    "parameters": [
                        {
                            "name": "lenient",
                            "in": "query",
                            "schema": {"type": "boolean", "default": False},
                            "description": "Return partial data plus ouroboros/errors.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/edn": {
                                "schema": {"type": "string"},
                                "example": "[:system/healthy? {:git/commits [:git/subject]}]",
                            },
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/EQLRequest"},
                                "example": {"query": '[{[:file/path "README.md"] [:file/size]}]'},
                            },
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The result: keyword keys as 'ns/name', ident keys "
                            "as their EDN text, sets as arrays (or EDN with Accept: "
                            "application/edn).",
                            "content": {
                                "application/json": {"schema": json_object},
                                "application/edn": {"schema": {"type": "string"}},
                            },
                        },
                        **_errors(400, 401, 403, 413, 415, 429, 500),
                    },
                }
            },
            "/graphql": {
                "get": {
                    "operationId": "graphqlGet",
                    "summary": "A GraphQL query (GraphQL over HTTP; queries only). Without "
                    "`query` and with `Accept: text/html`, the GraphiQL page (when it is on).",
                    "parameters": [
                        {
                            "name": "query",
                            "in": "query",
                            "schema": {"type": "string"},
                        },
                        {"name": "variables", "in": "query", "schema": {"type": "string"}},
                        {"name": "operationName", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"$ref": "#/components/responses/GraphQL"}},
                },
                "post": {
                    "operationId": "graphqlPost",
                    "summary": "A GraphQL query or mutation; the schema is generated from the "
                    "attribute index, tools are mutations.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/GraphQLRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {"$ref": "#/components/responses/GraphQL"},
                        **_errors(401, 403, 413, 429),
                    },
                },
            },
            "/mcp": {
                "post": {
                    "operationId": "mcp",
                    "summary": "MCP streamable HTTP (JSON-RPC); tools need the scopes they declare.",
                    "requestBody": {"content": {"application/json": {"schema": json_object}}},
                    "responses": {
                        "200": {"description": "A JSON-RPC response or an SSE stream."},
                        **_errors(401, 413, 429),
                    },
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness (no auth).",
                    "security": [],
                    "responses": {"200": {"description": "The process serves HTTP."}},
                }
            },
            "/ready": {
                "get": {
                    "operationId": "ready",
                    "summary": "Readiness: the store answers and the lifecycle is running.",
                    "responses": {
                        "200": {"description": "Ready."},
                        "503": {"description": "Not ready; `checks` says why."},
                    },
                }
            },
            "/index": {
                "get": {
                    "operationId": "index",
                    "summary": "The attribute index: attributes, resolvers, mutations, tools.",
                    "responses": {
                        "200": {
                            "description": "The index.",
                            "content": {"application/json": {"schema": json_object}},
                        },
                        **_errors(401, 403),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {"200": {"description": "OpenAPI 3.1."}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `ouroboros token create NAME --scope read`.",
                }
            },
            "schemas": {
                "EQLRequest": {
                    "type": "object",
                    "required": ["query"],
                    "additionalProperties": False,
                    "properties": {
                        "query": {
                            "description": "EDN text, or JSON query data (strings are "
                            "attributes, [attr, value] idents, one-entry objects joins).",
                            "oneOf": [{"type": "string"}, {"type": "array"}],
                        },
                        "entity": {
                            "type": "object",
                            "description": "Data already known, keyed by attribute name.",
                        },
                        "lenient": {"type": "boolean", "default": False},
                    },
                },
                "GraphQLRequest": {
                    "type": "object",
                    "required": ["query"],
                    "properties": {
                        "query": {"type": "string"},
                        "variables": {"type": ["object", "null"]},
                        "operationName": {"type": ["string", "null"]},
                        "extensions": {"type": ["object", "null"]},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["type", "message"],
                            "properties": {
                                "type": {"type": "string", "examples": ["EQLSyntaxError"]},
                                "message": {"type": "string"},
                                "path": {"type": "array"},
                                "details": {"type": "object"},
                            },
                        }
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": "The one error shape.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "GraphQL": {
                    "description": "A GraphQL response; errors carry type/path/details in "
                    "their extensions.",
                    "content": {"application/json": {"schema": json_object}},
                },
            },
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    """Answer the OpenAPI document."""
    return JSONResponse(openapi_document())
