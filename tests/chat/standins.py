"""Loopback stand-ins for the chat platforms' HTTP APIs (Telegram Bot API, Slack Web API,
Discord's webhook and commands API).

The real platforms cannot be reached from the test machines, so each stand-in is a small
Starlette app served by a real uvicorn on loopback. It speaks the documented request and answer
shapes of the methods our adapters call, records every call, and refuses (HTTP 400, with the
platform's own error form) any request that breaks the documented shape, so a wrong call fails
the test rather than passing silently.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Call:
    method: str
    path: str
    name: str
    body: Any
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class Recorder:
    """The calls a stand-in received, with a way to wait for one."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self._cond = threading.Condition()

    def add(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def refuse(self, problem: str) -> None:
        with self._cond:
            self.problems.append(problem)
            self._cond.notify_all()

    def named(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"stand-in never saw the expected calls; got {[c.name for c in self.calls]}"
                        f", problems {self.problems}"
                    )
                self._cond.wait(left)
            return list(self.calls)


async def _json(request: Request) -> Any:
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise ValueError("content-type must be application/json")
    return json.loads(await request.body())


def telegram_standin(token: str, bot_username: str = "ouro_bot") -> tuple[Starlette, Recorder]:
    """The Bot API: ``POST /bot<token>/<method>`` answering ``{"ok": true, "result": ...}``."""
    rec = Recorder()
    ids = itertools.count(1000)

    async def method(request: Request) -> Response:
        path_token = request.path_params["token"]
        name = request.path_params["method"]
        if path_token != token:
            rec.refuse(f"bad token in {name}")
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        try:
            body = await _json(request)
            result = _telegram_check(name, body)
        except (ValueError, KeyError, TypeError) as exc:
            rec.refuse(f"{name}: {exc}")
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}, 400
            )
        if name == "sendMessage":
            result = {
                "message_id": next(ids),
                "chat": {"id": body["chat_id"]},
                "date": int(time.time()),
                "text": body["text"],
            }
        elif name == "getMe":
            result = {"id": 4242, "is_bot": True, "first_name": "Ouro", "username": bot_username}
        rec.add(Call("POST", request.url.path, name, body, dict(request.headers)))
        return JSONResponse({"ok": True, "result": result})

    app = Starlette(routes=[Route("/bot{token}/{method}", method, methods=["POST"])])
    return app, rec


def _telegram_check(name: str, body: dict[str, Any]) -> Any:
    if name in {"sendMessage", "editMessageText"}:
        if not isinstance(body["chat_id"], int | str):
            raise TypeError("chat_id must be an integer or string")
        text = body["text"]
        if not isinstance(text, str) or not 1 <= len(text) <= 4096:
            raise ValueError("text must be 1-4096 characters")
        if name == "editMessageText" and not isinstance(body["message_id"], int):
            raise TypeError("message_id must be an integer")
        if "reply_parameters" in body and not isinstance(
            body["reply_parameters"]["message_id"], int
        ):
            raise TypeError("reply_parameters.message_id must be an integer")
        return True
    if name == "setWebhook":
        if not str(body["url"]).startswith("https://"):
            raise ValueError("url must be https")
        secret = body.get("secret_token", "")
        if not 1 <= len(secret) <= 256 or not all(c.isalnum() or c in "_-" for c in secret):
            raise ValueError("secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -")
        return True
    if name == "getMe":
        return None
    raise KeyError(f"method {name} not served by the stand-in")


def slack_standin(token: str) -> tuple[Starlette, Recorder]:
    """The Web API: ``POST /api/<method>`` with a bearer bot token, answering ``{"ok": ...}``."""
    rec = Recorder()
    stamps = itertools.count(1)

    async def method(request: Request) -> Response:
        name = request.path_params["method"]
        if request.headers.get("authorization") != f"Bearer {token}":
            rec.refuse(f"{name}: bad auth")
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        try:
            body = await _json(request)
            if name not in {"chat.postMessage", "chat.update"}:
                raise KeyError(f"method {name} not served by the stand-in")
            if not isinstance(body["channel"], str) or not isinstance(body["text"], str):
                raise TypeError("channel and text must be strings")
            if not body["text"] or len(body["text"]) > 40_000:
                raise ValueError("text must be 1-40,000 characters")
            if name == "chat.update" and not isinstance(body["ts"], str):
                raise TypeError("ts must be a string")
            if "thread_ts" in body and not isinstance(body["thread_ts"], str):
                raise TypeError("thread_ts must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            rec.refuse(f"{name}: {exc}")
            return JSONResponse({"ok": False, "error": "invalid_arguments"})
        ts = body.get("ts") or f"1700000000.{next(stamps):06d}"
        rec.add(Call("POST", request.url.path, name, body, dict(request.headers)))
        return JSONResponse({"ok": True, "channel": body["channel"], "ts": ts})

    app = Starlette(routes=[Route("/api/{method}", method, methods=["POST"])])
    return app, rec


def discord_standin(app_id: str, bot_token: str) -> tuple[Starlette, Recorder]:
    """Webhooks (``POST /api/v10/webhooks/{app}/{token}``, ``PATCH .../messages/{id}``) and
    ``PUT /api/v10/applications/{app}/commands``."""
    rec = Recorder()
    ids = itertools.count(900_000)

    def _content(body: Any) -> None:
        if not isinstance(body.get("content"), str) or not 1 <= len(body["content"]) <= 2000:
            raise ValueError("content must be 1-2000 characters")

    async def followup(request: Request) -> Response:
        try:
            if request.path_params["app"] != app_id:
                raise ValueError("unknown application")
            body = await _json(request)
            _content(body)
        except (ValueError, KeyError, TypeError) as exc:
            rec.refuse(f"followup: {exc}")
            return JSONResponse({"code": 50035, "message": f"Invalid Form Body: {exc}"}, 400)
        name = "followup" if request.method == "POST" else "edit"
        rec.add(Call(request.method, request.url.path, name, body, dict(request.headers)))
        mid = request.path_params.get("message") or str(next(ids))
        return JSONResponse({"id": mid, "content": body["content"], "channel_id": "c1"})

    async def commands(request: Request) -> Response:
        try:
            if request.headers.get("authorization") != f"Bot {bot_token}":
                rec.refuse("commands: bad auth")
                return JSONResponse({"code": 0, "message": "401: Unauthorized"}, 401)
            body = await _json(request)
            if not isinstance(body, list):
                raise TypeError("bulk overwrite takes a list of commands")
            for cmd in body:
                if not (1 <= len(cmd["name"]) <= 32) or not (1 <= len(cmd["description"]) <= 100):
                    raise ValueError("name 1-32, description 1-100 characters")
        except (ValueError, KeyError, TypeError) as exc:
            rec.refuse(f"commands: {exc}")
            return JSONResponse({"code": 50035, "message": f"Invalid Form Body: {exc}"}, 400)
        rec.add(Call("PUT", request.url.path, "commands", body, dict(request.headers)))
        return JSONResponse([{**c, "id": str(next(ids)), "application_id": app_id} for c in body])

    app = Starlette(
        routes=[
            Route("/api/v10/webhooks/{app}/{token}", followup, methods=["POST"]),
            Route(
                "/api/v10/webhooks/{app}/{token}/messages/{message}", followup, methods=["PATCH"]
            ),
            Route("/api/v10/applications/{app}/commands", commands, methods=["PUT"]),
        ]
    )
    return app, rec
