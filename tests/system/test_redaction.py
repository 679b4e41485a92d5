"""The API keys never leave the process: a server that echoes the key in its body, its headers and
its error messages makes the suite fail, but no output of the run contains the key."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

KEYS = {"primary": "iris_5ecret5ecret5ecret5ecret5ecret5e", "other_tenant": "iris_0therTenant0therTenant0therTen"}


class EchoingHandler(BaseHTTPRequestHandler):
    """Answers every GET with a list envelope that repeats the credential back, in several forms."""

    def do_GET(self):  # noqa: N802
        key = self.headers.get("x-api-key") or self.headers.get("Authorization", "").partition(" ")[2]
        body = {"success": True, "data": [{"id": 1, "echo": key, "note": f"your key is {key}"}],
                "pagination": {"page": 1, "pagesize": 10, "total": 1, "totalpages": 1}}
        if not key:
            body = {"success": False, "error": {"code": "MISSING_API_KEY", "message": "no key"}}
        raw = json.dumps(body).encode()
        self.send_response(200 if key else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo-Key", key)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def echoing_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()


def test_no_output_contains_a_key_even_when_the_server_echoes_it(echoing_server, run_suite):
    run = run_suite(None, "--profile", "smoke", "--requirements", "AUTH-07,PAGE-02",
                    base_url=echoing_server, keys=KEYS)
    assert run.returncode == 1, "the echoing server should fail the run"
    assert run.verdict("AUTH-07") == "FAILED"
    outputs = {"terminal": run.output}
    for path in run.report_dir.rglob("*"):  # the reports, summary.md, the manifest, the copied inputs
        if path.is_file():
            outputs[path.relative_to(run.report_dir).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    assert {"report.html", "junit.xml", "conformance.json", "summary.md", "manifest.json"} <= set(outputs)
    for name, text in outputs.items():
        for key in KEYS.values():
            secret = key.removeprefix("iris_")
            assert secret.lower() not in text.lower(), f"{name} leaks a key"
    assert "iris_***" in outputs["terminal"] + outputs["junit.xml"]


def test_no_output_contains_a_key_when_the_server_quotes_the_request_back(run_suite):
    """A non-JSON answer quoting the whole request (headers included) ends the run as cannot judge:
    its excerpt in the reason, the debug log and every report are still free of the key."""
    import hostile_servers

    with hostile_servers.Hostile(hostile_servers.echo_key) as server:
        run = run_suite(None, "--profile", "smoke", "--log-cli-level", "DEBUG", base_url=server.base_url, keys=KEYS)
    assert run.returncode == 2, run.output[-2000:]
    assert "key iris_*** refused" in run.conformance["meta"]["cannot_judge"], "the excerpt is in the reason, redacted"
    outputs = {"terminal": run.output, **{p.relative_to(run.report_dir).as_posix(): p.read_text(errors="replace")
                                          for p in run.report_dir.rglob("*") if p.is_file()}}
    for name, text in outputs.items():
        for key in KEYS.values():
            assert key.removeprefix("iris_").lower() not in text.lower(), f"{name} leaks a key"
