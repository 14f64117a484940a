"""What a node call can fail with, in words a person can act on."""

from __future__ import annotations

from typing import Any


class NodeError(Exception):
    """A node answered with an error (`status` > 0) or could not be reached (`status` 0)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "unreachable",
        field_errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field_errors = field_errors or []

    @classmethod
    def from_response(cls, status: int, body: Any) -> NodeError:
        if isinstance(body, dict) and "message" in body:
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            return cls(
                str(body["message"]),
                status=status,
                code=str(body.get("error", "error")),
                field_errors=[e for e in errors if isinstance(e, dict)],
            )
        return cls(f"the node answered {status}", status=status, code="http_error")

    @property
    def unreachable(self) -> bool:
        return self.status == 0

    def field_message(self, field: str) -> str | None:
        for error in self.field_errors:
            if error.get("field") == field:
                return str(error.get("message", ""))
        return None

    def __str__(self) -> str:
        if self.field_errors:
            details = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in self.field_errors)
            return f"{self.message} ({details})"
        return self.message
