"""Runs the real herald binary for integration tests.

Herald(...) writes a config file with the given overrides, starts the binary
on a free port (listen port 0; the port is read from the log), and stops it
with SIGTERM. Tokens are minted with PyJWT, HTTP goes through http.client.
"""
import http.client
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
import warnings

# Tests drop sockets on purpose; the interpreter need not remark on it.
warnings.simplefilter("ignore", ResourceWarning)

import jwt

HERALD_BIN = os.environ.get("HERALD_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "herald")
SECRET = "integration-secret-0123456789abcdef"
API_KEY = "test-api-key"


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(v)


def make_config(overrides, sinks=(), channels=()):
    sections = {
        "server": {"listen": "127.0.0.1:0", "threads": 2, "shutdown_grace": "5s",
                   "close_timeout": "1s"},
        "auth": {"jwt_secret": SECRET, "required": True, "api_keys": [API_KEY]},
        "log": {"level": "info"},
    }
    for key, value in overrides.items():
        section, name = key.split(".", 1)
        sections.setdefault(section, {})[name] = value
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in values.items())
    for name, tables in (("sinks", sinks), ("channels", channels)):
        for table in tables:
            lines.append(f"[[{name}]]")
            lines.extend(f"{k} = {toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def token(sub, channels=None, exp=None, secret=SECRET, alg="HS256", nbf=None):
    claims = {"sub": sub}
    if channels is not None:
        claims["channels"] = channels
    if exp is not None:
        claims["exp"] = exp
    if nbf is not None:
        claims["nbf"] = nbf
    return jwt.encode(claims, None if alg == "none" else secret, algorithm=alg)


# The ASan build's allocator keeps freed memory in quarantine, so its RSS says
# nothing about Herald's own bounds: memory-bound assertions hold in the Release run.
SANITIZED = os.environ.get("HERALD_SANITIZED") == "1"

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")


class Herald:
    def __init__(self, sinks=(), channels=(), **overrides):
        # Keys are "section.key" passed as section__key to stay valid Python names.
        self.overrides = {k.replace("__", "."): v for k, v in overrides.items()}
        self.sinks = list(sinks)
        self.channels = list(channels)
        self.dir = tempfile.mkdtemp(prefix="herald-it-")
        # The contract's default backend, in a file of this server's own.
        self.overrides.setdefault("storage.backend", "sqlite")
        self.overrides.setdefault("storage.path", os.path.join(self.dir, "herald.db"))
        self.config_path = os.path.join(self.dir, "herald.toml")
        with open(self.config_path, "w") as f:
            f.write(make_config(self.overrides, self.sinks, self.channels))
        self.log_path = os.path.join(self.dir, "herald.log")
        self.proc = None
        self.port = None

    def start(self, timeout=10):
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([HERALD_BIN, "--config", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.log_text()
            if "listening on 127.0.0.1:" in text:
                self.port = int(text.split("listening on 127.0.0.1:")[1].split()[0])
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("herald exited at start:\n" + text)
            time.sleep(0.02)
        raise RuntimeError("herald did not start:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        if getattr(self, "log", None):
            self.log.close()
        # Under the sanitizer build (./dev test's second pass) any report fails the test.
        text = self.log_text() if self.proc else ""
        for marker in SANITIZER_MARKERS:
            if marker in text:
                at = text.index(marker)
                raise AssertionError("sanitizer report from herald:\n" + text[max(0, at - 2000):at + 6000])
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- HTTP -------------------------------------------------------------

    def http(self, method, path, body=None, key=API_KEY, raw_body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        hdrs = dict(headers or {})
        if key:
            hdrs["Authorization"] = "Bearer " + key
        data = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = payload
        return resp.status, parsed

    def publish(self, **body):
        status, answer = self.http("POST", "/api/v1/publish", body)
        assert status == 200, (status, answer)
        return answer

    def notify(self, **body):
        return self.http("POST", "/api/v1/notify", body)

    def queue_stats(self):
        return self.http("GET", "/api/v1/queue/stats")[1]

    def stats(self):
        return self.http("GET", "/api/v1/websocket/stats", key=None)[1]

    def presence(self, user):
        return self.http("GET", "/api/v1/presence/" + user)[1]

    def ws_url(self, query=""):
        return f"ws://127.0.0.1:{self.port}/ws" + (("?" + query) if query else "")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RedisServer:
    """A real redis-server on a free loopback port, nothing saved to disk.
    stop() and start() again keep the port, to test a Redis restart."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="herald-redis-")
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=10):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.command("PING") == "PONG":
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def command(self, *args):
        """One command over a raw socket (RESP); the decoded reply or None on failure."""
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                req = f"*{len(args)}\r\n" + "".join(f"${len(str(a).encode())}\r\n{a}\r\n" for a in args)
                s.sendall(req.encode())
                f = s.makefile("rb")
                return _resp(f)
        except OSError:
            return None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _resp(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind in (b"+", b"-"):
        return rest
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp(f) for _ in range(n)]
    raise ValueError(line)


def wait_for(predicate, timeout=10, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


class ServerTestCase(unittest.TestCase):
    """Test cases sharing one Herald for the whole class, started with `overrides`."""
    overrides = {}

    @classmethod
    def setUpClass(cls):
        cls.h = Herald(**cls.overrides).start()

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
