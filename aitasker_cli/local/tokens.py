"""What a token is: whether it can travel in an HTTP header, which kind it is, when it expires."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timezone
from typing import Any, NamedTuple

from aitasker_cli.core import patterns
from aitasker_cli.core.errors import UsageError

_API_KEY = re.compile(patterns.API_KEY)
_JWT = re.compile(patterns.JWT)


class TokenKind(NamedTuple):
    """The kind of a token, for `auth status` and `doctor`, and a JWT's expiry."""

    kind: str
    """"api_key_live", "api_key_test", "jwt" or "unknown"."""
    label: str
    expires_at: datetime | None = None
    invalid_expiry: bool = False
    """A JWT whose `exp` claim is there but is no time (a string, NaN, past year 9999)."""


def check_token(value: str) -> str:
    """The token, if it can travel in an HTTP header: printable ASCII with no spaces."""
    token = value.strip()
    if not token:
        raise UsageError("the token is empty")
    if not all(33 <= ord(ch) <= 126 for ch in token):
        raise UsageError("the token contains spaces, control or non-ASCII characters")
    return token


def describe_token(value: str) -> TokenKind:
    """Which of the platform's token kinds this is and, for a JWT, when it expires.

    A token is an API key or a JWT when it starts with the shape that the stderr redaction
    hides as one (aitasker_cli/core/patterns.py), so the two never disagree about what a key is.
    """
    if _API_KEY.match(value):
        mode = value.split("_", 2)[1]  # "live" or "test", as patterns.API_KEY allows
        return TokenKind(f"api_key_{mode}", f"API key ({mode})")
    claims = _jwt_claims(value)
    if claims is None:
        return TokenKind("unknown", "unrecognised token")
    if "exp" not in claims:
        return TokenKind("jwt", "JWT")
    expires = _expiry(claims["exp"])
    return TokenKind("jwt", "JWT", expires, invalid_expiry=expires is None)


def _expiry(exp: object) -> datetime | None:
    """The time a JWT's `exp` claim names; None when it names none a datetime can hold."""
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(exp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):  # NaN, infinite, past 9999 or time_t
        return None


def _jwt_claims(value: str) -> dict[str, Any] | None:
    """The claims of a JWT-shaped token whose payload is a JSON object; None for any other."""
    parts = value.split(".")
    if len(parts) != 3 or not _JWT.match(value):
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None
