"""Compile one GraphQL operation (selection sets, aliases, fragments, variables) into one EQL AST.

=====================================  ================================================
GraphQL                                EQL
=====================================  ================================================
``system__healthy_QMARK_``             ``(:>/system__healthy_QMARK_ {..alias}) [:system/healthy?]``
``c: git__commits(n: 3) { hash }``     ``{(:>/c {..alias}) [{(:git/commits {:n 3}) [:git/hash]}]}``
``entity(name: "Al") { type }``        ``{[:entity/name "Al"] [:entity/type]}``
``... on Entity { type }`` / spreads   merged into the enclosing selection
``@skip`` / ``@include``               applied with the operation's variables
=====================================  ================================================

A field that has arguments compiles into its own placeholder keyed by its response key, so two
aliases with different arguments resolve separately (placeholder params give each a fresh copy
of the entity); fields without arguments merge into one EQL node per attribute, and two aliases
of one of them read the same value. ``__typename`` needs no EQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from graphql.type import GraphQLIncludeDirective, GraphQLSkipDirective

from ouroboros.eql import EList, Ident, Keyword, Root, query_to_ast
from ouroboros.errors import InvalidInputError
from ouroboros.http.graphql.model import PARAMS_ARG, SchemaModel, TypeSpec

__all__ = ["ALIAS_PARAM", "compile_operation", "placeholder_key"]

ALIAS_PARAM = Keyword("ouroboros.graphql/alias")
"""The placeholder param naming the GraphQL response key it stands for."""


def placeholder_key(response_key: str) -> Keyword:
    """Return the placeholder attribute of a field with arguments: ``:>/<response key>``."""
    return Keyword(f">/{response_key}")


class _Level:
    """The EQL nodes of one selection set, merged by key (attribute, ident or placeholder)."""

    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes: dict[Any, tuple[dict[Any, Any], _Level | None]] = {}

    def node(self, key: Any, params: dict[Any, Any], joins: bool) -> _Level | None:
        found = self.nodes.get(key)
        if found is None:
            found = (params, _Level() if joins else None)
            self.nodes[key] = found
        return found[1]

    def to_query(self) -> list[Any]:
        out: list[Any] = []
        for key, (params, sub) in self.nodes.items():
            expr: Any = key if sub is None else {key: sub.to_query()}
            out.append(EList((expr, params)) if params else expr)
        return out


class _Compiler:
    def __init__(
        self,
        model: SchemaModel,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues | None,
    ) -> None:
        self.model = model
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and include.get("if") is False)

    def selection(self, spec: TypeSpec, selections: SelectionSetNode | None, level: _Level) -> None:
        if selections is None:
            return
        gql_type = self.schema.get_type(spec.name)
        assert isinstance(gql_type, GraphQLObjectType)
        for sel in selections.selections:
            if not self.included(sel):
                continue
            if isinstance(sel, FieldNode):
                self.field(spec, gql_type, sel, level)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                if cond is None or cond.name.value == spec.name:
                    self.selection(spec, sel.selection_set, level)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is not None and frag.type_condition.name.value == spec.name:
                    self.selection(spec, frag.selection_set, level)

    def field(
        self, spec: TypeSpec, gql_type: GraphQLObjectType, node: FieldNode, level: _Level
    ) -> None:
        name = node.name.value
        fspec = spec.fields.get(name)
        if fspec is None or fspec.kind not in ("attribute", "ident"):
            return  # __typename and friends need no EQL
        response_key = node.alias.value if node.alias else name
        args = (
            get_argument_values(gql_type.fields[name], node, self.variables)
            if node.arguments
            else {}
        )
        target = self.model.types.get(fspec.object_type) if fspec.object_type else None
        if fspec.kind == "ident":
            given = [(a, args[a.name]) for a in fspec.args if args.get(a.name) is not None]
            if len(given) != 1:
                raise InvalidInputError(
                    f"{name}(...) takes exactly one of: {', '.join(a.name for a in fspec.args)}",
                    path=[response_key],
                )
            arg, value = given[0]
            sub = level.node(Ident(arg.target, value), {}, True)
            assert target is not None and sub is not None
            self.selection(target, node.selection_set, sub)
            return
        assert fspec.attr is not None
        params: dict[Any, Any] = {}
        for arg in fspec.args:
            value = args.get(arg.name)
            if value is not None:
                params[Keyword(arg.target)] = value
        extra = args.get(PARAMS_ARG) if fspec.catch_all_params else None
        if extra is not None:
            if not isinstance(extra, dict):
                raise InvalidInputError(
                    f"{name}(params: ...) is a JSON object of EQL params", path=[response_key]
                )
            params = {**{Keyword(str(k).lstrip(":")): v for k, v in extra.items()}, **params}
        if fspec.uses_placeholder:
            outer = level.node(placeholder_key(response_key), {ALIAS_PARAM: response_key}, True)
            assert outer is not None
            level = outer
        sub = level.node(fspec.attr, params, target is not None)
        if sub is not None and target is not None:
            self.selection(target, node.selection_set, sub)


def compile_operation(
    model: SchemaModel,
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: VariableValues | Mapping[str, Any] | None = None,
) -> Root:
    """Return the EQL AST of a validated query ``operation`` against ``model``.

    Raises InvalidInputError for an ident entry point not given exactly one argument.
    """
    if variables is not None and not isinstance(variables, VariableValues):
        # Strawberry hands resolvers the coerced dict; graphql-core's helpers want the record.
        variables = VariableValues(sources={}, coerced=dict(variables))
    compiler = _Compiler(model, schema, fragments, variables)
    level = _Level()
    compiler.selection(model.query, operation.selection_set, level)
    return query_to_ast(level.to_query())
