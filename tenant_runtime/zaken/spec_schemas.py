"""Validation of the polymorphic sub-objects (``Rol.betrokkeneIdentificatie`` per betrokkeneType,
``ZaakObject.objectIdentificatie`` per objectType) against the official document's own schemas.

The thirty-odd shapes are taken from the Zaken API document instead of being written out again: their OpenAPI 3.0
schema is turned into JSON Schema (``$ref`` inlined, ``nullable`` as a null alternative) and checked with
``jsonschema``; errors become ``invalidParams`` with ZGW codes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.openapi import spec_document

_DROP = {"discriminator", "readOnly", "writeOnly", "title", "description", "example", "examples", "externalDocs"}
_CODES = {
    "required": "required",
    "maxLength": "max_length",
    "minLength": "min_length",
    "enum": "invalid_choice",
    "pattern": "invalid",
    "maximum": "max_value",
    "minimum": "min_value",
    "maxItems": "max_length",
    "minItems": "min_length",
}


def _schemas() -> dict[str, Any]:
    components: dict[str, Any] = spec_document("zaken")["components"]["schemas"]
    return components


def _convert(node: Any, depth: int = 0) -> Any:
    if depth > 40:
        return {}
    if isinstance(node, list):
        return [_convert(item, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _convert(_schemas()[node["$ref"].rsplit("/", 1)[-1]], depth + 1)
    converted = {k: _convert(v, depth + 1) for k, v in node.items() if k not in _DROP and k != "nullable"}
    if converted.get("format") in ("uri", "date", "date-time", "email", "duration", "uuid"):
        converted.pop("format")
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def validator(schema_name: str) -> Draft7Validator:
    return Draft7Validator(_convert(_schemas()[schema_name]))


def _mapping(suffix: str, wrapper_key: str) -> dict[str, str]:
    """discriminator value → schema name of the identificatie object, read from the document."""
    schemas = _schemas()
    parent = "Rol" if suffix == "Rol" else "ZaakObject"
    result = {}
    for value, ref in schemas[parent]["discriminator"]["mapping"].items():
        parts = schemas[ref.rsplit("/", 1)[-1]]["allOf"]
        if len(parts) < 2:
            continue
        wrapper = schemas[parts[1]["$ref"].rsplit("/", 1)[-1]]
        result[value] = wrapper["properties"][wrapper_key]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    return result


@cache
def betrokkene_schemas() -> dict[str, str]:
    return _mapping("Rol", "betrokkeneIdentificatie")


@cache
def object_schemas() -> dict[str, str]:
    return _mapping("ZaakObject", "objectIdentificatie")


def _param(prefix: str, error: ValidationError) -> InvalidParam:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.message, str):
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    name = ".".join([prefix, *[p for p in path if p]])
    code = _CODES.get(str(error.validator), "invalid")
    if error.validator == "type" and error.instance is None:
        code = "null"
    return InvalidParam(name, code, error.message)


def validate_identificatie(prefix: str, schema_name: str, value: Any) -> None:
    """400 with one invalidParam per problem when ``value`` does not fit ``schema_name``."""
    errors = sorted(validator(schema_name).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        raise validation_problem([_param(prefix, e) for e in errors[:20]])
