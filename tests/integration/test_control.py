"""docs/http-api.md, the control API: disconnect, subscribe/unsubscribe, presence
of many users and the channel list, on two nodes sharing a real Redis."""
import time
import unittest

from harness import RedisServer, wait_for
from rawws import Closed
from test_cluster import connect, health, node
from test_inbox import no_event


def next_frame(ws, timeout=5):
    """The next frame that is not an event."""
    while True:
        m = ws.recv(timeout=timeout)
        if m["type"] != "event":
            return m


class ControlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.a = node(cls.redis, delivery__batch_max=5)
        cls.b = node(cls.redis, delivery__batch_max=5)

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.b.stop()
        cls.redis.stop()

    def test_disconnect_closes_every_session_of_the_user_on_every_node(self):
        a1, _ = connect(self.a, "dora")
        a2, _ = connect(self.a, "dora")
        b1, _ = connect(self.b, "dora")
        other, _ = connect(self.b, "eve")
        status, body = self.a.http("POST", "/api/v1/disconnect",
                                   {"user": "dora", "code": 4009, "reason": "banned"})
        self.assertEqual((status, body), (200, {"user": "dora", "disconnected": 2}))
        for ws in (a1, a2, b1):
            with self.assertRaises(Closed) as ctx:
                next_frame(ws)
            self.assertEqual((ctx.exception.code, ctx.exception.reason), (4009, "banned"))
        other.send_json({"type": "ping"})
        self.assertEqual(other.recv()["type"], "pong")
        # The default code, and a user who may come back at once.
        again, _ = connect(self.b, "dora")
        self.assertEqual(self.b.http("POST", "/api/v1/disconnect", {"user": "dora"})[1]["disconnected"], 1)
        with self.assertRaises(Closed) as ctx:
            next_frame(again)
        self.assertEqual(ctx.exception.code, 4003)

    def test_subscribe_and_unsubscribe_act_on_every_node_and_not_on_later_sessions(self):
        on_a, _ = connect(self.a, "fay")
        on_b, _ = connect(self.b, "fay")
        status, body = self.b.http("POST", "/api/v1/subscribe", {"user": "fay", "channel": "ops.1"})
        self.assertEqual((status, body["sessions"]), (200, 1))
        for ws in (on_a, on_b):
            self.assertEqual(next_frame(ws), {"type": "subscribed", "channel": "ops.1"})
        r = self.a.publish(channel="ops.1", event="deploy", data={})
        for ws in (on_a, on_b):
            self.assertEqual(ws.events(1)[0]["id"], r["id"])
        later, welcome = connect(self.a, "fay")
        self.assertNotIn("ops.1", welcome["channels"])
        status, _ = self.a.http("POST", "/api/v1/unsubscribe", {"user": "fay", "channel": "ops.1"})
        self.assertEqual(status, 200)
        for ws in (on_a, on_b):
            self.assertEqual(next_frame(ws), {"type": "unsubscribed", "channel": "ops.1"})
        self.a.publish(channel="ops.1", event="deploy", data={})
        for ws in (on_a, on_b, later):
            self.assertTrue(no_event(ws, 0.3))

    def test_presence_of_many_users_counts_every_node(self):
        g1, _ = connect(self.a, "gil")
        h1, _ = connect(self.b, "hal")
        h2, _ = connect(self.b, "hal")

        def answer():
            status, body = self.a.http("POST", "/api/v1/presence", {"users": ["gil", "hal", "nobody"]})
            return body["users"] if status == 200 and body["users"]["hal"]["sessions"] == 2 else None

        users = wait_for(answer)
        self.assertEqual((users["gil"]["connected"], users["gil"]["sessions"]), (True, 1))
        self.assertEqual(users["hal"]["connected"], True)
        self.assertIsNotNone(users["hal"]["last_seen"])
        self.assertEqual(users["nobody"], {"connected": False, "sessions": 0, "last_seen": None})
        status, body = self.a.http("POST", "/api/v1/presence", {"users": ["u"] * 6})
        self.assertEqual(status, 400)
        self.assertIn("delivery.batch_max", body["error"])

    def test_channel_list_of_this_node_paged(self):
        s1, _ = connect(self.a, "ida", "channels=list.a,list.b,list.c")
        s2, _ = connect(self.a, "jon", "channels=list.a")
        connect(self.b, "kim", "channels=list.z")
        status, body = self.a.http("GET", "/api/v1/channels?prefix=list.")
        self.assertEqual(status, 200)
        self.assertEqual(body["channels"], [{"channel": "list.a", "sessions": 2},
                                            {"channel": "list.b", "sessions": 1},
                                            {"channel": "list.c", "sessions": 1}])
        self.assertIsNone(body["next"])
        status, page = self.a.http("GET", "/api/v1/channels?prefix=list.&limit=2")
        self.assertEqual([c["channel"] for c in page["channels"]], ["list.a", "list.b"])
        self.assertEqual((page["next"], page["total"]), ("list.b", 3))
        status, rest = self.a.http("GET", "/api/v1/channels?prefix=list.&limit=2&after=list.b")
        self.assertEqual([c["channel"] for c in rest["channels"]], ["list.c"])

    def test_bad_requests_get_a_json_reason(self):
        cases = [("POST", "/api/v1/disconnect", {"user": ""}, 400),
                 ("POST", "/api/v1/disconnect", {"user": "u", "code": 1000}, 400),
                 ("POST", "/api/v1/disconnect", {"user": "u", "reason": "x" * 200}, 400),
                 ("POST", "/api/v1/subscribe", {"user": "u", "channel": "user:v"}, 400),
                 ("POST", "/api/v1/subscribe", {"user": "u"}, 400),
                 ("POST", "/api/v1/presence", {"users": "u"}, 400),
                 ("GET", "/api/v1/disconnect", None, 405),
                 ("GET", "/api/v1/channels?limit=0", None, 400)]
        for method, path, body, want in cases:
            status, answer = self.a.http(method, path, body)
            self.assertEqual(status, want, (path, body))
            self.assertIn("error", answer)
        self.assertEqual(self.a.http("POST", "/api/v1/disconnect", {"user": "u"}, key="wrong")[0], 401)


if __name__ == "__main__":
    unittest.main()
