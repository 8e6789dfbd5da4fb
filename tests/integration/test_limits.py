"""Bad input and limits (docs/protocol.md, docs/http-api.md): clear errors, close codes, and
no harm to other clients."""
import http.client
import json
import socket
import time
import unittest

from harness import API_KEY, Herald, token, wait_for, ServerTestCase
from rawws import BINARY, TEXT, Closed, RawWS, UpgradeRefused


class BadInputTest(ServerTestCase):
    overrides = {"server__max_message_bytes": 1024, "session__max_frames_per_sec": 20}

    def client(self, user="bad"):
        ws = RawWS(self.h.port, "token=" + token(user))
        ws.recv()
        return ws

    def test_malformed_json_and_unknown_type_get_error_frames_and_the_connection_stays(self):
        ws = self.client()
        ws.send_frame(TEXT, "{oops")
        self.assertEqual(ws.recv()["code"], "bad_json")
        ws.send_json({"no": "type"})
        self.assertEqual(ws.recv()["code"], "bad_frame")
        ws.send_json({"type": "subscribe"})
        self.assertEqual(ws.recv()["code"], "bad_frame")
        ws.send_json({"type": "teleport"})
        err = ws.recv()
        self.assertEqual((err["type"], err["code"]), ("error", "unknown_type"))
        self.assertIn("message", err)
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv()["type"], "pong")
        ws.close()

    def test_binary_frame_closes_1003(self):
        ws = self.client()
        ws.send_frame(BINARY, b"\x00\x01")
        self.assertEqual(ws.recv_until_closed(), 1003)

    def test_oversized_frame_closes_1009(self):
        ws = self.client()
        ws.send_frame(TEXT, "x" * 2000)
        self.assertEqual(ws.recv_until_closed(), 1009)

    def test_invalid_utf8_closes_1007_and_unmasked_closes_1002(self):
        ws = self.client()
        ws.send_frame(TEXT, b"\xff\xfe")
        self.assertEqual(ws.recv_until_closed(), 1007)
        ws = self.client()
        ws.send_frame(TEXT, "hello", masked=False)
        self.assertEqual(ws.recv_until_closed(), 1002)

    def test_violations_are_not_resumable(self):
        t = token("violator")
        ws = RawWS(self.h.port, "token=" + t)
        sid = ws.recv()["session_id"]
        ws.send_frame(BINARY, b"\x00")
        ws.recv_until_closed()
        back = RawWS(self.h.port, f"token={t}&session_id={sid}&last_seq=0")
        self.assertFalse(back.recv()["resumed"])
        back.close()

    def test_rate_limited_frames_get_an_error(self):
        ws = self.client("chatterbox")
        for _ in range(40):
            ws.send_json({"type": "ping"})
        kinds = []
        deadline = time.time() + 3
        while time.time() < deadline and len(kinds) < 21:
            kinds.append(ws.recv(timeout=3).get("code", "pong"))
        self.assertIn("rate_limited", kinds)
        self.assertEqual(kinds.count("pong"), 20)
        ws.close()

    def test_bad_publish_bodies_get_400_with_a_reason(self):
        bad = [
            "not json",
            "[1,2]",
            json.dumps({"event": "x"}),
            json.dumps({"user": "u", "channel": "c", "event": "x"}),
            json.dumps({"user": "u"}),
            json.dumps({"user": "", "event": "x"}),
            json.dumps({"user": 5, "event": "x"}),
            json.dumps({"channel": "user:u1", "event": "x"}),
            json.dumps({"channel": "", "event": "x"}),
            json.dumps({"broadcast": "yes", "event": "x"}),
            json.dumps({"broadcast": True, "event": 7}),
        ]
        for body in bad:
            status, answer = self.h.http("POST", "/api/v1/publish", raw_body=body)
            self.assertEqual(status, 400, body)
            self.assertIsInstance(answer["error"], str)

    def test_http_errors_are_json(self):
        status, answer = self.h.http("GET", "/api/v1/nothing-here")
        self.assertEqual(status, 404)
        self.assertIn("error", answer)
        status, answer = self.h.http("GET", "/api/v1/publish")
        self.assertEqual(status, 405)
        # A body over server.max_body_bytes is refused from its Content-Length alone.
        s = socket.create_connection(("127.0.0.1", self.h.port))
        s.sendall(b"POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  API_KEY.encode() + b"\r\nContent-Length: 2097152\r\n\r\n" + b"x" * 1000)
        s.settimeout(5)
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += s.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)
        s.close()

    def test_garbage_on_the_port_hurts_no_one(self):
        ws = self.client("bystander")
        for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
                     b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                     bytes(range(256)) * 8):
            s = socket.create_connection(("127.0.0.1", self.h.port))
            s.sendall(junk)
            s.settimeout(3)
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
        self.assertEqual(self.h.publish(user="bystander", event="fine")["delivered"], 1)
        self.assertEqual(ws.recv()["event"], "fine")
        ws.close()


class ConnectionLimitTest(unittest.TestCase):
    def test_max_connections_gives_503_at_upgrade(self):
        with Herald(server__max_connections=2) as h:
            a = RawWS(h.port, "token=" + token("a"))
            b = RawWS(h.port, "token=" + token("b"))
            a.recv(), b.recv()
            with self.assertRaises(UpgradeRefused) as ctx:
                RawWS(h.port, "token=" + token("c"))
            self.assertEqual(ctx.exception.status, 503)
            self.assertIn("error", ctx.exception.body)
            a.close(1000)
            a.recv_until_closed()
            wait_for(lambda: h.stats()["active_connections"] == 1)
            c = RawWS(h.port, "token=" + token("c"))
            self.assertEqual(c.recv()["type"], "welcome")


class SlowConsumerTest(unittest.TestCase):
    def test_a_client_that_never_reads_is_closed_1013_and_others_keep_receiving(self):
        with Herald(session__outbound_queue_max=64) as h:
            slow = RawWS(h.port, "token=" + token("slow"), rcvbuf=4096)
            slow.recv()
            fast = RawWS(h.port, "token=" + token("fast"))
            fast.recv()
            payload = {"blob": "z" * 16000}
            conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=10)
            ids = []
            received = []
            for i in range(600):
                conn.request("POST", "/api/v1/publish",
                             json.dumps({"broadcast": True, "event": f"e{i}", "data": payload}),
                             {"Authorization": "Bearer " + API_KEY})
                resp = conn.getresponse()
                ids.append(json.loads(resp.read())["id"])
                # The fast client keeps up.
                received.append(fast.recv())
            self.assertEqual([e["id"] for e in received], ids)
            self.assertEqual([e["seq"] for e in received], list(range(1, 601)))
            wait_for(lambda: h.stats()["slow_consumer_closes"] >= 1)
            self.assertEqual(h.stats()["slow_consumer_closes"], 1)
            wait_for(lambda: not h.presence("slow")["connected"])
            self.assertTrue(h.presence("fast")["connected"])


if __name__ == "__main__":
    unittest.main()
