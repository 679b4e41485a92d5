"""Keep API keys inside the process.

Every key the suite is given is registered here; everything the suite writes (failure messages,
curl repros, captured output, report extras, JUnit and JSON files) passes through ``redact``.
Besides the exact key, the forms a server might echo it in are scrubbed too: URL-encoded, JSON-
escaped, and the secret part after the ``iris_`` prefix on its own.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, quote_plus

PLACEHOLDER = "iris_***"
_MIN_SECRET_PART = 6


class Secrets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *keys: str | None) -> None:
        with self._lock:
            for key in keys:
                if key and key.strip():
                    self._keys.add(key)
            self._pattern = self._compile()

    def _compile(self) -> re.Pattern[str] | None:
        forms: set[str] = set()
        for key in self._keys:
            variants = {key, key.strip(), quote(key, safe=""), quote_plus(key), key.encode("unicode_escape").decode()}
            secret = key.split("_", 1)[1] if key.startswith("iris_") else key
            if len(secret.strip()) >= _MIN_SECRET_PART:
                variants |= {secret, quote(secret, safe="")}
            forms |= {v for v in variants if v}
        if not forms:
            return None
        ordered = sorted(forms, key=len, reverse=True)
        return re.compile("|".join(re.escape(f) for f in ordered), re.IGNORECASE)

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(PLACEHOLDER, text)

    def found_in(self, text: str) -> bool:
        """Whether ``text`` holds any registered key, in any of the forms ``redact`` scrubs."""
        pattern = self._pattern
        return bool(pattern is not None and text and pattern.search(text))

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self._pattern = None


#: The process-wide registry: the plugin adds every key it is given.
SECRETS = Secrets()


def redact(text: str) -> str:
    return SECRETS.redact(text)
