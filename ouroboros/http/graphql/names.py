"""The reversible mapping between EQL attribute names and GraphQL names.

GraphQL names are ``[_A-Za-z][_0-9A-Za-z]*``; EQL keywords allow ``/ - ? ! . * + < > = '``.
The mapping replaces each such character with a fixed spelling:

==========  ===========  ======================================  ============================
EQL         GraphQL      attribute                               GraphQL name
==========  ===========  ======================================  ============================
``/``       ``__``       ``:git/commits``                        ``git__commits``
``-``       ``_``        ``:system/current-state``               ``system__current_state``
``?``       ``_QMARK_``  ``:system/healthy?``                    ``system__healthy_QMARK_``
``!``       ``_BANG_``   ``:system/boot!``                       ``system__boot_BANG_``
``.``       ``_DOT_``    ``:ouroboros.index/attributes``         ``ouroboros_DOT_index__attributes``
``*`` ``+`` ``_STAR_`` ``_PLUS_``, ``>`` ``<`` ``=`` ``'`` → ``_GT_`` ``_LT_`` ``_EQ_`` ``_PRIME_``
==========  ===========  ======================================  ============================

(``?`` and ``!`` follow Clojure's own munging, ``_QMARK_`` / ``_BANG_``.) Inside an object type
whose *home namespace* is ``ns`` (``Entity`` for ``:entity/*``), an attribute of that namespace
drops it: ``:entity/relations-out`` is ``relations_out``; any other attribute keeps it qualified
(always containing ``__``). ``attribute_name`` inverts ``graphql_name`` for every attribute
without ``_``; ``_`` is kept as is, so ``:a/b_c`` and ``:a/b-c`` would collide — the schema
builder keeps a table per type and refuses collisions with ``NameCollisionError``.
"""

from __future__ import annotations

import re

from ouroboros.errors import RegistrationError

__all__ = [
    "NameCollisionError",
    "NameTable",
    "attribute_name",
    "encode",
    "graphql_name",
    "is_graphql_name",
    "pascal_case",
]

SPELLING: dict[str, str] = {
    "?": "_QMARK_",
    "!": "_BANG_",
    ".": "_DOT_",
    "*": "_STAR_",
    "+": "_PLUS_",
    ">": "_GT_",
    "<": "_LT_",
    "=": "_EQ_",
    "'": "_PRIME_",
}
_DECODE = sorted(((v, k) for k, v in SPELLING.items()), key=lambda kv: -len(kv[0]))
_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


class NameCollisionError(RegistrationError):
    """Two attributes (or tools) that map to the same GraphQL name in one type."""


def is_graphql_name(name: str) -> bool:
    """Return whether ``name`` is a valid GraphQL name that is not reserved (``__*``)."""
    return bool(_GRAPHQL_NAME.match(name)) and not name.startswith("__")


def encode(text: str) -> str | None:
    """Return ``text`` (a namespace, a name or ``ns/name``) spelled for GraphQL, else None."""
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(ch)
        elif ch == "/":
            out.append("__")
        elif ch == "-":
            out.append("_")
        elif ch in SPELLING:
            out.append(SPELLING[ch])
        else:
            return None
    name = "".join(out)
    return name if is_graphql_name(name) else None


def decode(name: str) -> str:
    """Return the EQL text a GraphQL name spells (the inverse of ``encode`` without ``_``)."""
    out = []
    i, n = 0, len(name)
    while i < n:
        ch = name[i]
        if ch != "_":
            out.append(ch)
            i += 1
            continue
        for spelled, original in _DECODE:
            if name.startswith(spelled, i):
                out.append(original)
                i += len(spelled)
                break
        else:
            if name.startswith("__", i):
                out.append("/")
                i += 2
            else:
                out.append("-")
                i += 1
    return "".join(out)


def graphql_name(attr: str, home: str | None = None) -> str | None:
    """Return the GraphQL field name of ``attr`` in a type whose home namespace is ``home``.

    None when the attribute has no namespace or characters the mapping does not spell.
    """
    ns, sep, name = attr.rpartition("/")
    if not sep or not ns or not name:
        return None
    if home is not None and ns == home:
        short = encode(name)
        return short if short is not None and "__" not in short else None
    return encode(attr)


def attribute_name(field: str, home: str | None = None) -> str:
    """Return the attribute a GraphQL field name stands for (the inverse of ``graphql_name``)."""
    text = decode(field)
    if "/" not in text and home is not None:
        return f"{home}/{text}"
    return text


def pascal_case(text: str) -> str:
    """Return a GraphQL type name for ``text``: ``git/commits`` → ``GitCommits``."""
    parts = re.split(r"[^0-9A-Za-z]+", text)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not name or not name[0].isalpha():
        name = "T" + name
    return name


class NameTable:
    """GraphQL names → what they stand for in one type; refuses a second meaning for a name."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.meaning: dict[str, str] = {}

    def claim(self, name: str, meaning: str) -> None:
        """Record that ``name`` stands for ``meaning``; raises NameCollisionError on a clash."""
        old = self.meaning.get(name)
        if old is not None and old != meaning:
            raise NameCollisionError(
                f"GraphQL name collision in {self.owner}: {old} and {meaning} both map to "
                f"{name!r}; rename one of them",
                details={"type": self.owner, "name": name, "meanings": [old, meaning]},
            )
        self.meaning[name] = meaning
