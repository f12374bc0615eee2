"""Parse and validate GraphQL documents off the event loop: cost limits first, results cached.

A document is parsed, measured (``cost.py``: linear, once per fragment) and, only when it is
within the limits, validated by graphql-core's rules, all in one worker thread; a bounded number
of documents are checked at once, so an attack queues behind its own requests while ``/health``
and every other request keep the event loop. The outcome (document and errors) is cached by the
query text, so a repeated query costs one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, parse
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension

from ouroboros.http.graphql.cost import CostLimits, cost_errors

__all__ = ["DocumentChecker", "OffLoopValidation", "count_tokens"]

T = TypeVar("T")

Checked = tuple[DocumentNode | None, list[GraphQLError]]

# GraphQL's lexical tokens at C speed: strings (block and plain) and comments whole, then
# punctuators, numbers and names. Commas and white space are not tokens.
_TOKEN = re.compile(
    # Each string form also ends at the end of its line (or of the text) when unterminated,
    # and repeats possessively, so no position is scanned twice: linear in the text.
    r'"""(?:\\(?:""")?|[^"\\]|"(?!""))*+(?:"""|\Z)'
    r'|"(?:\\[\s\S]?|[^"\\\n\r])*+(?:"|(?=[\n\r])|\Z)'
    r"|#[^\n\r]*|\.\.\.|[!$&()\[\]{}:=@|]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[_A-Za-z]\w*"
)


def count_tokens(query: str, *, stop_after: int) -> int:
    """Return how many lexical tokens ``query`` holds (comments not counted), counting no
    further than ``stop_after + 1``: a cheap refusal before graphql-core's parser (about
    20 µs a token) runs."""
    count = 0
    for match in _TOKEN.finditer(query):
        if query[match.start()] != "#":
            count += 1
            if count > stop_after:
                break
    return count


class DocumentChecker:
    """Parses, measures and validates documents for one schema; shared by every request."""

    def __init__(
        self,
        limits: CostLimits,
        *,
        max_tokens: int,
        max_bytes: int = 64 * 1024,
        extra_rules: Sequence[type[ASTValidationRule]] = (),
        cache_size: int = 256,
        threads: int = 1,
    ) -> None:
        self.limits = limits
        self.max_tokens = max_tokens
        self.max_bytes = max_bytes
        self.extra_rules = tuple(extra_rules)
        self.cache_size = cache_size
        self.threads = threads
        self._cache: OrderedDict[str, Checked] = OrderedDict()
        self._lock = threading.Lock()
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def check_sync(
        self, query: str, schema: GraphQLSchema, rules: Sequence[type[ASTValidationRule]]
    ) -> Checked:
        """Return ``(document or None, errors)`` for ``query`` (the work itself, no cache)."""
        if count_tokens(query, stop_after=self.max_tokens) > self.max_tokens:
            return None, [
                GraphQLError(
                    f"Syntax Error: Document contains more than {self.max_tokens} tokens. "
                    "Parsing aborted.",
                    extensions={"type": "QueryLimitError"},
                )
            ]
        if len(query) > self.max_bytes:
            return None, [
                GraphQLError(
                    f"the document is {len(query)} characters long. Allowed: {self.max_bytes} "
                    "(pass large values as variables)",
                    extensions={"type": "QueryLimitError"},
                )
            ]
        try:
            document = parse(
                query, max_lexical_tokens=self.max_tokens, max_comments=self.max_tokens
            )
        except GraphQLError as exc:
            return None, [exc]
        except RecursionError:
            return None, [GraphQLError("the document nests too deeply to parse")]
        try:
            errors = cost_errors(document, self.limits)
        except RecursionError:
            errors = [GraphQLError("the document nests too deeply to measure")]
        if errors:
            return document, errors
        from strawberry.schema.schema import validate_document

        return document, validate_document(schema, document, (*rules, *self.extra_rules))

    def cached(self, query: str) -> Checked | None:
        """Return the cached outcome for ``query`` (and mark it recently used), or None."""
        with self._lock:
            hit = self._cache.get(query)
            if hit is not None:
                self._cache.move_to_end(query)
            return hit

    async def check(
        self, query: str, schema: GraphQLSchema, rules: Sequence[type[ASTValidationRule]]
    ) -> Checked:
        """Return ``(document or None, errors)``, from the cache or from a worker thread."""
        hit = self.cached(query)
        if hit is not None:
            return hit
        checked = await self.off_loop(self.check_sync, query, schema, rules)
        with self._lock:
            self._cache[query] = checked
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return checked

    async def off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        """Return ``fn(*args)`` run in a worker thread, at most ``threads`` at once."""
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)


class OffLoopValidation(SchemaExtension):
    """A Strawberry extension: parse and validate in ``DocumentChecker`` (not on the loop)."""

    def __init__(self, checker: DocumentChecker) -> None:
        super().__init__()
        self.checker = checker

    async def on_parse(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            document, errors = await self.checker.check(
                ctx.query, ctx.schema._schema, tuple(ctx.validation_rules)
            )
            if document is None:
                raise errors[0]
            ctx.graphql_document = document
            # Strawberry's ``operation_name`` falls back to the first operation's name, which
            # would run one of several unnamed-for operations: read what the client sent.
            provided = getattr(ctx, "_provided_operation_name", ctx.operation_name)
            ctx.pre_execution_errors = list(errors) or _operation_errors(document, provided)
        yield


def _operation_errors(document: DocumentNode, name: str | None) -> list[GraphQLError]:
    """Return the request error for a document whose operation to run is not named (GraphQL
    over HTTP: with several operations, ``operationName`` is required), else ``[]``."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None and len(operations) > 1:
        return [
            GraphQLError(
                "Must provide operation name if query contains multiple operations.",
                extensions={"type": "InvalidInputError"},
            )
        ]
    return []
