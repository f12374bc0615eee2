"""Argument coercion and validation: JSON arguments from LLMs, checked against a tool's schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema

from ouroboros.errors import InvalidInputError

__all__ = ["coerce_arguments"]

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
