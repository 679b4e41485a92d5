"""Answers to the run's read-only discovery requests, shared by every process of the run.

Under xdist each worker builds its own inputs: the first page of every list, the record sample
(:mod:`conformance.inputs.sampling`), the near radius of the geo list, the details of sampled records.
They are the same requests in every worker (the sample is seeded from the run's seed), so over a
rate-limited link three workers paid three times for the same pages. The first process to need an
answer fetches it; the others read it from a directory next to the run's ledger.

Only fetches whose answer is an input, never the object of a check, go through here: a test that
asserts on the answer to its own request (stability, headers, auth) always sends it. A shared answer
was checked by the every-response oracles when it was fetched; it costs no request and no second
finding when it is read again.

Secrets: the key is never written. The cache file of an answer is named by a digest of the request
(the key included, so that tenants never share an answer) and holds the response with the request's
headers redacted; the curl repro of a shared answer shows the key as the placeholder, as every repro
does.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import threading
from pathlib import Path
from typing import Callable

import requests

from conformance.runtime.redaction import PLACEHOLDER, redact


class SharedResponses:
    """A directory of answers keyed by request, with one fetch per request over all processes."""

    def __init__(self, directory: str | Path, salt: str = ""):
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.salt = salt
        self._memo: dict[str, requests.Response] = {}
        self._lock = threading.Lock()
        #: answers this process read instead of fetching (the others it fetched itself)
        self.hits = 0
        self.fetched = 0

    def digest(self, method: str, url: str, headers: dict[str, str]) -> str:
        parts = [self.salt, method.upper(), url, *sorted(f"{k.lower()}:{v}" for k, v in headers.items())]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def get(self, digest: str, fetch: Callable[[], requests.Response], secret: str | None = None) -> requests.Response:
        """The answer filed under ``digest``; ``fetch`` sends the request when no process has yet.
        ``secret`` (the request's key) is never written, registered for redaction or not. A fetch that
        raises files nothing: the next reader tries again (and meets the same failure)."""
        with self._lock:
            if digest in self._memo:
                self.hits += 1
                return self._memo[digest]
            path = self.directory / digest
            fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # another process fetching it: wait for its answer
                response = self._load(path)
                if response is None:
                    response = fetch()
                    self._store(path, response, secret)
                    self.fetched += 1
                else:
                    self.hits += 1
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            self._memo[digest] = response
            return response

    @staticmethod
    def _load(path: Path) -> requests.Response | None:
        try:
            with open(path, "rb") as stored:
                return pickle.load(stored)
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            return None

    @staticmethod
    def _store(path: Path, response: requests.Response, secret: str | None) -> None:
        def scrub(text: str) -> str:
            return redact(text.replace(secret, PLACEHOLDER) if secret else text)

        response.content  # noqa: B018 - read the body before pickling (requests pickles _content)
        request = response.request.copy() if response.request is not None else None
        if request is not None:
            request.headers = requests.structures.CaseInsensitiveDict(
                {name: scrub(value) for name, value in request.headers.items()})
            request.url = scrub(request.url or "")
            request.hooks = requests.hooks.default_hooks()  # the run's hooks are this process's
        stored = requests.Response()
        stored.__setstate__({**response.__getstate__(), "request": request})
        partial = path.with_suffix(".part")
        with open(partial, "wb") as out:
            pickle.dump(stored, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # readers never see half a file


__all__ = ["SharedResponses"]
