"""docs/security.md: no request, frame or sink answer ends the process or grows it
without bound. Each test is one finding of the hardening review, sent the way
an attacker would send it, against the real binary; the server's RSS is read
from /proc/PID/status where memory is the point."""
import json
import os
import socket
import stat
import struct
import time
import unittest

from harness import API_KEY, SANITIZED, Herald, ServerTestCase, token, wait_for
from rawws import CLOSE, PING, Closed, RawWS, UpgradeRefused
from sinks import SinkServer


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw_http(port, request, timeout=10):
    """Sends raw request bytes; returns (status, body bytes) of the answer."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    s.close()
    return int(head.split()[1]), body


class HostileRequestsTest(ServerTestCase):
    overrides = {"session__max_frames_per_sec": 50, "session__rate_limit_close_after": "1s"}

    def alive(self):
        self.assertIsNone(self.h.proc.poll(), "herald died:\n" + self.h.log_text()[-3000:])
        status, health = self.h.http("GET", "/api/v1/websocket/health", key=None)
        self.assertEqual(status, 200, health)

    def test_bytes_that_are_not_utf8_in_a_path_get_400_and_kill_nothing(self):
        # H1: each of these aborted the process (nlohmann type_error 316 on an I/O thread).
        key = b"Authorization: Bearer " + API_KEY.encode() + b"\r\n"
        for method, target, auth in ((b"GET", b"/api/v1/\xff", b""), (b"GET", b"/console/\xff", b""),
                                     (b"GET", b"/api/v1/dlq/\xff/retry", key),
                                     (b"POST", b"/api/v1/dlq/\xff/x", key),
                                     (b"GET", b"/api/v1/presence/%ff", key),
                                     (b"PUT", b"/api/v1/optin/%ff/x", key),
                                     (b"GET", b"/api/v1/presence/a?x=\xfe", key)):
            status, body = raw_http(self.h.port, method + b" " + target + b" HTTP/1.1\r\nHost: x\r\n" + auth +
                                    b"Content-Length: 0\r\n\r\n")
            self.assertIn(status, (400, 404), (target, body))
            self.assertIn("error", json.loads(body))  # valid JSON, valid UTF-8
            self.assertNotIn(b"\xff", body)
        self.alive()

    def test_json_nested_deeper_than_max_json_depth_is_refused(self):
        # M1: 200,000 levels overflowed the stack in dump().
        deep = "[" * 200000 + "]" * 200000
        raw = '{"broadcast":true,"event":"x","data":' + deep + '}'
        status, body = self.h.http("POST", "/api/v1/publish", raw_body=raw)
        self.assertEqual(status, 400, body)
        self.assertIn("max_json_depth", body["error"])
        # 64 levels (the default limit, the body object included) still pass.
        ok = '{"broadcast":true,"event":"x","data":' + "[" * 63 + "]" * 63 + '}'
        self.assertEqual(self.h.http("POST", "/api/v1/publish", raw_body=ok)[0], 200)
        ws = RawWS(self.h.port, "token=" + token("deep"))
        ws.recv()
        ws.send_frame(1, '{"type":"subscribe","channel":' + "[" * 1000 + "]" * 1000 + '}')
        self.assertEqual(ws.recv()["code"], "bad_json")
        ws.close()
        self.alive()

    def test_a_continuation_length_that_wraps_closes_1002_and_buffers_nothing(self):
        # H2: the size check wrapped and every later byte was kept.
        ws = RawWS(self.h.port, "token=" + token("wrap"))
        ws.recv()
        before = rss_kib(self.h.proc.pid)
        ws.send_frame(1, b"x", fin=False)
        ws.sock.sendall(bytes([0x80, 0xFF]) + b"\xff" * 8 + b"\x00\x00\x00\x00")
        sent = 0
        try:
            while sent < 20 << 20:
                ws.sock.sendall(b"\x00" * 65536)
                sent += 65536
        except OSError:
            pass  # closed by the server: the point
        time.sleep(0.5)  # let the server read what the socket still holds
        if not SANITIZED:
            self.assertLess(rss_kib(self.h.proc.pid) - before, 8 * 1024)
        try:
            while True:
                op, payload = ws.recv_frame(timeout=5)
                if op == CLOSE:
                    self.assertEqual(struct.unpack("!H", payload[:2])[0], 1002)
                    break
        except (ConnectionError, OSError):
            pass  # reset before the close frame arrived: also no buffering
        ws.shut()
        self.alive()

    def test_a_client_that_pings_and_never_reads_is_bounded_and_closed(self):
        # H3: 35 MiB of pings grew the server by 877 MiB (pongs bypassed outbound_queue_max).
        ws = RawWS(self.h.port, "token=" + token("pinger"), rcvbuf=4096)
        ws.recv()
        before = rss_kib(self.h.proc.pid)
        ping = bytes([0x89, 0x80]) + b"\x00\x00\x00\x00"
        burst = ping * 10000
        sent, deadline = 0, time.time() + 20
        ws.sock.settimeout(2)
        try:
            while sent < 35 << 20 and time.time() < deadline:
                ws.sock.sendall(burst)
                sent += len(burst)
        except OSError:
            pass  # the server closed it (rate limit 1008)
        grown = rss_kib(self.h.proc.pid) - before
        if not SANITIZED:
            self.assertLess(grown, 32 * 1024, f"grew {grown} KiB after {sent} bytes of pings")
        self.assertTrue(wait_for(lambda: self.h.stats()["active_connections"] == 0, timeout=15),
                        "the flooding session was not closed")
        ws.shut()
        self.alive()

    def test_the_open_file_limit_is_raised_and_logged_at_start(self):
        self.assertIn("open-file limit", self.h.log_text())
        with open(f"/proc/{self.h.proc.pid}/limits") as f:
            line = next(l for l in f if l.startswith("Max open files"))
        soft, hard = line.split()[3:5]
        self.assertEqual(soft, hard)

    def test_metrics_is_cheap_and_names_no_session(self):
        ws = RawWS(self.h.port, "token=" + token("metered"))
        sid = ws.recv()["session_id"]
        for _ in range(3):
            status, text = self.h.http("GET", "/metrics", key=None)
            self.assertEqual(status, 200)
        self.assertNotIn(sid.encode(), text)
        self.assertNotIn(b"session s-", text)
        self.assertIn(b"herald_contained_failures_total", text)
        ws.close()

class HostileSinkTest(unittest.TestCase):

    def test_a_sink_answer_that_is_not_utf8_leaves_the_queue_and_dlq_working(self):
        # M2: a 500 whose 200-byte cut split a character killed the DLQ actor.
        with SinkServer() as sink:
            # A stray byte that is not UTF-8, a forged log line (L8), and a 200-byte
            # cut that splits an "é".
            forged = b"\n2026-01-01T00:00:00.000Z ERROR [registry] forged\n"
            sink.raw["/bad"] = (500, b"x\xff" + forged + "é".encode() * 150)
            hook = {"name": "bad", "kind": "webhook", "url": sink.url("/bad"), "rate_per_sec": 100,
                    "timeout": "2s", "breaker_failures": 50, "breaker_cooldown": "30s"}
            with Herald(sinks=[hook], queue__base_delay="50ms", queue__max_delay="100ms",
                        queue__max_attempts=2, queue__poll_interval="50ms") as h:
                status, body = h.notify(sink="bad", to="ops", text="hello")
                self.assertEqual(status, 202, body)
                self.assertTrue(wait_for(lambda: h.queue_stats().get("dead") == 1, timeout=15))
                status, dlq = h.http("GET", "/api/v1/dlq")
                self.assertEqual(status, 200, dlq)
                self.assertIn("HTTP 500", dlq["jobs"][0]["last_error"])
                status, actors = h.http("GET", "/api/v1/actors")
                self.assertEqual(status, 200, actors)
                self.assertEqual(h.http("GET", "/api/v1/queue/stats")[0], 200)
                self.assertIsNone(h.proc.poll())
                self.assertIn("is dead", h.log_text())
                self.assertNotIn("\n2026-01-01T00:00:00.000Z ERROR [registry] forged", h.log_text())


class LimitsOfSection7Test(unittest.TestCase):

    def test_pending_connections_beyond_max_pending_close_the_oldest(self):
        with Herald(server__max_pending=4, server__request_timeout="30s") as h:
            idle = [socket.create_connection(("127.0.0.1", h.port)) for _ in range(4)]
            time.sleep(0.2)
            newcomer = socket.create_connection(("127.0.0.1", h.port))
            time.sleep(0.2)
            idle[0].settimeout(5)
            self.assertEqual(idle[0].recv(1), b"", "the oldest pending connection was not closed")
            newcomer.sendall(b"GET /api/v1/websocket/health HTTP/1.1\r\nHost: x\r\n\r\n")
            newcomer.settimeout(5)
            self.assertTrue(newcomer.recv(100).startswith(b"HTTP/1.1 200"))
            _, metrics = h.http("GET", "/metrics", key=None)
            self.assertIn(b"herald_pending_evicted_total 1", metrics)
            for s in idle + [newcomer]:
                s.close()

    def test_a_request_must_arrive_within_request_timeout(self):
        with Herald(server__request_timeout="300ms") as h:
            s = socket.create_connection(("127.0.0.1", h.port))
            s.sendall(b"GET /api/v1/websocket/health HTTP/1.1\r\n")
            s.settimeout(5)
            t0 = time.time()
            while s.recv(4096):
                pass
            self.assertLess(time.time() - t0, 4)
            s.close()

    def test_headers_over_max_header_bytes_get_431(self):
        with Herald(server__max_header_bytes=2048) as h:
            status, body = raw_http(h.port, b"GET /api/v1/websocket/health HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                                    b"a" * 4096 + b"\r\n\r\n")
            self.assertEqual(status, 431)
            self.assertIn("max_header_bytes", json.loads(body)["error"])
            self.assertEqual(h.http("GET", "/api/v1/websocket/health", key=None)[0], 200)

    def test_connections_per_ip(self):
        with Herald(server__max_connections_per_ip=2) as h:
            a = RawWS(h.port, "token=" + token("a"))
            b = socket.create_connection(("127.0.0.1", h.port))
            time.sleep(0.1)
            status, body = raw_http(h.port, b"GET /api/v1/websocket/health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status, 429)
            self.assertIn("max_connections_per_ip", json.loads(body)["error"])
            b.close()
            time.sleep(0.1)
            self.assertEqual(h.http("GET", "/api/v1/websocket/health", key=None)[0], 200)
            a.close()

    def test_sessions_per_user_close_the_oldest_4008(self):
        with Herald(session__max_per_user=2) as h:
            first = RawWS(h.port, "token=" + token("many"))
            first.recv()
            second = RawWS(h.port, "token=" + token("many"))
            second.recv()
            third = RawWS(h.port, "token=" + token("many"))
            third.recv()
            self.assertEqual(first.recv_until_closed(), 4008)
            self.assertEqual(h.presence("many")["sessions"], 2)
            second.close()
            third.close()

    def test_allowed_origins_on_the_upgrade_and_the_api(self):
        with Herald(server__allowed_origins=["https://app.example"]) as h:
            with self.assertRaises(UpgradeRefused) as ctx:
                RawWS(h.port, "token=" + token("o"), {"Origin": "https://evil.example"})
            self.assertEqual(ctx.exception.status, 403)
            ok = RawWS(h.port, "token=" + token("o"), {"Origin": "https://app.example"})
            self.assertEqual(ok.recv()["type"], "welcome")
            ok.close()
            body = {"broadcast": True, "event": "x"}
            self.assertEqual(h.http("POST", "/api/v1/publish", body, headers={"Origin": "https://evil.example"})[0], 403)
            self.assertEqual(h.http("POST", "/api/v1/publish", body, headers={"Origin": "https://app.example"})[0], 200)
            self.assertEqual(h.http("POST", "/api/v1/publish", body)[0], 200)  # no Origin: a backend
            # The node's own console (same origin) keeps working.
            same = {"Origin": f"http://127.0.0.1:{h.port}"}
            self.assertEqual(h.http("POST", "/api/v1/console/token", headers=same)[0], 200)

    def test_a_cross_site_page_cannot_publish_with_the_default_open_api(self):
        # M6: with api_keys = [] any page the operator opened could publish (CSRF).
        with Herald(auth__api_keys=[]) as h:
            status, body = h.http("POST", "/api/v1/publish", {"broadcast": True, "event": "x"}, key=None,
                                  headers={"Origin": "https://evil.example"})
            self.assertEqual(status, 403, body)
            self.assertEqual(h.http("POST", "/api/v1/publish", {"broadcast": True, "event": "x"}, key=None)[0], 200)

    def test_anonymous_resume_needs_the_resume_token(self):
        # M7: any anonymous client knowing a session id could take it over.
        with Herald(auth__required=False) as h:
            ws = RawWS(h.port, "")
            w = ws.recv()
            self.assertEqual(len(w["resume_token"]), 32)
            ws.drop()
            time.sleep(0.2)
            thief = RawWS(h.port, f"session_id={w['session_id']}&last_seq=0")
            self.assertFalse(thief.recv()["resumed"])
            thief.close()
            owner = RawWS(h.port, f"session_id={w['session_id']}&resume_token={w['resume_token']}&last_seq=0")
            self.assertTrue(owner.recv()["resumed"])
            owner.close()

    def test_secrets_at_rest_are_0600_and_short_secrets_refuse_to_start(self):
        with Herald() as h:
            mode = stat.S_IMODE(os.stat(h.overrides["storage.path"]).st_mode)
            self.assertEqual(mode, 0o600)
        short = Herald(auth__jwt_secret="short")
        with self.assertRaises(RuntimeError) as ctx:
            short.start()
        self.assertIn("auth.jwt_secret", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
