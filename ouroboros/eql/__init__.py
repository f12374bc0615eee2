"""EQL, the language: parse EDN text to an AST, print it back, convert it to and from data."""

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
from ouroboros.eql.parser import parse
from ouroboros.eql.printer import to_edn

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
    "ast_to_query",
    "parse",
    "query_to_ast",
    "to_edn",
]
