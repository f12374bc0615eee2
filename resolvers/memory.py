"""Memory resolvers: ``:memory/*`` attributes and the save / delete / clear mutations, over the store.

The original named its mutations by their Clojure vars (``ouroboros.memory/memory-save!``,
``memory-delete!``, ``memory-clear!``); here they are ``memory/save!``, ``memory/delete!`` and
``memory/clear!`` — the names the original's own docstrings used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ouroboros.errors import InvalidInputError
from ouroboros.resolvers.storeuse import audit_write, param, store_of, store_write

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["MEMORY_ATTRS", "memory_key", "operations"]

MEMORY_ATTRS = ["memory/value", "memory/exists?", "memory/created-at", "memory/updated-at"]
_MAX_KEY_CHARS = 1024
MEMORY_TYPES: dict[str, Any] = {
    "memory/value": Any,
    "memory/exists?": bool,
    "memory/created-at": str | None,
    "memory/updated-at": str | None,
}


def memory_key(value: Any) -> str | None:
    """Return ``value`` as a usable memory key, or None when no record can have it.

    Keys are strings; a keyword (``:k``) is its name without the colon. None, "", blank, too
    long or control-character keys can never be stored, so reads treat them as absent.
    """
    if not isinstance(value, str):
        return None
    key = str.__str__(value)
    if not key.strip() or len(key) > _MAX_KEY_CHARS or any(ord(c) < 32 or c == "\x7f" for c in key):
        return None
    return key


def _absent() -> dict[str, Any]:
    return {
        "memory/value": None,
        "memory/exists?": False,
        "memory/created-at": None,
        "memory/updated-at": None,
    }


def _write_key(params: Any, action: str) -> str:
    value = param(params, "memory/key", "key")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            f"{action} needs a non-empty string memory/key, got {value!r}",
            details={"memory/key": repr(value)},
        )
    return str.__str__(value)


ATTRIBUTE_DOCS: dict[str, str] = {
    "memory/key": "A memory entry's key.",
    "memory/value": "The JSON value stored under the key (nil when none).",
    "memory/exists?": "Whether a value is stored under the key.",
    "memory/created-at": "When the entry was first stored (ISO 8601, UTC).",
    "memory/updated-at": "When the entry was last written (ISO 8601, UTC).",
    "memory/all": "Every memory entry.",
    "memory/keys": "Every memory key, sorted.",
    "memory/meta": "How many memory entries there are, where and whether they persist.",
    "memory/saved?": "Whether the value was stored.",
    "memory/created?": "Whether the key was new.",
    "memory/deleted?": "Whether an entry existed and was deleted.",
    "memory/cleared?": "Whether memory was cleared.",
    "memory/count": "How many memory entries were removed.",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the memory resolvers and mutations over ``runtime.store``.

    Ident ``[:memory/key "k"]`` → ``:memory/value :memory/exists? :memory/created-at
    :memory/updated-at`` (an unknown, nil, empty or unusable key gives value nil and
    exists? false — never an error); ``{:memory/all [:memory/key :memory/value
    :memory/created-at :memory/updated-at]}``; ``:memory/keys`` (sorted); ``:memory/meta``
    (``{memory/count, memory/db, memory/persisted?}``). Mutations: ``(memory/save! {:memory/key
    "k" :memory/value v})`` → ``memory/key memory/value memory/saved? memory/created?``
    (any JSON value, nil included); ``(memory/delete! {:memory/key "k"})`` → ``memory/key
    memory/deleted?`` (whether it existed); ``(memory/clear!)`` → ``memory/cleared?
    memory/count`` (how many were removed). Plain ``key`` / ``value`` params work too.
    """
    from ouroboros import document, mutation, resolver
    from ouroboros.resolvers.runtime import settings_of

    @resolver(
        name="memory/get",
        doc="The value stored in memory under a key, and when it was written.",
        input=["memory/key"],
        output=MEMORY_ATTRS,
        types=MEMORY_TYPES,
        blocking=True,
    )
    def get_resolver(env: Any, data: Any) -> dict[str, Any]:
        key = memory_key(data.get("memory/key"))
        if key is None:
            return _absent()
        record = store_of(runtime, env).memory_get(key)
        if record is None:
            return _absent()
        return {
            "memory/value": record["value"],
            "memory/exists?": True,
            "memory/created-at": record.get("created_at"),
            "memory/updated-at": record.get("updated_at"),
        }

    @resolver(
        name="memory/all",
        doc="Every memory entry with its value and times.",
        output=[
            {
                "memory/all": [
                    "memory/key",
                    "memory/value",
                    "memory/exists?",
                    "memory/created-at",
                    "memory/updated-at",
                ]
            }
        ],
        types={"memory/all": list},
        blocking=True,
    )
    def all_resolver(env: Any, _data: Any) -> dict[str, Any]:
        return {
            "memory/all": [
                {
                    "memory/key": r["key"],
                    "memory/value": r["value"],
                    "memory/exists?": True,
                    "memory/created-at": r.get("created_at"),
                    "memory/updated-at": r.get("updated_at"),
                }
                for r in store_of(runtime, env).memory_all()
            ]
        }

    @resolver(
        name="memory/keys",
        doc="Every memory key, sorted.",
        output=["memory/keys"],
        types={"memory/keys": list},
        blocking=True,
    )
    def keys_resolver(env: Any, _data: Any) -> dict[str, Any]:
        return {"memory/keys": list(store_of(runtime, env).memory_keys())}

    @resolver(
        name="memory/meta",
        doc="How many memory entries there are and where they are stored.",
        output=["memory/meta"],
        types={"memory/meta": dict},
        blocking=True,
    )
    def meta_resolver(env: Any, _data: Any) -> dict[str, Any]:
        store = store_of(runtime, env)
        path = getattr(store, "path", None) or settings_of(runtime, env).db_path
        return {
            "memory/meta": {
                "memory/count": len(store.memory_keys()),
                "memory/db": path,
                "memory/persisted?": path != ":memory:",
            }
        }

    @mutation(
        name="memory/save!",
        doc="Store a JSON value in memory under a key (replacing any old one).",
        output=["memory/key", "memory/value", "memory/saved?", "memory/created?"],
        params=["memory/key", "memory/value"],
        blocking=True,
    )
    def save_mutation(env: Any, params: Any) -> dict[str, Any]:
        params = dict(params or {})
        key = _write_key(params, "memory/save!")
        value = param(params, "memory/value", "value")
        record = store_write(env, store_of(runtime, env), "memory_set", key, value)
        audit_write(runtime, env, "memory/save!", key)
        return {
            "memory/key": key,
            "memory/value": record["value"],
            "memory/saved?": True,
            "memory/created?": bool(record.get("created")),
        }

    @mutation(
        name="memory/delete!",
        doc="Delete the memory entry under a key.",
        output=["memory/key", "memory/deleted?"],
        params=["memory/key"],
        blocking=True,
    )
    def delete_mutation(env: Any, params: Any) -> dict[str, Any]:
        params = dict(params or {})
        key = memory_key(param(params, "memory/key", "key"))
        existed = key is not None and store_write(env, store_of(runtime, env), "memory_delete", key)
        if existed:
            audit_write(runtime, env, "memory/delete!", key or "-")
        return {"memory/key": key, "memory/deleted?": bool(existed)}

    @mutation(
        name="memory/clear!",
        doc="Delete every memory entry.",
        output=["memory/cleared?", "memory/count"],
        blocking=True,
    )
    def clear_mutation(env: Any, _params: Any) -> dict[str, Any]:
        count = store_write(env, store_of(runtime, env), "memory_clear")
        audit_write(runtime, env, "memory/clear!", f"{count} keys")
        return {"memory/cleared?": True, "memory/count": count}

    return document(
        [
            get_resolver,
            all_resolver,
            keys_resolver,
            meta_resolver,
            save_mutation,
            delete_mutation,
            clear_mutation,
        ],
        ATTRIBUTE_DOCS,
    )
