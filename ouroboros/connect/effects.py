"""Effects: what the runner's generators yield (Invoke, Mutate, Parallel) and Failure.

The runner is written as generators that *yield effects*; ``drivers.py`` executes them
synchronously or with anyio, so both modes share one implementation.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ouroboros.connect.env import Env
    from ouroboros.connect.operations import Mutation, Resolver

__all__ = ["Effects", "Failure", "Invoke", "Mutate", "Parallel", "RunLevel"]

Effects = Generator[Any, Any, Any]


class Failure:
    """A call that raised: the outcome slot holds this instead of a result."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __repr__(self) -> str:
        return f"Failure({self.exc!r})"


class Invoke:
    """Effect: call ``resolver`` once per payload (an input map, or a chunk for a batch).

    ``envs``, when given, holds one env per payload (each with its entity's path); otherwise
    every call gets ``env``.
    """

    __slots__ = ("env", "envs", "path", "payloads", "resolver")

    def __init__(
        self,
        resolver: Resolver,
        env: Env,
        payloads: list[Any],
        path: tuple[Any, ...],
        envs: list[Env] | None = None,
    ):
        self.resolver = resolver
        self.env = env
        self.payloads = payloads
        self.path = path
        self.envs = envs


class Mutate:
    """Effect: call ``mutation`` with ``params``; the driver answers the result or a Failure."""

    __slots__ = ("env", "mutation", "params")

    def __init__(self, mutation: Mutation, env: Env, params: dict[Any, Any]):
        self.mutation = mutation
        self.env = env
        self.params = params


class Parallel:
    """Effect: run these generators (concurrently under the async driver); answers their results."""

    __slots__ = ("gens",)

    def __init__(self, gens: list[Effects]):
        self.gens = gens


class RunLevel:
    """Effect: run a nested level through the ``wrap_run`` plugin chain (only yielded when a
    plugin has ``wrap_run``); ``env.path`` is the level's path. Answers the level's results."""

    __slots__ = ("entities", "env", "level")

    def __init__(self, env: Env, level: Any, entities: list[Any]):
        self.env = env
        self.level = level
        self.entities = entities
