"""docs/http-api.md: a user's inbox (list, unread count, read up to an id,
inbox_read on every node) and receipts, on two nodes over a real Redis."""
import unittest

from harness import RedisServer, wait_for
from test_cluster import connect, node


def next_of_type(ws, kind, timeout=5):
    while True:
        m = ws.recv(timeout=timeout)
        if m["type"] == kind:
            return m


class InboxApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        # Only acks move the cursor, as a badge count needs.
        cls.a = node(cls.redis, delivery__ack_required=True)
        cls.b = node(cls.redis, delivery__ack_required=True)

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.b.stop()
        cls.redis.stop()

    def inbox(self, h, user, query=""):
        status, body = h.http("GET", f"/api/v1/users/{user}/inbox" + query)
        self.assertEqual(status, 200, body)
        return body

    def test_list_read_and_badge_sync_across_nodes(self):
        ids = [self.a.publish(user="mia", event="n", data={"n": i})["id"] for i in range(3)]
        box = self.inbox(self.b, "mia")
        self.assertEqual((box["user"], box["unread"], box["cursor"]), ("mia", 3, None))
        self.assertEqual([e["id"] for e in box["events"]], ids)
        self.assertEqual([e["data"]["n"] for e in box["events"]], [0, 1, 2])
        self.assertFalse(any(e["read"] for e in box["events"]))
        page = self.inbox(self.b, "mia", f"?after={ids[0]}&limit=1")
        self.assertEqual([e["id"] for e in page["events"]], [ids[1]])

        phone, _ = connect(self.a, "mia")
        laptop, _ = connect(self.b, "mia")
        status, answer = self.a.http("POST", "/api/v1/users/mia/inbox/read", {"up_to": ids[1]})
        self.assertEqual(status, 200)
        self.assertEqual((answer["cursor"], answer["unread"], answer["moved"]), (ids[1], 1, True))
        for ws in (phone, laptop):
            self.assertEqual(next_of_type(ws, "inbox_read"), {"type": "inbox_read", "up_to": ids[1]})
        box = self.inbox(self.b, "mia")
        self.assertEqual((box["unread"], box["cursor"]), (1, ids[1]))
        self.assertEqual([e["read"] for e in box["events"]], [True, True, False])
        # Never back.
        status, answer = self.b.http("POST", "/api/v1/users/mia/inbox/read", {"up_to": ids[0]})
        self.assertEqual((status, answer["moved"], answer["cursor"]), (200, False, ids[1]))

    def test_bad_inbox_requests(self):
        self.a.publish(user="ned", event="n", data={})
        cases = [("GET", "/api/v1/users/ned/inbox?after=e-nope", None, 404),
                 ("GET", "/api/v1/users/ned/inbox?limit=0", None, 400),
                 ("POST", "/api/v1/users/ned/inbox/read", {"up_to": "e-nope"}, 404),
                 ("POST", "/api/v1/users/ned/inbox/read", {"up_to": 3}, 400),
                 ("POST", "/api/v1/users/ned/inbox", None, 405),
                 ("GET", "/api/v1/users/ned/outbox", None, 404),
                 ("GET", "/api/v1/events/e-nope", None, 404)]
        for method, path, body, want in cases:
            status, answer = self.a.http(method, path, body)
            self.assertEqual(status, want, path)
            self.assertIn("error", answer)
        self.assertEqual(self.a.http("GET", "/api/v1/users/ned/inbox", key="wrong")[0], 401)

    def test_receipt_after_delivery_on_two_nodes_and_an_ack(self):
        on_a, _ = connect(self.a, "ora")
        on_b, _ = connect(self.b, "ora")
        r = self.b.publish(user="ora", event="invoice.due", data={"n": 1})
        for ws in (on_a, on_b):
            self.assertEqual(ws.events(1)[0]["id"], r["id"])

        def delivered():
            status, body = self.a.http("GET", "/api/v1/events/" + r["id"])
            return body if status == 200 and len(body["delivered"]) == 2 else None

        receipt = wait_for(delivered)
        self.assertEqual((receipt["id"], receipt["target"], receipt["stored"]), (r["id"], "user:ora", True))
        self.assertEqual(sorted(d["node"] for d in receipt["delivered"]),
                         sorted([self.node_id(self.a), self.node_id(self.b)]))
        self.assertIsNone(receipt["acked_at"])
        self.assertIsNone(receipt["escalation"])
        on_a.send_json({"type": "ack", "id": r["id"]})
        acked = wait_for(lambda: self.b.http("GET", "/api/v1/events/" + r["id"])[1]["acked_at"])
        self.assertTrue(acked.endswith("Z"))
        # A channel event has no receipt.
        c = self.a.publish(channel="room", event="x", data={})
        self.assertEqual(self.a.http("GET", "/api/v1/events/" + c["id"])[0], 404)

    def node_id(self, h):
        return h.http("GET", "/api/v1/websocket/health", key=None)[1]["node_id"]


if __name__ == "__main__":
    unittest.main()
