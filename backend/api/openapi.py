"""The OpenAPI document, made to say what the node answers (shared/spec/node-api.md).

FastAPI documents 422 for bad input, where the node answers 400 with its own error shape, and
knows nothing of what the node's middleware, protocol and auth answer (401, 403, 413, 415, 429,
431, 503). Clients generated from the document, and the schemathesis test that checks every
answer against it, need the real list.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a short code: validation_failed, ..."},
        "message": {"type": "string", "description": "what went wrong, for a person"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
# On the routes that need the operator's token (`openapi_extra`): documented as bearer auth.
OPERATOR_ONLY: dict[str, Any] = {"security": [{"operatorToken": []}]}

# Answered to any request: a head the guard refuses, a node not ready or unable to write.
_EVERYWHERE = {
    "400": "bad input: malformed JSON, a field that is not valid (see `errors`)",
    "403": "a Host that is not loopback on a loopback node, or a token not allowed this",
    "431": "request head over 64 KiB",
    "503": "starting, stopping, or unable to write (storage_failed)",
}
_WITH_BODY = {
    "413": "body over 1 MiB",
    "415": "a body that is not Content-Type: application/json",
}
_AUTH = {"401": "missing, expired or invalid operator token"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def install_openapi(api: FastAPI, private: bool) -> None:
    """Replace `api.openapi` with the corrected document. Operator routes carry OPERATOR_ONLY;
    with `private` every route needs a token."""

    def document() -> dict[str, Any]:
        if api.openapi_schema is not None:
            return api.openapi_schema
        schema = get_openapi(
            title=api.title, version=api.version, description=api.description, routes=api.routes
        )
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                responses: dict[str, Any] = operation.setdefault("responses", {})
                validation = responses.get("422", {})
                if validation.get("description") == "Validation Error":
                    del responses["422"]  # FastAPI's: the node answers 400 instead
                extra = dict(_EVERYWHERE)
                if method in ("post", "put", "patch"):
                    extra.update(_WITH_BODY)
                if private:
                    operation.update(OPERATOR_ONLY)
                if "security" in operation:
                    extra.update(_AUTH)
                if "{" in path:
                    extra["404"] = "no such block, transaction or wallet"
                if path == "/api/v1/auth/login":
                    extra.update(_AUTH)
                    extra["429"] = "too many failed logins from this address, or logins at once"
                for code, text in extra.items():
                    described = responses.get(code, {}).get("description")
                    responses[code] = _error(described or text)
                for code, answer in responses.items():
                    if code >= "400" and "content" not in answer:
                        answer["content"] = _error("")["content"]
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Error"] = ERROR_SCHEMA
        components["securitySchemes"] = {
            "operatorToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "a token from POST /api/v1/auth/login",
            }
        }
        api.openapi_schema = schema
        return schema

    api.openapi = document  # type: ignore[method-assign]
