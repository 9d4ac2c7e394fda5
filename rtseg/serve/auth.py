"""The optional access token: ``Authorization: Bearer <token>`` or ``?token=<token>``."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs


def request_token(authorization: str | None, query: str) -> str | None:
    """The token a request carries: the Bearer header first, else the ``token`` parameter."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    values = parse_qs(query, keep_blank_values=True).get("token")
    return values[0] if values else None


def authorized(expected: str | None, authorization: str | None, query: str) -> bool:
    """True when no token is configured or the request carries it (constant-time compare)."""
    if expected is None:
        return True
    given = request_token(authorization, query)
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
