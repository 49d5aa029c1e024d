"""The shapes aitasker recognises in text, each written once (standard library only)."""

from __future__ import annotations

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
"""An ID, as the API writes them (any case; the CLI sends lower case)."""

API_KEY = r"aitk_(?:live|test)_[A-Za-z0-9_-]+"
"""One of the platform's API keys: `aitk_live_` or `aitk_test_`, then the secret part."""
JWT = r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
"""A JSON Web Token: a base64url JSON header (`{"` is `eyJ`), payload and signature."""
TOKEN_SHAPE = f"{API_KEY}|{JWT}"
"""Anything shaped like a credential, wherever it appears in a text."""


def encodable(text: str) -> bool:
    """Whether `text` can be written as UTF-8: it holds no lone surrogate (bad bytes decoded)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def visible(text: str) -> bool:
    """Whether `text` holds something to read: not only whitespace, controls or zero-width
    characters (a rejection's reason must)."""
    return any(char.isprintable() and not char.isspace() for char in text)
