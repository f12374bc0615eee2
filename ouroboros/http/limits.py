"""Request body limits: refuse a body past ``max_bytes`` while it streams in (413)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ouroboros.errors import PayloadTooLargeError

__all__ = ["BodyLimitMiddleware"]


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """ASGI middleware: a declared ``Content-Length`` past the limit is refused before reading;
    a streamed body is counted chunk by chunk and refused as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        from ouroboros.http.errors import error_response

        limit = self.max_bytes
        for key, value in scope["headers"]:
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await error_response(self._error(declared))(scope, receive, send)
                    return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if started:
                raise
            await error_response(self._error(seen))(scope, receive, send)

    def _error(self, size: int) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"request body too large: more than {self.max_bytes} bytes",
            details={"max_bytes": self.max_bytes, "received_at_least": size},
        )
