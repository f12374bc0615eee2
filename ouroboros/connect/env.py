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
    - ``path``: the join path of the entity level being resolved, e.g. ``("users",
      "user/friends")`` (positions inside collections are left out: a batch call serves many).
    - ``context``: the per-request mapping given to ``process(..., context=...)``.
    - ``engine``: the ``Engine`` running the request (``None`` when called directly in a test).
    - ``operation``: the ``Resolver`` or ``Mutation`` being called.
    - ``is_async``: whether the request runs under ``process_async``.
    - ``request``: the runner's per-request state (internal; plugins may read ``.cache``).

    One env serves a whole resolver step (every entity of a level), so it is cheap.
    """

    __slots__ = ("context", "engine", "is_async", "operation", "params", "path", "request")

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
        self.path = path
        self.operation = operation
        self.is_async = is_async
        self.request = request  # the runner's per-request state (internal)

    @classmethod
    def detached(cls, **params: Any) -> Env:
        """Return an env for calling a resolver directly in a test (no engine, no context)."""
        return cls(params=params)

    def __repr__(self) -> str:
        name = getattr(self.operation, "name", None)
        return f"Env(operation={name!r}, params={dict(self.params)!r}, path={self.path!r})"
