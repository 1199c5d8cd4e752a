"""A real HTTP server on loopback standing in for a roaming partner's platform (outside the project)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None


def envelope(data=None, status_code=1000, message=None):
    body = {"status_code": status_code, "timestamp": "2026-01-01T00:00:00Z"}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return body


@dataclass
class StubServer:
    """Routes map (METHOD, path) to a list of responses served in turn (the last one repeats).

    A response is ``(http_status, body, headers)``; ``body`` is a dict (sent as JSON), bytes or a callable taking
    the ``Recorded`` request and returning such a tuple.
    """

    routes: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)

    def start(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(self.command, parts.path, parts.query, dict(self.headers), body)
                stub.requests.append(recorded)
                queue = stub.routes.get((self.command, parts.path))
                if not queue:
                    status, payload, headers = 404, envelope(status_code=2000, message="stub: no route"), {}
                else:
                    response = queue.pop(0) if len(queue) > 1 else queue[0]
                    if callable(response):
                        response = response(recorded)
                    status, payload, headers = (*response, {})[:3] if len(response) == 2 else response
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, method: str, path: str, *responses):
        self.routes[(method, path)] = list(responses)

    def serve_ocpi_peer(self, *, versions=("2.2.1",), modules=("credentials", "locations"), token_check=None):
        """Make the stub answer versions and version details like a 2.2.1 peer."""
        self.route(
            "GET", "/ocpi/versions", (200, envelope([{"version": v, "url": f"{self.url}/ocpi/{v}"} for v in versions]))
        )
        for version in versions:
            endpoints = [
                {
                    "identifier": m,
                    "role": "RECEIVER" if m != "credentials" else "SENDER",
                    "url": f"{self.url}/ocpi/{version}/{m}",
                }
                for m in modules
            ]
            self.route("GET", f"/ocpi/{version}", (200, envelope({"version": version, "endpoints": endpoints})))

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]
