"""Authentication: who is calling, and for which tenant (contract AUTH-01..07, TEN-01).

The credential is the ``x-api-key`` header (stripped) when it is non-empty, else the token of an
``Authorization: Bearer <token>`` header (scheme case-insensitive, token stripped and non-empty).
Any other ``Authorization`` scheme counts as no credential. Keys are compared through their SHA-256
digests; no message or header ever repeats the credential.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .db import key_hash

REALM = "iris-external-api"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the key's row id (the rate-limit key) and its tenant."""

    key_id: int
    tenant_id: int


@dataclass(frozen=True)
class AuthFailure:
    """Why a request is refused: the status, error code, message and extra headers to send."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


class Authenticator:
    KEY_FORMAT = re.compile(r"iris_\S")

    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.clock = clock

    # ---------------------------------------------------------------------------- the decision
    def authenticate(self, headers: Mapping[str, str], scope: Mapping[str, Any] | None = None) -> Principal | AuthFailure:
        """Decide from the credential alone; ``scope`` (the request's ASGI scope) is what a server
        that wrongly looked at the path or query first would read: the clean one never does."""
        credential = self.credential(headers)
        if credential is None:
            return self.missing()
        if not self.well_formed(credential):
            return self.bad_format()
        principal = self.lookup(credential)
        if principal is None:
            return self.invalid()
        return principal

    # ------------------------------------------------------------------------------ the steps
    def credential(self, headers: Mapping[str, str]) -> str | None:
        """The credential sent, or None when there is none (``headers`` is case-insensitive)."""
        api_key = (headers.get("x-api-key") or "").strip()
        if api_key:
            return api_key
        authorization = (headers.get("authorization") or "").strip()
        parts = authorization.split(None, 1)
        if len(parts) == 2 and parts[0].lower() == "bearer":
            token = parts[1].strip()
            if token:
                return token
        return None

    def well_formed(self, credential: str) -> bool:
        return self.KEY_FORMAT.match(credential) is not None

    def lookup(self, credential: str) -> Principal | None:
        """The principal of a known, unrevoked, unexpired key; None otherwise."""
        row = self.conn.execute("SELECT id, tenant_id, revoked, expires_at FROM api_keys WHERE key_hash = ?",
                                (key_hash(credential),)).fetchone()
        if row is None or row["revoked"]:
            return None
        if row["expires_at"] is not None and row["expires_at"] < self.clock():
            return None
        return Principal(key_id=row["id"], tenant_id=row["tenant_id"])

    # ---------------------------------------------------------------------------- the refusals
    def challenge(self, error: str | None = None) -> dict[str, str]:
        value = f'Bearer realm="{REALM}"'
        if error:
            value += f', error="{error}"'
        return {"WWW-Authenticate": value}

    def missing(self) -> AuthFailure:
        return AuthFailure(401, "MISSING_API_KEY",
                           "API key not provided: send it in the x-api-key header or as a Bearer token",
                           self.challenge())

    def bad_format(self) -> AuthFailure:
        return AuthFailure(401, "INVALID_KEY_FORMAT", "API key has an invalid format: expected iris_<key>",
                           self.challenge("invalid_token"))

    def invalid(self) -> AuthFailure:
        return AuthFailure(401, "INVALID_API_KEY", "API key is invalid, revoked or expired",
                           self.challenge("invalid_token"))
