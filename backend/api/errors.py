"""The spec's error shape: `{"error", "message", "errors"?}`, for every failure the API returns."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "duplicate",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "not_applicable",
    429: "rate_limited",
    431: "header_too_large",
    503: "not_ready",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.errors = errors
        self.headers = headers


def validation_error(errors: list[dict[str, str]], message: str | None = None) -> ApiError:
    return ApiError(
        400,
        message or "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        "validation_failed",
        errors,
    )


def error_body(status: int, code: str, message: str, errors: list | None = None) -> bytes:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return orjson.dumps(body)


def error_response(
    status: int,
    code: str,
    message: str,
    errors: list | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        error_body(status, code, message, errors),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        # The contract answers bad input with 400 and field errors; FastAPI's default is 422.
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return error_response(400, "validation_failed", message, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        message = {
            404: "no such resource",
            405: "method not allowed here",
        }.get(status, str(exc.detail))
        return error_response(status, CODES.get(status, "error"), message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        # The contract allows no 500; this is a bug in the node, logged with its traceback.
        import logging

        logging.getLogger("chaindeck.api").exception("unexpected error", exc_info=exc)
        return error_response(503, "internal_error", "the node hit an unexpected error")
