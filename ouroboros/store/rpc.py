"""The owner's RPC protocol: JSON lines over a Unix socket, a server and a client connection.

A request is ``{"v": protocol, "i": n, "m": method, "a": [args], "k": {kwargs}, "r": request id?,
"t": retry?}``; the reply ``{"i": n, "ok": result}`` or ``{"i": n, "err": {"type", "message", "details"?}}``, or
``{"gone": true}`` when the owner is shutting down (the client then fails over). Every result is
plain JSON (times are ISO strings), so nothing needs converting on either side.

Versions: every request carries the protocol version ``v``, and the owner refuses a request of
another version (or none: a wave-1 client) with a ``ProtocolMismatch`` error naming both; the
client checks the version in the owner's hello and refuses an owner of another version. Two
Ouroboros releases on one database therefore fail clearly instead of misreading each other.
Version 2 added ``v`` itself.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from ouroboros import errors
from ouroboros.errors import InvalidInputError, OuroborosError, StoreBusyError, StoreError

__all__ = ["PROTOCOL", "OwnerGone", "RpcClient", "RpcServer", "mismatch_error"]

log = logging.getLogger(__name__)

PROTOCOL = 2
CALL_TIMEOUT = 300.0  # a bulk import batch can take seconds; a hung owner must not hang us forever

Handler = Callable[[str, list[Any], dict[str, Any], str | None, bool], Any]


class OwnerGone(Exception):
    """The owner closed or died; the caller should elect a new one and retry."""


def _encode(obj: Any) -> bytes:
    # ASCII escapes carry lone surrogates through, so the owner's validation can refuse them.
    return json.dumps(obj, separators=(",", ":")).encode("ascii") + b"\n"


def mismatch_error(owner: Any, client: Any) -> StoreError:
    """The error for two processes that speak different versions of this protocol."""
    return StoreError(
        f"store protocol mismatch: the owner of the database speaks version {owner}, this "
        f"process speaks {client}; run the same Ouroboros version in every process on one "
        "database (or stop the other one)",
        details={"owner_protocol": owner, "client_protocol": client},
    )


def _error_from(body: dict[str, Any]) -> OuroborosError:
    cls = getattr(errors, str(body.get("type")), None)
    message = str(body.get("message", "store error"))
    details = body.get("details") or None
    if isinstance(cls, type) and issubclass(cls, OuroborosError):
        try:
            return cls(message, details=details)
        except TypeError:
            pass
    return StoreError(message, details=details)


class RpcServer:
    """Accepts connections on a Unix socket and runs each request through ``handler``."""

    def __init__(self, path: str, handler: Handler, hello: dict[str, Any]) -> None:
        self.path = path
        self.handler = handler
        self.hello = hello
        self.closing = False
        self._conns: set[socket.socket] = set()
        self._busy = 0
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            os.unlink(path)  # a stale socket of a dead owner; we hold the lock, so it is ours
        except FileNotFoundError:
            pass
        old = os.umask(0o177)
        try:
            self._sock.bind(path)
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        self._sock.listen(128)
        self._thread = threading.Thread(target=self._accept, name="ouroboros-rpc", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._cond:
                self._conns.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="ouroboros-rpc-conn", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            reader = conn.makefile("rb")
            for line in reader:
                reply = self._handle(line)
                conn.sendall(_encode(reply))
        except OSError:
            pass
        finally:
            with self._cond:
                self._conns.discard(conn)
            conn.close()

    def _handle(self, line: bytes) -> dict[str, Any]:
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("not an object")
            rid = req.get("i")
        except ValueError:
            return {"err": {"type": "InvalidInputError", "message": "malformed request"}}
        with self._cond:
            if self.closing:
                return {"i": rid, "gone": True}
            self._busy += 1
        try:
            if req.get("v") != self.hello.get("protocol"):
                error = mismatch_error(self.hello.get("protocol"), req.get("v"))
                return {"i": rid, "err": error.to_dict()}
            if req.get("m") == "_hello":
                return {"i": rid, "ok": self.hello}
            result = self.handler(
                req["m"],
                list(req.get("a") or []),
                dict(req.get("k") or {}),
                req.get("r"),
                bool(req.get("t")),
            )
            return {"i": rid, "ok": result}
        except OuroborosError as exc:
            if self.closing:
                return {"i": rid, "gone": True}
            return {"i": rid, "err": exc.to_dict()}
        except Exception as exc:
            if self.closing:
                return {"i": rid, "gone": True}
            log.exception("store operation %s failed in the owner", req.get("m"))
            return {
                "i": rid,
                "err": {"type": "StoreError", "message": f"store owner failed: {exc}"},
            }
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()

    def stop_accepting(self, wait: float = 10.0) -> None:
        """Refuse new requests (they get ``gone``) and wait for running ones to finish."""
        with self._cond:
            self.closing = True
            self._cond.wait_for(lambda: self._busy == 0, timeout=wait)
        try:
            self._sock.close()
        except OSError:
            pass

    def disconnect_all(self) -> None:
        """Close every client connection (clients see EOF and fail over)."""
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class RpcClient:
    """A connection per thread to the owner's socket; ``call`` raises OwnerGone on loss."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[tuple[socket.socket, Any]] = []
        self._lock = threading.Lock()
        self._n = 0
        self.closed = False

    def connect(self) -> dict[str, Any]:
        """Open this thread's connection and return the owner's hello (raises OwnerGone)."""
        hello = self.call("_hello", [], {})
        if not isinstance(hello, dict) or hello.get("protocol") != PROTOCOL:
            owner = hello.get("protocol") if isinstance(hello, dict) else None
            raise mismatch_error(owner, PROTOCOL)
        return hello

    def _conn(self) -> tuple[socket.socket, Any]:
        pair: tuple[socket.socket, Any] | None = getattr(self._local, "pair", None)
        if pair is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
            except OSError as exc:
                sock.close()
                raise OwnerGone(str(exc)) from None
            sock.settimeout(CALL_TIMEOUT)
            pair = (sock, sock.makefile("rb"))
            self._local.pair = pair
            with self._lock:
                self._all.append(pair)
        return pair

    def _drop(self) -> None:
        pair = getattr(self._local, "pair", None)
        self._local.pair = None
        if pair is not None:
            pair[0].close()

    def call(
        self,
        method: str,
        args: list[Any],
        kwargs: dict[str, Any],
        request_id: str | None = None,
        retry: bool = False,
    ) -> Any:
        """Run ``method`` in the owner and return its result (raises its error, or OwnerGone).

        A closed client raises OwnerGone too: another thread of the store closed it while
        failing over, and this call, which picked it up just before, must retry on the new
        owner rather than fail with "the store is closed".
        """
        if self.closed:
            raise OwnerGone("this connection to the owner was closed by a failover")
        sock, reader = self._conn()
        with self._lock:
            self._n += 1
            n = self._n
        req: dict[str, Any] = {"v": PROTOCOL, "i": n, "m": method, "a": args, "k": kwargs}
        if request_id is not None:
            req["r"] = request_id
            if retry:
                req["t"] = True
        try:
            data = _encode(req)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"arguments of {method} are not JSON: {exc}") from None
        try:
            sock.sendall(data)
            line = reader.readline()
        except TimeoutError:
            self._drop()
            raise StoreBusyError(
                f"the store owner did not answer {method} within {CALL_TIMEOUT:.0f} s"
            ) from None
        except OSError as exc:
            self._drop()
            raise OwnerGone(str(exc)) from None
        if not line:
            self._drop()
            raise OwnerGone("connection closed")
        reply = json.loads(line)
        if reply.get("gone"):
            self._drop()
            raise OwnerGone("owner is closing")
        if "err" in reply:
            raise _error_from(reply["err"])
        return reply.get("ok")

    def close(self) -> None:
        """Close every connection of every thread."""
        self.closed = True
        with self._lock:
            pairs, self._all = self._all, []
        for sock, reader in pairs:
            try:
                reader.close()
                sock.close()
            except OSError:
                pass
