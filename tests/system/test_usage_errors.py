"""A mistake in what the suite is given (the spec, an overlay, a waiver file) is a usage error
before any request: exit status 4, a message that names the element and says how to fix it, nothing
sent to the deployment, no verdict written."""

from __future__ import annotations

import subprocess
import sys

from suite_runner import ROOT


def test_a_misspelt_key_makes_the_suite_a_usage_error_before_any_request(tmp_path, run_suite):
    """The run ends with exit status 4 naming the key; the base URL it was given heard nothing."""
    import http.server
    import threading

    heard = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            heard.append(self.path)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            pass

    text = (ROOT / "specs" / "openapi.yaml").read_text(encoding="utf-8")
    at = text.index("orderby-param: orderby", text.index("\n  /sessions:"))  # misspelt in the sessions list
    bad_spec = tmp_path / "openapi.yaml"
    bad_spec.write_text(text[:at] + "order-by-param" + text[at + len("orderby-param"):], encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = run_suite(None, "--spec", str(bad_spec), "--profile", "smoke",
                        base_url=f"http://127.0.0.1:{server.server_port}", keys={"primary": "iris_not-used"})
    finally:
        server.shutdown()
        server.server_close()
    assert run.returncode == 4, run.output[-3000:]
    assert "order-by-param" in run.output and "orderby-param" in run.output
    assert "paths./sessions.get.x-resource.sort" in run.output
    assert heard == [], f"the suite sent requests although the spec is unusable: {heard}"
    assert run.testcases == [] and not (run.report_dir / "conformance.json").exists()


def test_the_suite_refuses_a_bad_overlay_before_any_request(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n"
                    "  - target: $.nowhere\n    update: {a: 1}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p", "no:cacheprovider",
                          "--overlay", str(path), "--collect-only", "-q"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 4, run.stdout + run.stderr
    assert "matches nothing in the spec" in run.stderr and "action 1" in run.stderr


def test_a_bad_waiver_file_is_a_usage_error_before_any_request(tmp_path, run_suite):
    bad = tmp_path / "bad.yaml"
    bad.write_text("waivers:\n  - requirement: GEO-3\n    reason: x\n    owner: y\n    expires: 2027-01-31\n")
    run = run_suite(None, "--profile", "smoke", "--waivers", str(bad))
    assert run.returncode == 4, run.output[-2000:]
    assert "'GEO-3' is not a requirement of the contract (did you mean 'GEO-03'?)" in run.output
    assert not (run.report_dir / "conformance.json").exists(), "no run: nothing was judged"
