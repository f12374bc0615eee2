"""Env: what a resolver or mutation sees of the request besides its input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ouroboros.connect.interface import Engine
    from ouroboros.connect.operations import Mutation, Resolver

__all__ = ["Env"]

_NO_PARAMS: Mapping[Any, Any] = {}


class Env:
    """The environment passed to ``fn(env, input)``.

    - ``params``: the EQL params of the attribute(s) being resolved (merged when one call serves
      several attributes), e.g. ``{"limit": 3}`` for ``(:user/friends {:limit 3})``.
    - ``path``: where the entity being resolved sits in the result, positions included, e.g.
      ``("users", 0, "user/friends", 2)`` (Pathom's path). A call serving several entities with
      the same input gets the path of the first; a batch call serves many, so its ``path`` is the
      level's path without positions, ``("users", "user/friends")``.
    - ``context``: the per-request mapping given to ``process(..., context=...)``.
    - ``engine``: the ``Engine`` running the request (``None`` when called directly in a test).
    - ``operation``: the ``Resolver`` or ``Mutation`` being called.
    - ``is_async``: whether the request runs under ``process_async``.
    - ``request``: the runner's per-request state (internal; plugins may read ``.cache``).
    - ``query``: for a dynamic resolver (``@resolver(dynamic=True)``), the sub-query it is
      asked to answer at this level, as an EQL ``Root`` (``to_edn(env.query)`` gives the text):
      the entries of the attributes it outputs, with their params and sub-queries; else None.

    One env serves a whole resolver step (every entity of a level), so it is cheap.
    """

    __slots__ = (
        "_level_args",
        "_path",
        "_pos",
        "_where",
        "context",
        "engine",
        "is_async",
        "operation",
        "params",
        "query",
        "request",
    )

    def __init__(
        self,
        *,
        engine: Engine | None = None,
        context: Mapping[str, Any] | None = None,
        params: Mapping[Any, Any] | None = None,
        path: tuple[Any, ...] = (),
        operation: Resolver | Mutation | None = None,
        is_async: bool = False,
        request: Any = None,
    ) -> None:
        self.engine = engine
        self.context: Mapping[str, Any] = context if context is not None else {}
        self.params: Mapping[Any, Any] = params if params is not None else _NO_PARAMS
        self._path = path
        self._where: Any = None
        self._pos = 0
        self.operation = operation
        self.is_async = is_async
        self.request = request  # the runner's per-request state (internal)
        self.query: Any = None
        self._level_args: Any = None  # (where, seen, soft) of a nested level run (internal)

    @property
    def path(self) -> tuple[Any, ...]:
        """The path of the entity being resolved (computed when first read)."""
        where = self._where
        if where is not None:
            self._path = tuple(where.path(self._pos))
            self._where = None
        return self._path

    def at(self, where: Any, pos: int) -> Env:
        """Return a copy of this env for entity ``pos`` of the level at ``where``."""
        env = Env.__new__(Env)
        env.engine = self.engine
        env.context = self.context
        env.params = self.params
        env._path = self._path
        env._where = where
        env._pos = pos
        env.operation = self.operation
        env.is_async = self.is_async
        env.request = self.request
        env.query = self.query
        return env

    @classmethod
    def detached(cls, **params: Any) -> Env:
        """Return an env for calling a resolver directly in a test (no engine, no context)."""
        return cls(params=params)

    def __repr__(self) -> str:
        name = getattr(self.operation, "name", None)
        return f"Env(operation={name!r}, params={dict(self.params)!r}, path={self.path!r})"
