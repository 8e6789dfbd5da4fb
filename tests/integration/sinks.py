"""Real local HTTP servers that stand in for notification sinks: a webhook
receiver whose behaviour each test sets (fail N times, always fail, answer
slowly), and a fake Telegram Bot API that answers 429 with retry_after.
Every request is recorded with its arrival time and JSON body."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Backlogged(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops SYNs of a burst, and the
    # retransmit a second later would look like a burst the sender never made.
    request_queue_size = 128
    daemon_threads = True


class Served:
    """A local HTTP server on its own thread, for `with`."""

    def start_serving(self, handler):
        self.server = Backlogged(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SinkServer(Served):
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []          # (time, path, body)
        self.fail_first = {}        # path → how many requests still fail
        self.always_fail = set()    # paths answering 500
        self.slow = {}              # path → seconds to wait before answering
        self.telegram_429 = 0       # how many sendMessage calls still get 429
        self.raw = {}               # path → (status, body bytes): answered exactly so
        self.received = []          # (path, headers, body bytes) as they came
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(n)
                with owner.lock:
                    owner.received.append((self.path, dict(self.headers), raw))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                status, answer = owner._answer(self.path, body)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout)

        self.start_serving(Handler)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def _answer(self, path, body):
        with self.lock:
            self.requests.append((time.time(), path, body))
            delay = self.slow.get(path, 0)
            if path.endswith("/sendMessage"):
                if self.telegram_429 > 0:
                    self.telegram_429 -= 1
                    return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                                 "parameters": {"retry_after": 1}}
                return 200, {"ok": True, "result": {"message_id": len(self.requests)}}
            if path in self.raw:
                return self.raw[path]
            if path in self.always_fail:
                return 500, {"error": "down"}
            if self.fail_first.get(path, 0) > 0:
                self.fail_first[path] -= 1
                return 503, {"error": "try later"}
        if delay:
            time.sleep(delay)
        return 200, {"ok": True}

    def hits(self, path):
        with self.lock:
            return [(t, b) for t, p, b in self.requests if p == path]


class SinkBackendCase:
    """Mixed into a TestCase: setUp starts self.sink (a SinkServer) and
    self.h with the sinks `sinks_of(self.sink)` on `backend` ("sqlite", or
    "redis" on a real redis-server of its own)."""
    backend = "sqlite"

    def sinks_of(self, sink):
        raise NotImplementedError

    def setUp(self):
        from harness import Herald, RedisServer, wait_for
        self.redis = RedisServer().start() if self.backend == "redis" else None
        self.sink = SinkServer().__enter__()
        store = dict(storage__backend="redis", redis__url=self.redis.url) if self.redis else {}
        self.h = Herald(sinks=self.sinks_of(self.sink), queue__poll_interval="100ms", **store).start()
        if self.redis:
            wait_for(lambda: self.h.http("GET", "/api/v1/websocket/health", key=None)[0] == 200)

    def tearDown(self):
        self.h.stop()
        self.sink.__exit__()
        if self.redis:
            self.redis.stop()
