"""Argument coercion and validation: JSON arguments from LLMs, checked against a tool's schema."""

from __future__ import annotations

import json
import numbers
import operator
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

from ouroboros.errors import InvalidInputError

__all__ = ["coerce_arguments", "compile_check", "is_valid"]

_VALIDATORS: dict[int, tuple[Mapping[str, Any], jsonschema.Draft202012Validator]] = {}
_MAX_VALIDATORS = 1024

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _coerce(value: Any, schema: Mapping[str, Any]) -> Any:
    """Return ``value`` converted toward ``schema``'s type where the conversion is lossless.

    Models send numbers as strings (``"5"``), booleans as strings, and objects or arrays as JSON
    text; the original Ouroboros broke on exactly this. Anything that does not convert cleanly is
    left alone, and validation afterwards reports it.
    """
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if isinstance(value, str):
        text = value.strip()
        if "integer" in kinds and "string" not in kinds:
            try:
                return int(text)
            except ValueError:
                try:
                    number = float(text)
                except ValueError:
                    return value
                return int(number) if number.is_integer() else value
        if "number" in kinds and "string" not in kinds:
            try:
                number = float(text)
            except ValueError:
                return value
            return int(number) if number.is_integer() and "." not in text else number
        if "boolean" in kinds and "string" not in kinds:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            return value
        if ("object" in kinds or "array" in kinds) and "string" not in kinds and text[:1] in "[{":
            try:
                decoded = json.loads(text)
            except ValueError:
                return value
            return _coerce(decoded, schema)
        return value
    if isinstance(value, float) and "integer" in kinds and value.is_integer():
        return int(value)
    if (
        isinstance(value, bool)
        and ("integer" in kinds or "number" in kinds)
        and "boolean" not in kinds
    ):
        return value  # leave: validation will say a boolean is not a number
    if isinstance(value, dict) and "object" in kinds:
        props = schema.get("properties", {})
        return {k: _coerce(v, props[k]) if k in props else v for k, v in value.items()}
    if isinstance(value, list) and "array" in kinds and isinstance(schema.get("items"), Mapping):
        return [_coerce(v, schema["items"]) for v in value]
    return value


# --- a fast validity check for the plain schemas tools use ---------------------------------
#
# jsonschema walks a schema with a generic, allocation-heavy machinery (~75 us for a small
# create_entities call, more for a search result). Tool schemas use a handful of keywords, so
# those are compiled once into a plain predicate with the same Draft 2020-12 meaning. It only
# says valid or not: an invalid value still goes through jsonschema, for the same messages.
# A schema with any other keyword gets no predicate (jsonschema does everything, as before).

Check = Callable[[Any], bool]
_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "$comment"})
_KEYWORDS = _ANNOTATIONS | {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
}


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, bool)


def _is_integer(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and v.is_integer()


_TYPES: dict[str, Check] = {
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "null": lambda v: v is None,
    "number": _is_number,
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
}


class _Unsupported(Exception):
    pass


def _number_bound(holds: Callable[[Any, Any], bool], bound: Any) -> Check:
    return lambda v: not _is_number(v) or holds(v, bound)


def _length_bound(holds: Callable[[Any, Any], bool], bound: Any) -> Check:
    return lambda v: not isinstance(v, str) or holds(len(v), bound)


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, Mapping) or not set(schema) <= _KEYWORDS:
        raise _Unsupported
    checks: list[Check] = []
    if "type" in schema:
        kinds = schema["type"]
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(kinds, list) or not all(k in _TYPES for k in kinds):
            raise _Unsupported
        tests = [_TYPES[k] for k in kinds]
        checks.append(tests[0] if len(tests) == 1 else lambda v: any(t(v) for t in tests))
    if "enum" in schema:
        options = schema["enum"]
        if not isinstance(options, list) or not all(type(o) is str for o in options):
            raise _Unsupported  # equality of other values has JSON Schema subtleties
        allowed = frozenset(options)
        checks.append(lambda v: isinstance(v, str) and v in allowed)
    for word, holds in (("minimum", operator.ge), ("maximum", operator.le)):
        if word in schema:
            bound = schema[word]
            if not _is_number(bound):
                raise _Unsupported
            checks.append(_number_bound(holds, bound))
    for word, holds in (("minLength", operator.ge), ("maxLength", operator.le)):
        if word in schema:
            bound = schema[word]
            if not _is_integer(bound):
                raise _Unsupported
            checks.append(_length_bound(holds, bound))
    if "required" in schema:
        required = schema["required"]
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise _Unsupported
        names = tuple(required)
        checks.append(lambda v: not isinstance(v, dict) or all(n in v for n in names))
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise _Unsupported
    props = {name: _compile(sub) for name, sub in properties.items()}
    extra: Check | None = None
    if "additionalProperties" in schema:
        extra = _compile(schema["additionalProperties"])
    if props or extra is not None:

        def check_object(v: Any, props: dict[str, Check] = props, extra: Any = extra) -> bool:
            if not isinstance(v, dict):
                return True
            for key, value in v.items():
                test = props.get(key, extra)
                if test is not None and not test(value):
                    return False
            return True

        checks.append(check_object)
    if "items" in schema:
        item = _compile(schema["items"])
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(c(v) for c in checks)


def compile_check(schema: Any) -> Check | None:
    """Return ``check(value) -> bool``, the Draft 2020-12 validity of ``value`` against
    ``schema``, or None when the schema uses a keyword this fast path does not implement."""
    try:
        return _compile(schema)
    except (_Unsupported, RecursionError):
        return None


_CHECKS: dict[int, tuple[Any, Check | None]] = {}


def is_valid(schema: Mapping[str, Any], value: Any) -> bool | None:
    """Return whether ``value`` is valid against ``schema`` by the fast path (cached per schema
    object), or None when the schema needs jsonschema."""
    cached = _CHECKS.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_CHECKS) >= _MAX_VALIDATORS:
            _CHECKS.clear()
        cached = (schema, compile_check(schema))
        _CHECKS[id(schema)] = cached
    check = cached[1]
    if check is None:
        return None
    try:
        return check(value)
    except Exception:  # values no JSON has (complex numbers...): let jsonschema judge
        return None


def _validator(schema: Mapping[str, Any]) -> jsonschema.Draft202012Validator:
    """Return the validator of ``schema``, built once per schema object (tools' schemas live as
    long as the tools; the entry holds the schema, so its id is not reused while cached)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    validator = jsonschema.Draft202012Validator(schema)
    if len(_VALIDATORS) >= _MAX_VALIDATORS:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def coerce_arguments(
    arguments: Mapping[str, Any] | str | None, schema: Mapping[str, Any], *, tool: str
) -> dict[str, Any]:
    """Return the arguments coerced to ``schema``, defaults filled in, and validated.

    Raises InvalidInputError naming the tool, the argument and what was expected.
    """
    if arguments is None:
        arguments = {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            raise InvalidInputError(f"{tool}: arguments are not valid JSON: {exc}") from None
    if not isinstance(arguments, Mapping):
        raise InvalidInputError(
            f"{tool}: arguments must be an object, got {type(arguments).__name__}"
        )
    props: Mapping[str, Any] = schema.get("properties", {})
    result: dict[str, Any] = {}
    for key, value in arguments.items():
        result[key] = _coerce(value, props[key]) if key in props else value
    for key, prop in props.items():
        if key not in result and "default" in prop:
            result[key] = prop["default"]
    if is_valid(schema, result):
        return result
    errors = sorted(_validator(schema).iter_errors(result), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path) or "(arguments)"
        raise InvalidInputError(
            f"{tool}: invalid argument {where}: {first.message}",
            path=[tool, *first.path],
            details={"argument": where, "problems": [e.message for e in errors[:5]]},
        )
    return result
