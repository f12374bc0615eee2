"""EQL, the language: parse EDN text to an AST, print it back, convert, merge and encode it."""

from __future__ import annotations

from ouroboros.eql.ast import (
    Call,
    EList,
    Ident,
    Join,
    Keyword,
    Prop,
    Root,
    Symbol,
    Tagged,
    Union,
    UnionEntry,
)
from ouroboros.eql.convert import OPTIONAL_PARAM, ast_to_query, query_to_ast
from ouroboros.eql.helpers import (
    focus_subquery,
    mask_query,
    merge_asts,
    merge_queries,
    query_depth,
    query_size,
)
from ouroboros.eql.parser import parse
from ouroboros.eql.printer import to_edn
from ouroboros.eql.wire import (
    ast_to_json,
    entity_from_json,
    query_from_json,
    result_from_json,
    result_to_json,
)

__all__ = [
    "OPTIONAL_PARAM",
    "Call",
    "EList",
    "Ident",
    "Join",
    "Keyword",
    "Prop",
    "Root",
    "Symbol",
    "Tagged",
    "Union",
    "UnionEntry",
    "ast_to_json",
    "ast_to_query",
    "entity_from_json",
    "focus_subquery",
    "mask_query",
    "merge_asts",
    "merge_queries",
    "parse",
    "query_depth",
    "query_from_json",
    "query_size",
    "query_to_ast",
    "result_from_json",
    "result_to_json",
    "to_edn",
]
