"""Failover across providers in order, with a circuit breaker per provider.

A breaker opens after ``failures`` consecutive calls that failed for the provider's own reasons
(down, timed out, 5xx, still rate-limiting after the retries); while open, calls skip that
provider at once. After ``cooldown`` seconds one trial call goes through (half-open): success
closes the breaker, failure opens it again. A refused key or a bad request does not trip it
(the provider is up; the configuration is wrong), and a conversation too long for the model
is not failed over (every provider would see the same conversation).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from ouroboros.agent.messages import ModelReply, ModelRequest, TokenSink
from ouroboros.agent.providers.base import Provider
from ouroboros.errors import (
    ContextTooLongError,
    ProviderDownError,
    ProviderError,
    ProviderRateLimitedError,
)

__all__ = ["CircuitBreaker", "ProviderChain"]

log = logging.getLogger(__name__)


class CircuitBreaker:
    """Closed, open or half-open for one provider; thread-safe."""

    def __init__(
        self, failures: int = 3, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = max(1, failures)
        self.cooldown = cooldown
        self._clock = clock
        self._count = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._clock() - self._opened_at >= self.cooldown:
                return "half-open"
            return "open"

    def allow(self) -> bool:
        """Return whether a call may go through now (one trial call when half-open)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at < self.cooldown or self._trial:
                return False
            self._trial = True
            return True

    def retry_in(self) -> float:
        """Seconds until a trial call is allowed (0 when closed)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.cooldown - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        """Close the breaker."""
        with self._lock:
            self._count = 0
            self._opened_at = None
            self._trial = False

    def record_failure(self) -> None:
        """Count a failure; open (or re-open) the breaker at the threshold."""
        with self._lock:
            self._count += 1
            if self._trial or self._count >= self.failures:
                self._opened_at = self._clock()
            self._trial = False


def _trips(exc: ProviderError) -> bool:
    return isinstance(exc, (ProviderDownError, ProviderRateLimitedError))


class ProviderChain:
    """Providers in failover order behind one ``complete``; breakers kept across calls."""

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        failures: int = 3,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not providers:
            raise ProviderError("no model provider is configured (see the README's agent section)")
        self.providers = list(providers)
        self.breakers = {p.name: CircuitBreaker(failures, cooldown, clock) for p in providers}

    async def complete(
        self, request: ModelRequest, *, on_token: TokenSink | None = None
    ) -> ModelReply:
        """Return the first provider's reply that succeeds, trying them in order.

        Raises the provider's own error when only one was tried, else one error naming each.
        """
        failed: list[ProviderError] = []
        for provider in self.providers:
            breaker = self.breakers[provider.name]
            if not breaker.allow():
                failed.append(
                    ProviderDownError(
                        f"provider {provider.name!r} is skipped: its circuit is open after "
                        f"{breaker.failures} failures (next try in {breaker.retry_in():.0f} s)",
                        details={"provider": provider.name, "circuit": "open"},
                    )
                )
                continue
            try:
                reply = await provider.complete(request, on_token=on_token)
            except ContextTooLongError:
                breaker.record_success()
                raise
            except ProviderError as exc:
                if _trips(exc):
                    breaker.record_failure()
                failed.append(exc)
                if provider is not self.providers[-1]:
                    log.warning("%s; failing over to the next provider", exc.message)
                continue
            breaker.record_success()
            return reply
        raise _combined(failed)

    def states(self) -> dict[str, str]:
        """Return each provider's breaker state."""
        return {name: b.state for name, b in self.breakers.items()}


def _combined(failed: list[ProviderError]) -> ProviderError:
    if len(failed) == 1:
        return failed[0]
    kinds = {type(e) for e in failed}
    cls: type[ProviderError] = kinds.pop() if len(kinds) == 1 else ProviderDownError
    message = "every provider failed: " + "; ".join(e.message for e in failed)
    return cls(
        message,
        details={"attempts": [{"type": e.type, **e.to_dict()} for e in failed]},
    )
