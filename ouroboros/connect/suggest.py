"""``did_you_mean``: the known attribute names closest to an unknown one, for error messages."""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterable
from typing import Any

from ouroboros.connect.shapes import attr_text

__all__ = ["did_you_mean", "known_attributes"]

_KNOWN: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def known_attributes(index: Any) -> frozenset[str]:
    """Return every attribute ``index`` knows: inputs, outputs and outputs nested in joins
    (``:git/subject`` inside ``:git/commits``); computed once per index."""
    found = _KNOWN.get(index)
    if found is None:
        names: set[str] = {str(a) for a in index.attributes}
        stack = [op.output for op in index.operations if getattr(op, "output", None)]
        while stack:
            shape = stack.pop()
            for attr in shape:
                names.add(str(attr))
                sub = shape[attr]
                if sub and not sub.recursive:
                    stack.append(sub)
        found = _KNOWN[index] = frozenset(names)
    return found


def did_you_mean(name: str, known: Iterable[str], *, limit: int = 3) -> str:
    """Return ``"; did you mean :a/b?"`` (or ``":a/b or :a/c?"``) naming the closest known
    attributes to ``name``, or ``""`` when none is close.

    Names are compared whole (``git/subjct`` ~ ``git/subject``) and by their local part within
    the same namespace, so a typo in either half finds its neighbour.
    """
    names = sorted({str(k) for k in known} - {name})
    close = difflib.get_close_matches(name, names, n=limit, cutoff=0.75)
    if not close:
        ns, _, local = name.rpartition("/")
        same_ns = [k for k in names if k.rpartition("/")[0] == ns]
        locals_ = {k.rpartition("/")[2]: k for k in same_ns}
        found = difflib.get_close_matches(local, list(locals_), n=limit, cutoff=0.6)
        close = [locals_[f] for f in found]
    if not close:
        return ""
    return "; did you mean " + " or ".join(attr_text(c) for c in close) + "?"
