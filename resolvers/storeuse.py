"""What the store-backed resolvers share: the request's store, its params, and auditing writes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.errors import InvalidInputError, StoreError

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = [
    "audit_write",
    "blocks_unless_in_memory",
    "caller_id",
    "count_param",
    "param",
    "params_of",
    "store_of",
    "store_write",
]

log = logging.getLogger(__name__)


def params_of(env: Any) -> dict[str, Any]:
    """Return the EQL params of the attribute being resolved as a plain-string-keyed dict."""
    raw = getattr(env, "params", None) or {}
    return {str(k).lstrip(":"): v for k, v in raw.items()}


def param(params: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    """Return the first of ``names`` present in ``params`` (``max-depth`` or ``max_depth``...)."""
    for name in names:
        if name in params:
            return params[name]
        alt = name.replace("-", "_") if "-" in name else name.replace("_", "-")
        if alt in params:
            return params[alt]
    return default


def count_param(value: Any, *, name: str, default: int, low: int, high: int) -> int:
    """Return an integer param within ``[low, high]`` (``default`` when absent).

    Numeric strings are accepted (params may come from JSON); anything else, or a value out of
    range, raises ``InvalidInputError`` naming the param.
    """
    if value is None:
        return default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be an integer, got {value!r}", details={name: value})
    if not low <= value <= high:
        raise InvalidInputError(
            f"{name} must be from {low} to {high}, got {value}", details={name: value}
        )
    return value


def store_of(runtime: Runtime, env: Any) -> Any:
    """Return the store for this request: ``env.context["store"]`` if set, else the runtime's.

    Raises ``StoreError`` when neither is configured.
    """
    context = getattr(env, "context", None) or {}
    store = context.get("store") or runtime.store
    if store is None:
        raise StoreError("no store is configured for the memory and knowledge-graph resolvers")
    return store


def blocks_unless_in_memory(
    runtime: Runtime, method: str, args: Callable[[Any], tuple[Any, ...]] | None = None
) -> Callable[[Any], bool]:
    """Return a ``blocking=`` predicate for a read resolver that calls store ``method``.

    The call goes to a worker thread unless the request's store answers ``method`` (with
    ``args(env)``) from this process's memory: the owner's graph reads take microseconds,
    less than the thread hop. A client's store (RPC) or an unknown store keeps the thread.
    """

    def blocking(env: Any) -> bool:
        try:
            store = store_of(runtime, env)
        except StoreError:
            return True
        check = getattr(store, "answers_in_memory", None)
        if check is None:
            return True
        try:
            return not check(method, *(args(env) if args is not None else ()))
        except Exception:  # a bad param: let the resolver report it, in a thread as before
            return True

    return blocking


def store_write(env: Any, store: Any, method: str, *args: Any) -> Any:
    """Call write ``method`` of ``store``, carrying the tool call's pending audit when there is
    one for this store (the registry's ``PendingAudit`` in the context): the store inserts the
    record in the write's own transaction, so it commits with the write or not at all, and the
    registry does not audit the call again. The first write of a call claims it. A call made
    with an ``idempotencyKey`` (the registry's ``KeyedWrites`` in the context) gives each write
    its next key, so the store applies it at most once.
    """
    context = getattr(env, "context", None) or {}
    pending: Any = context.get("audit")
    claim = getattr(pending, "claim", None)
    record = claim(store) if claim is not None else None
    keyed: Any = context.get("idempotency")
    next_key = getattr(keyed, "next_key", None)
    key = next_key(store) if next_key is not None else None
    kw: dict[str, Any] = {} if key is None else {"idempotency_key": key}
    if record is None:
        return getattr(store, method)(*args, **kw)
    result = getattr(store, method)(*args, audit=record, **kw)
    pending.written = True
    return result


def caller_id(env: Any) -> str:
    """Return the id of the caller in the request context (``"local"`` when there is none)."""
    context = getattr(env, "context", None) or {}
    caller = context.get("caller")
    if caller is None:
        return "local"
    return str(getattr(caller, "id", caller)) or "local"


def _printable(text: str) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in str(text)[:200]).strip()
    return shown or "-"


def audit_write(runtime: Runtime, env: Any, action: str, target: str, outcome: str = "ok") -> None:
    """Append an audit record for a write done by a mutation, unless the caller already did.

    The tool registry audits the write tools it runs and marks that in the request context
    (``"audited": True``); a mutation reached any other way (``query_eql`` with mutations
    allowed, ``POST /eql``, GraphQL) is audited here. Auditing never fails the write.
    """
    context = getattr(env, "context", None) or {}
    if context.get("audited"):
        return
    try:
        store_of(runtime, env).audit(
            caller_id(env), f"mutation:{action}", _printable(target), outcome, None
        )
    except Exception:
        log.warning("could not audit %s", action, exc_info=True)
