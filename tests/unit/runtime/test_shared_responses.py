"""conformance.runtime.shared_responses: the discovery answers the run's xdist workers share. One fetch per
request over every process, no key on disk, a failed fetch never filed, and the suite under xdist
sends fewer requests with the same verdicts."""

from __future__ import annotations

import multiprocessing
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conformance.runtime.client import ApiClient
from conformance.runtime.redaction import PLACEHOLDER
from conformance.runtime.shared_responses import SharedResponses

KEY = "iris_0123456789abcdef0123456789abcdef"


class Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Counting.hits.append(self.path)
        body = f'{{"path": "{self.path}", "n": {len(Counting.hits)}}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Counting.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/"
    httpd.shutdown()


def client(base_url: str, shared: SharedResponses | None, key: str = KEY) -> ApiClient:
    return ApiClient(base_url, key, session=requests.Session(), timeout=5).sharing(shared)


def _fetch_in_another_process(base_url: str, directory: str, salt: str, out) -> None:
    out.put(client(base_url, SharedResponses(directory, salt)).get("stations", {"page": 1}).body)


def test_one_fetch_serves_every_process(server, tmp_path):
    first = client(server, SharedResponses(tmp_path, "run")).get("stations", {"page": 1})
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_fetch_in_another_process, args=(server, str(tmp_path), "run", out))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    bodies = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert Counting.hits == ["/api/stations?page=1"]
    assert bodies == [first.body, first.body]


def test_another_request_key_or_run_is_fetched_again(server, tmp_path):
    shared = SharedResponses(tmp_path, "run")
    client(server, shared).get("stations", {"page": 1})
    client(server, shared).get("stations", {"page": 2})
    client(server, shared, key="iris_fedcba9876543210fedcba9876543210").get("stations", {"page": 1})
    client(server, SharedResponses(tmp_path, "another run")).get("stations", {"page": 1})
    client(server, shared).get("stations", {"page": 1})
    assert len(Counting.hits) == 4
    assert shared.fetched == 3 and shared.hits == 1


def test_without_sharing_every_get_is_sent(server):
    api = client(server, None)
    api.get("stations")
    api.get("stations")
    assert len(Counting.hits) == 2


def test_the_key_is_never_written_and_a_shared_answer_shows_the_placeholder(server, tmp_path):
    # (the key is not registered for redaction here: the cache scrubs the key it was given)
    client(server, SharedResponses(tmp_path, "run")).get("stations")
    for path in tmp_path.iterdir():
        assert KEY.encode() not in path.read_bytes()
    read_back = client(server, SharedResponses(tmp_path, "run")).get("stations")
    assert len(Counting.hits) == 1
    assert KEY not in read_back.curl and PLACEHOLDER in read_back.curl


def test_a_failed_fetch_is_not_filed(tmp_path):
    shared = SharedResponses(tmp_path, "run")
    calls = []

    def refused():
        calls.append(1)
        raise requests.ConnectionError("refused")

    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            shared.get("digest", refused)
    assert len(calls) == 2
    assert not (tmp_path / "digest").exists()
