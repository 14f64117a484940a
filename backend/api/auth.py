"""Operator auth: one operator, password hashed with argon2, JWT bearer tokens with expiry."""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from collections import defaultdict, deque
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from backend.api.errors import ApiError

log = logging.getLogger("chaindeck.auth")

TOKEN_LIFETIME = 12 * 3600
PASSWORD_FILE = "operator-password"
SECRET_FILE = "token-secret"
FAILED_LOGINS_PER_MINUTE = 10


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def resolve_operator(data_dir: Path, user: str, password: str | None) -> tuple[str, str]:
    """The operator's credentials: given, or kept in the data dir, or made up and printed once."""
    if password is not None:
        return user, password
    path = data_dir / PASSWORD_FILE
    if path.exists():
        stored_user, _, stored_password = path.read_text().strip().partition(":")
        if stored_password:
            return stored_user, stored_password
    password = secrets.token_urlsafe(18)
    _write_private(path, f"{user}:{password}\n")
    print(
        f"operator credentials: {user}:{password} (kept in {path}, readable by you only)",
        file=sys.stderr,
        flush=True,
    )
    return user, password


def token_secret(data_dir: Path) -> bytes:
    path = data_dir / SECRET_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    secret = secrets.token_bytes(32)
    _write_private(path, secret.hex())
    return secret


class Auth:
    def __init__(self, user: str, password: str, secret: bytes, *, private: bool = False) -> None:
        self.user = user
        # Low-cost argon2 parameters would be wrong here: login is rare, guessing must be slow.
        self._hasher = PasswordHasher()
        self._hash = self._hasher.hash(password)
        self._secret = secret
        self.private = private
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def check_rate(self, client: str) -> None:
        window = self._failures[client]
        cutoff = time.monotonic() - 60
        while window and window[0] < cutoff:
            window.popleft()
        if len(window) >= FAILED_LOGINS_PER_MINUTE:
            retry = int(window[0] - cutoff) + 1
            raise ApiError(
                429,
                "too many failed logins; try again later",
                headers={"Retry-After": str(retry)},
            )

    def verify_password(self, user: str, password: str) -> bool:
        """Blocking (argon2 is slow on purpose): call from a worker thread."""
        try:
            ok = self._hasher.verify(self._hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        return ok and secrets.compare_digest(user, self.user)

    def record_failure(self, client: str) -> None:
        self._failures[client].append(time.monotonic())

    def issue(self) -> tuple[str, int]:
        now = int(time.time())
        claims = {"sub": self.user, "iat": now, "exp": now + TOKEN_LIFETIME}
        return jwt.encode(claims, self._secret, algorithm="HS256"), TOKEN_LIFETIME

    def check_header(self, authorization: str | None) -> None:
        if not authorization:
            raise ApiError(
                401,
                "this needs an operator token: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "use Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            claims = jwt.decode(
                token.strip(),
                self._secret,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise ApiError(
                401, "the token has expired; log in again", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        except jwt.InvalidTokenError:
            raise ApiError(
                401, "the token is not valid", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if claims.get("sub") != self.user:
            raise ApiError(403, "this token's user may not do that")

    # FastAPI dependencies ----------------------------------------------------------------------

    # async on purpose: FastAPI runs a sync dependency in a worker thread, a hop per request.
    async def operator(self, request: Request) -> None:
        self.check_header(request.headers.get("authorization"))

    async def reader(self, request: Request) -> None:
        if self.private:
            self.check_header(request.headers.get("authorization"))
