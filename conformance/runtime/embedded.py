"""Start the embedded reference server as a child process and learn its base URL and demo keys.

The suite meets the reference server only over HTTP: it runs ``python -m conformance.reference`` and
reads the one JSON line the server prints on start-up. A program built on the reference server that
takes its options and prints the same line (the project's tests' lab, ``python -m lab``) starts the
same way, with ``module`` and the ``pythonpath`` that makes it importable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field


#: Server arguments of the embedded server a suite run starts (the benchmark starts the same one).
#: 500 requests per 1 s window: above the suite's own pace, so it seldom waits, and then for less than
#: a second (Retry-After); within reach of the rate-limit probe's concurrent burst in every profile.
SUITE_ARGS: tuple[str, ...] = ("--rate-limit", "500", "--rate-window", "1")
#: The module of the reference server (``python -m conformance.reference``).
REFERENCE_MODULE = "conformance.reference"


class EmbeddedServerError(RuntimeError):
    pass


@dataclass
class EmbeddedServer:
    args: tuple[str, ...] = ()
    startup_timeout: float = 60.0
    info: dict = field(default_factory=dict)
    #: what runs (``python -m MODULE``): the reference server or a program built on it
    module: str = REFERENCE_MODULE
    #: folders put before PYTHONPATH, where ``module`` is not installed
    pythonpath: tuple[str, ...] = ()
    _process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", self.module, "--host", "127.0.0.1", "--port", "0", "--quiet", *self.args]

    def environment(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join((*self.pythonpath, *filter(None, [os.environ.get("PYTHONPATH")])))
        return env

    def start(self) -> dict:
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                         env=self.environment())
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        if not line or not line[0].strip():
            self.stop()
            self._stderr.seek(0)
            detail = self._stderr.read().decode(errors="replace")[-2000:]
            raise EmbeddedServerError(f"the embedded reference server did not start: {detail or 'no output'}")
        self.info = json.loads(line[0])
        return self.info

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def base_url(self) -> str:
        return self.info["base_url"]

    @property
    def keys(self) -> dict[str, str]:
        return self.info["keys"]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
