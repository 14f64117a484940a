"""Operator auth: one operator, password hashed with argon2, JWT bearer tokens with expiry."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import sys
import time
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from backend.api.errors import ApiError
from backend.node.data_dir import DataDirError, write_private

log = logging.getLogger("chaindeck.auth")

TOKEN_LIFETIME = 12 * 3600
PASSWORD_FILE = "operator-password"
SECRET_FILE = "token-secret"
FAILED_LOGINS_PER_MINUTE = 10
# argon2 takes ~64 MiB and tens of ms a hash: at most this many at once, and at most
# LOGIN_QUEUE waiting behind them; past that a login is refused with 429 before it costs anything.
HASHING_AT_ONCE = 2
LOGIN_QUEUE = 8
# Addresses whose failures are remembered; the oldest is forgotten first.
RATE_TABLE_LIMIT = 4096


SECRET_BYTES = 32


# HS256 keys shorter than its 32-byte digest are refused, not warned about: a token signed with an
# empty key must never pass (an empty token-secret once let any client mine and move coins).
@functools.cache
def _jwt() -> Any:
    """PyJWT, imported on the first token: it brings cryptography's X.509 code (a tenth of a
    node's start-up), which a node nobody logs in to never needs."""
    import jwt

    return jwt


@functools.cache
def _codec() -> Any:
    return _jwt().PyJWT(options={"enforce_minimum_key_length": True})


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
    write_private(path, f"{user}:{password}\n".encode())
    print(
        f"operator credentials: {user}:{password} (kept in {path}, readable by you only)",
        file=sys.stderr,
        flush=True,
    )
    return user, password


def token_secret(data_dir: Path) -> bytes:
    """The key that signs operator tokens: exactly 32 random bytes, kept as hex. Anything else in
    the file is refused (DataDirError), never used: a short key makes tokens forgeable."""
    path = data_dir / SECRET_FILE
    if path.exists():
        text = path.read_bytes().strip()
        try:
            secret = bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            secret = b""
        if len(secret) != SECRET_BYTES:
            raise DataDirError(
                f"{path} must hold {SECRET_BYTES} bytes as hex; it does not (delete it to make "
                "a new one: operator tokens then need a new login)"
            )
        return secret
    secret = secrets.token_bytes(SECRET_BYTES)
    write_private(path, secret.hex().encode())
    return secret


class Auth:
    def __init__(self, user: str, password: str, secret: bytes, *, private: bool = False) -> None:
        self.user = user
        # Low-cost argon2 parameters would be wrong here: login is rare, guessing must be slow.
        self._hasher = PasswordHasher()
        self._hash = self._hasher.hash(password)
        self._secret = secret
        self.private = private
        self._attempts: OrderedDict[str, deque[float]] = OrderedDict()
        self._hashing = asyncio.Semaphore(HASHING_AT_ONCE)
        self._waiting = 0

    def _count_attempt(self, client: str) -> float:
        """Count a login attempt before its password is checked (so a burst of guesses sent at
        once is limited like one sent in turn); 429 past the limit. Returns the attempt's mark,
        which a successful login takes back."""
        now = time.monotonic()
        window = self._attempts.pop(client, None) or deque()
        while window and window[0] < now - 60:
            window.popleft()
        self._attempts[client] = window  # the most recent last: the oldest is evicted first
        while len(self._attempts) > RATE_TABLE_LIMIT:
            self._attempts.popitem(last=False)
        if len(window) >= FAILED_LOGINS_PER_MINUTE:
            retry = int(window[0] + 60 - now) + 1
            raise ApiError(
                429,
                "too many failed logins; try again later",
                headers={"Retry-After": str(retry)},
            )
        window.append(now)
        return now

    async def login(self, client: str, user: str, password: str) -> tuple[str, int]:
        """A token for the operator's credentials; 401 if wrong, 429 when limited or busy."""
        mark = self._count_attempt(client)
        if self._waiting >= HASHING_AT_ONCE + LOGIN_QUEUE:
            raise ApiError(429, "too many logins at once; try again", headers={"Retry-After": "1"})
        self._waiting += 1
        try:
            async with self._hashing:
                ok = await asyncio.get_running_loop().run_in_executor(
                    None, self.verify_password, user, password
                )
        finally:
            self._waiting -= 1
        if not ok:
            raise ApiError(401, "wrong username or password", "bad_credentials")
        window = self._attempts.get(client)
        with contextlib.suppress(ValueError):
            if window is not None:
                window.remove(mark)  # a good login is not a failure
        return self.issue()

    def verify_password(self, user: str, password: str) -> bool:
        """Blocking (argon2 is slow on purpose): runs on a worker thread."""
        try:
            ok = self._hasher.verify(self._hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        return ok and secrets.compare_digest(user, self.user)

    def issue(self) -> tuple[str, int]:
        now = int(time.time())
        claims = {"sub": self.user, "iat": now, "exp": now + TOKEN_LIFETIME}
        return _codec().encode(claims, self._secret, algorithm="HS256"), TOKEN_LIFETIME

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
            claims = _codec().decode(
                token.strip(),
                self._secret,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
            )
        except _jwt().ExpiredSignatureError:
            raise ApiError(
                401, "the token has expired; log in again", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        except _jwt().InvalidTokenError:
            raise ApiError(
                401, "the token is not valid", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if claims.get("sub") != self.user:
            raise ApiError(403, "this token's user may not do that")

    def token_valid(self, authorization: str) -> bool:
        try:
            self.check_header(authorization)
        except ApiError:
            return False
        return True

    # FastAPI dependencies ----------------------------------------------------------------------

    # async on purpose: FastAPI runs a sync dependency in a worker thread, a hop per request.
    async def operator(self, request: Request) -> None:
        self.check_header(request.headers.get("authorization"))

    async def reader(self, request: Request) -> None:
        if self.private:
            self.check_header(request.headers.get("authorization"))
