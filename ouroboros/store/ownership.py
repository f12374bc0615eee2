"""Who holds the database file: the first process becomes its owner, the others its clients.

DuckDB lets one process open a file; no other may open it meanwhile, not even read-only. So the
first Ouroboros process to open a path takes an ``fcntl`` lock on the sidecar ``<db>.lock``,
opens DuckDB and serves every other process over a Unix socket (mode 0600, in a 0700 directory
under ``$XDG_RUNTIME_DIR`` or ``/tmp``, named by a hash of the real path — socket paths are
limited to ~107 bytes). A process that cannot take the lock connects to that socket instead.
The kernel drops the lock when the owner exits or is killed, so a client that loses its
connection simply runs the same election again: it takes the lock and becomes the owner, or
connects to whoever did. Within one process, every ``open_store`` of a path shares one owner.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from typing import Any

from ouroboros.errors import StoreBusyError, StoreError
from ouroboros.store.embedding import Embedder
from ouroboros.store.eventrelay import OwnerHub
from ouroboros.store.local import LocalStore
from ouroboros.store.rpc import PROTOCOL, OwnerGone, RpcClient, RpcServer

__all__ = ["Owner", "elect", "lock_path", "socket_path"]

DEFAULT_TIMEOUT = 30.0

_owners: dict[str, Owner] = {}
_owners_lock = threading.Lock()


def lock_path(db_path: str) -> str:
    """Return the sidecar lock file of a database."""
    return db_path + ".lock"


def socket_path(db_path: str) -> str:
    """Return the owner's socket path for a database (short, per user, by path hash)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if not base or not os.path.isdir(base) or not os.access(base, os.W_OK):
        base = "/tmp"
    folder = os.path.join(base, f"ouroboros-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    info = os.stat(folder)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise StoreError(f"{folder} must be a private directory owned by this user (mode 0700)")
    digest = hashlib.sha256(db_path.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return os.path.join(folder, f"{digest}.sock")


class Owner:
    """This process's ownership of one database: the lock, the LocalStore, the RPC server."""

    def __init__(
        self, path: str, lock_fd: int, embedder: Embedder | str | None, timeout: float
    ) -> None:
        self.path = path
        self._lock_fd = lock_fd
        self.refs = 1
        self.local = LocalStore(path, embedder=embedder, timeout=timeout)
        self.sock_path = socket_path(path)
        self.hub = OwnerHub()  # the live event feed of every process on this file
        try:
            self.server = RpcServer(
                self.sock_path,
                self._handle,
                {"protocol": PROTOCOL, "pid": os.getpid(), "path": path},
            )
        except BaseException:
            self.hub.close()
            self.local.close()
            raise

    def _handle(
        self, method: str, args: list[Any], kwargs: dict[str, Any], rid: str | None, retry: bool
    ) -> Any:
        if method in ("_events_put", "_events_get"):
            return self.hub.handle(method, args)
        return self.local.execute(method, args, kwargs, request_id=rid, retry=retry)

    def release(self) -> None:
        """Drop one reference; the last one shuts down and hands the file over."""
        with _owners_lock:
            self.refs -= 1
            if self.refs > 0:
                return
            _owners.pop(self.path, None)
        self.hub.close()  # ends the clients' long polls, so no request keeps us waiting
        self.server.stop_accepting()
        try:
            self.local.close()
        finally:
            try:
                os.unlink(self.sock_path)
            except FileNotFoundError:
                pass
            os.close(self._lock_fd)  # releases the flock: a client can take over now
            self.server.disconnect_all()


def _try_lock(path: str) -> int | None:
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def elect(
    path: str, embedder: Embedder | str | None, timeout: float | None = None
) -> Owner | RpcClient:
    """Return this process's ``Owner`` of ``path`` or a connected ``RpcClient`` to the owner.

    Raises StoreBusyError if neither works within ``timeout`` seconds (default 30, or
    ``$OUROBOROS_STORE_TIMEOUT``).
    """
    if timeout is None:
        timeout = float(os.environ.get("OUROBOROS_STORE_TIMEOUT", DEFAULT_TIMEOUT))
    deadline = time.monotonic() + timeout
    delay = 0.002
    last = "no owner answered"
    while True:
        with _owners_lock:
            owner = _owners.get(path)
            if owner is not None:
                owner.refs += 1
                return owner
            fd = _try_lock(path)
            if fd is not None:
                try:
                    owner = Owner(path, fd, embedder, max(1.0, deadline - time.monotonic()))
                except BaseException:
                    os.close(fd)
                    raise
                _owners[path] = owner
                return owner
        client = RpcClient(socket_path(path))
        try:
            hello = client.connect()
            if hello.get("path") != path:
                raise StoreError(
                    f"socket {client.path} serves another database: {hello.get('path')}"
                )
            return client
        except OwnerGone as exc:  # the owner is starting up or just went away
            client.close()
            last = str(exc)
        if time.monotonic() >= deadline:
            raise StoreBusyError(
                f"database {path} is held by another process that did not answer within "
                f"{timeout:.0f} s ({last})",
                details={"path": path},
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
