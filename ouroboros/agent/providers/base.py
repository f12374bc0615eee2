"""What every provider shares: the Provider protocol, retries with retry-after, error taxonomy.

A model call is bounded as a whole by the provider's ``timeout`` (retries and their waits
included), so a provider that is down or hangs fails within it, in one line naming it. 429 and
5xx (and 529, Anthropic's "overloaded") are retried with exponential backoff, or after the
``retry-after`` (``retry-after-ms``) the provider asked for; a refused connection is retried
the same way. Everything else fails at once with the error type of its cause.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

import anyio
import httpx2 as httpx

from ouroboros.agent.config import ProviderConfig
from ouroboros.agent.messages import ModelReply, ModelRequest, TokenSink
from ouroboros.errors import (
    ContextTooLongError,
    ProviderAuthError,
    ProviderDownError,
    ProviderError,
    ProviderRateLimitedError,
)
from ouroboros.observe import tracing
from ouroboros.observe.redact import redact_text, redact_url

__all__ = [
    "HTTPProvider",
    "Provider",
    "Retryable",
    "call_with_retries",
    "classify_response",
    "parse_retry_after",
    "redact",
    "sse_events",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BACKOFF = 8.0
CONTEXT_HINTS = (
    "context_length_exceeded",
    "context length",
    "context window",
    "prompt is too long",
    "too many tokens",
    "maximum context",
    "exceeds the context",
)
KEY_PATTERN = re.compile(r"\b(sk|sk-ant|key)-[A-Za-z0-9_\-]{6,}")


@runtime_checkable
class Provider(Protocol):
    """A model behind one wire protocol: ``await complete(request)`` returns one reply.

    Implementations raise only ``ProviderError`` subclasses (auth, rate-limited, context too
    long, provider down), each naming the provider and never its key.
    """

    name: str
    model: str

    async def complete(
        self, request: ModelRequest, *, on_token: TokenSink | None = None
    ) -> ModelReply: ...


class Retryable(Exception):
    """One failed attempt worth retrying: the error to raise if retries run out, and a wait."""

    def __init__(self, error: ProviderError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def redact(text: str, *secrets: str | None) -> str:
    """Return ``text`` with the given secrets, anything shaped like an API key, and whatever the
    project's one redaction list catches (``ouroboros.observe.redact``) masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact_text(KEY_PATTERN.sub(lambda m: f"{m.group(1)}-***", text))


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Return the wait in seconds a response asks for (``retry-after-ms``, ``retry-after``)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(body: bytes) -> str:
    """The provider's own error message from a JSON error body (or the body's start)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:300].decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            parts = [str(err.get(k)) for k in ("type", "code", "message") if err.get(k)]
            if parts:
                return ": ".join(parts)[:300]
        if isinstance(err, str):
            return err[:300]
    return json.dumps(data)[:300]


def classify_response(
    name: str, status: int, headers: httpx.Headers, body: bytes, secret: str | None = None
) -> ProviderError | Retryable:
    """Return the error for a non-2xx answer: a final ProviderError, or a Retryable attempt."""
    text = redact(_error_text(body), secret)
    details: dict[str, Any] = {"provider": name, "status": status}
    if status in (401, 403):
        return ProviderAuthError(
            f"provider {name!r} refused the API key ({status}): {text}", details=details
        )
    if status == 429:
        wait = parse_retry_after(headers)
        if wait is not None:
            details["retry_after"] = round(wait, 3)
        return Retryable(
            ProviderRateLimitedError(
                f"provider {name!r} is rate-limiting us (429): {text}", details=details
            ),
            wait,
        )
    if status >= 500:
        return Retryable(
            ProviderDownError(f"provider {name!r} failed ({status}): {text}", details=details),
            parse_retry_after(headers),
        )
    lowered = text.lower()
    if status in (400, 413, 422) and any(hint in lowered for hint in CONTEXT_HINTS):
        return ContextTooLongError(
            f"provider {name!r}: the conversation is too long for the model: {text}",
            details=details,
        )
    return ProviderError(
        f"provider {name!r} refused the request ({status}): {text}", details=details
    )


def _backoff(attempt: int) -> float:
    return min(MAX_BACKOFF, 0.25 * (2**attempt)) * (0.5 + random.random() / 2)


async def call_with_retries(
    name: str,
    *,
    max_retries: int,
    timeout: float,
    attempt: Callable[[], Awaitable[T]],
) -> T:
    """Return ``await attempt()``, retrying Retryable failures within ``timeout`` seconds overall.

    Raises the last attempt's ProviderError when retries run out or the next wait would pass the
    deadline, and ProviderDownError when the whole call runs past ``timeout``.
    """
    deadline = time.monotonic() + timeout
    tries = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(name, timeout)
        try:
            with anyio.fail_after(remaining):
                return await attempt()
        except TimeoutError:
            raise _timed_out(name, timeout) from None
        except Retryable as failed:
            if tries >= max_retries:
                raise failed.error from None
            wait = failed.retry_after if failed.retry_after is not None else _backoff(tries)
            if time.monotonic() + wait >= deadline:
                failed.error.details["gave_up"] = (
                    f"a retry in {wait:.1f} s would pass the {timeout:g} s bound"
                )
                raise failed.error from None
            tries += 1
            log.info("provider %s: %s; retry %d in %.2f s", name, failed.error.message, tries, wait)
            await anyio.sleep(wait)


def _timed_out(name: str, timeout: float) -> ProviderDownError:
    return ProviderDownError(
        f"provider {name!r} did not answer within {timeout:g} s",
        details={"provider": name, "timeout": timeout},
    )


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """Yield ``(event, data)`` for each server-sent event of a streaming response."""
    event, data = "", list[str]()
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", list[str]()
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
    if data:
        yield event or "message", "\n".join(data)


class HTTPProvider:
    """A provider reached over HTTP: one POST per attempt, retried and bounded as a whole."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.name = config.name
        self.model = config.model

    def _secret(self) -> str | None:
        return self.config.api_key.reveal() if self.config.api_key else None

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    async def _post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        read: Callable[[httpx.Response], Awaitable[ModelReply]],
    ) -> ModelReply:
        """POST ``body`` to ``path``; return ``await read(response)`` for a 2xx answer."""
        url = f"{self.config.base_url}{path}"
        cfg = self.config
        timeout = httpx.Timeout(cfg.timeout, connect=min(cfg.connect_timeout, cfg.timeout))

        async def attempt() -> ModelReply:
            headers = {**tracing.outbound_headers(), **self._headers()}  # W3C trace context
            try:
                async with (
                    httpx.AsyncClient(timeout=timeout) as client,
                    client.stream("POST", url, json=body, headers=headers) as response,
                ):
                    if response.status_code >= 300:
                        raw = await response.aread()
                        failure = classify_response(
                            self.name, response.status_code, response.headers, raw, self._secret()
                        )
                        raise failure
                    return await read(response)
            except httpx.TimeoutException:
                raise _timed_out(self.name, cfg.timeout) from None
            except httpx.TransportError as exc:
                reason = redact(str(exc) or type(exc).__name__, self._secret())
                raise Retryable(
                    ProviderDownError(
                        f"provider {self.name!r} is unreachable at "
                        f"{redact_url(self.config.base_url)}: {reason}",
                        details={"provider": self.name},
                    )
                ) from None

        return await call_with_retries(
            self.name, max_retries=cfg.max_retries, timeout=cfg.timeout, attempt=attempt
        )
