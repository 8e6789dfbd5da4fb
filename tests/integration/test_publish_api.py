"""docs/http-api.md: idempotent publishes (one node and two over a real Redis)
and POST /api/v1/publish/batch."""
import threading
import unittest

from harness import Herald, RedisServer
from rawws import RawWS
from test_cluster import connect, node
from test_inbox import no_event


class IdempotencyTest(unittest.TestCase):

    def check_once(self, first, second, user):
        ws, _ = connect(first, user)
        body = {"user": user, "event": "order.paid", "data": {"n": 1}, "idempotency_key": "pay-" + user}
        s1, a1 = first.http("POST", "/api/v1/publish", body)
        s2, a2 = second.http("POST", "/api/v1/publish", body)
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual(a1, a2)  # the first answer again
        self.assertEqual(ws.events(1)[0]["id"], a1["id"])
        self.assertTrue(no_event(ws, 0.5))  # published once
        # Another key publishes again.
        body["idempotency_key"] = "pay-" + user + "-2"
        s3, a3 = second.http("POST", "/api/v1/publish", body)
        self.assertNotEqual(a3["id"], a1["id"])
        self.assertEqual(ws.events(1)[0]["id"], a3["id"])

    def test_same_key_same_answer_one_event_on_sqlite(self):
        with Herald() as h:
            self.check_once(h, h, "ivy")
            for bad in ("", "k" * 201, 7):
                status, answer = h.http("POST", "/api/v1/publish",
                                        {"user": "ivy", "event": "e", "idempotency_key": bad})
                self.assertEqual(status, 400)
                self.assertIn("idempotency_key", answer["error"])

    def test_same_key_on_two_nodes_over_redis(self):
        with RedisServer() as redis:
            a, b = node(redis), node(redis)
            try:
                self.check_once(a, b, "jay")
                # Many at once on both nodes: one event, every answer the same or "in progress".
                ws, _ = connect(a, "kai")
                body = {"user": "kai", "event": "e", "idempotency_key": "race"}
                answers = []
                threads = [threading.Thread(target=lambda h=h: answers.append(h.http("POST", "/api/v1/publish", body)))
                           for h in (a, b) * 5]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                ids = {ans["id"] for status, ans in answers if status == 200}
                self.assertEqual(len(ids), 1)
                self.assertTrue(all(status in (200, 409) for status, _ in answers))
                self.assertEqual(len(ws.events(1)), 1)
                self.assertTrue(no_event(ws, 0.5))
            finally:
                a.stop()
                b.stop()


class BatchTest(unittest.TestCase):

    def test_a_batch_of_1000_with_one_bad_item(self):
        with Herald(channels=[{"match": "hist.*", "history_size": 100}]) as h:
            ws, _ = connect(h, "lea", "view=room")
            items = [{"user": "lea", "event": "n", "data": {"n": i}} for i in range(997)]
            items.insert(500, {"user": "lea", "event": ""})  # bad: empty event name
            items.append({"channel": "room", "event": "c", "data": {}})
            items.append({"channel": "hist.1", "event": "h", "data": {}})
            status, body = h.http("POST", "/api/v1/publish/batch", {"items": items})
            self.assertEqual(status, 200)
            results = body["results"]
            self.assertEqual(len(results), 1000)
            self.assertIn("event", results[500]["error"])
            good = [r for i, r in enumerate(results) if i != 500]
            self.assertTrue(all("id" in r for r in good))
            self.assertTrue(all(r["stored"] for r in good[:997]))
            self.assertEqual(results[999]["offset"], 1)
            # Delivered in the batch's order.
            got = ws.events(998)
            self.assertEqual([e["data"].get("n") for e in got[:997]], list(range(997)))
            self.assertEqual(got[997]["channel"], "room")
            # Kept: a fresh session of the user gets them from the inbox (inbox_max 1000).
            ws.close()
            fresh = RawWS(h.port, "token=" + __import__("harness").token("lea") + "&last_event_id=" + results[0]["id"])
            self.assertEqual(fresh.recv()["type"], "welcome")
            self.assertEqual(len(fresh.events(996)), 996)

    def test_bad_batches_are_refused(self):
        with Herald(delivery__batch_max=3) as h:
            for body, want in (({"items": {}}, 400), ({}, 400),
                               ({"items": [{"broadcast": True, "event": "e"}] * 4}, 400)):
                status, answer = h.http("POST", "/api/v1/publish/batch", body)
                self.assertEqual(status, want)
                self.assertIn("error", answer)
            status, body = h.http("POST", "/api/v1/publish/batch", {"items": [1, {"user": "x"}]})
            self.assertEqual(status, 200)
            self.assertEqual([("error" in r) for r in body["results"]], [True, True])
            self.assertEqual(h.http("POST", "/api/v1/publish/batch", {"items": []})[1], {"results": []})


if __name__ == "__main__":
    unittest.main()
