"""The blocking and asyncio publishers against a real Herald: every route
group, idempotency keys and retries, typed errors."""
import asyncio
import threading
import time
import unittest

from support import API_KEY, SECRET, Herald, SinkServer, base_url, free_port, wait_for, ws_url

from herald_client import (AsyncPublisher, BadRequest, Backoff, HeraldClient, NotFound,
                           PayloadTooLarge, Publisher, TransportError, Unauthorized, make_token)

FAST = Backoff(initial=0.05, max=0.5, jitter=0.2)


class BlockingPublisher(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = SinkServer().__enter__()
        cls.h = Herald(sinks=[{"name": "hook", "kind": "webhook", "url": cls.sink.url("/hook"),
                               "rate_per_sec": 1000}],
                       channels=[{"match": "orders.*", "history_size": 50, "presence": True}],
                       queue__max_attempts=1, queue__poll_interval="50ms",
                       server__max_body_bytes=65536).start()
        cls.pub = Publisher(base_url(cls.h), API_KEY, retries=2, backoff=FAST)

    @classmethod
    def tearDownClass(cls):
        cls.pub.close()
        cls.h.stop()
        cls.sink.__exit__(None, None, None)

    def test_publish_targets_and_idempotency(self):
        a = self.pub.publish("order.paid", {"id": 1}, user="ann", idempotency_key="pay-1")
        again = self.pub.publish("order.paid", {"id": 1}, user="ann", idempotency_key="pay-1")
        self.assertEqual(a, again)  # the first answer, not a second event
        one = self.pub.publish("order.paid", {"id": 2}, user="ann")
        two = self.pub.publish("order.paid", {"id": 2}, user="ann")
        self.assertNotEqual(one["id"], two["id"])  # fresh keys: two events
        ch = self.pub.publish("tick", {"n": 1}, channel="orders.1")
        self.assertTrue(ch["stored"])
        self.assertIn("offset", ch)
        self.assertIn("id", self.pub.publish("maintenance", {}, broadcast=True))
        with self.assertRaises(ValueError):
            self.pub.publish("x", user="ann", channel="orders.1")

    def test_batch_results_in_order(self):
        results = self.pub.publish_batch([
            {"user": "bob", "event": "a", "data": 1},
            {"user": "bob", "data": 2},  # no event: refused, the others go on
            {"channel": "orders.2", "event": "c", "data": 3},
        ])
        self.assertEqual(len(results), 3)
        self.assertIn("id", results[0])
        self.assertIn("error", results[1])
        self.assertIn("offset", results[2])

    def test_typed_errors(self):
        with self.assertRaises(BadRequest) as bad:
            self.pub.publish("", user="ann")
        self.assertEqual(bad.exception.status, 400)
        self.assertIn("event", bad.exception.reason)
        with Publisher(base_url(self.h), "wrong-key") as wrong:
            with self.assertRaises(Unauthorized):
                wrong.publish("x", user="ann")
        with self.assertRaises(NotFound):
            self.pub.dlq_retry("j-nobody")
        with self.assertRaises(BadRequest):
            self.pub.notify("no-such-sink", "ops", text="hi")
        with self.assertRaises(PayloadTooLarge):
            self.pub.publish("big", "x" * 70000, user="ann")
        # The connection is still good after errors.
        self.assertEqual(self.pub.health()["status"], "ok")

    def test_history_inbox_receipt_presence_channels(self):
        for n in range(3):
            self.pub.publish("tick", {"n": n}, channel="orders.9")
        page = self.pub.history("orders.9", since=1, limit=10)
        self.assertEqual([e["data"]["n"] for e in page["events"]], [1, 2])
        first = self.pub.publish("note", {"n": 1}, user="carol")
        second = self.pub.publish("note", {"n": 2}, user="carol")
        inbox = self.pub.inbox("carol")
        self.assertEqual([e["id"] for e in inbox["events"]], [first["id"], second["id"]])
        self.assertEqual(inbox["unread"], 2)
        moved = self.pub.mark_read("carol", first["id"])
        self.assertEqual(moved["unread"], 1)
        self.assertEqual(self.pub.receipt(first["id"])["id"], first["id"])
        self.assertFalse(self.pub.presence("carol")["connected"])
        self.assertIn("carol", self.pub.presence_many(["carol", "dave"]))
        self.assertIn("channels", self.pub.channels(prefix="orders."))
        self.assertEqual(self.pub.channel_presence("orders.9")["sessions"], 0)
        self.assertIn("total_connections", self.pub.stats())

    def test_notify_dlq_and_retry(self):
        self.sink.always_fail.add("/hook")
        job = self.pub.notify("hook", "ops", text="disk full", data={"disk": "/"}, priority="high",
                              dedupe_key="disk-full-1")
        self.assertTrue(wait_for(lambda: any(j["job_id"] == job["job_id"] for j in self.pub.dlq())))
        self.assertEqual(self.pub.dlq(limit=1, offset=100), [])
        self.sink.always_fail.discard("/hook")
        self.assertTrue(self.pub.dlq_retry(job["job_id"])["retried"])
        self.assertTrue(wait_for(lambda: len(self.sink.hits("/hook")) >= 2))
        self.assertIn("waiting", self.pub.queue_stats())
        later = self.pub.notify_batch([{"sink": "hook", "to": "ops", "text": "t", "delay": "1h"}])
        self.assertIn("job_id", later[0])

    def test_control_routes_reach_a_live_client(self):
        async def scenario():
            client = HeraldClient(ws_url(self.h), make_token(SECRET, "erin"), backoff=FAST)
            got = []
            client.on("subscribed", lambda m: got.append(("subscribed", m["channel"])))
            client.on("unsubscribed", lambda m: got.append(("unsubscribed", m["channel"])))
            await client.wait_open(10)
            loop = asyncio.get_running_loop()
            r = await loop.run_in_executor(None, self.pub.subscribe, "erin", "ops.alerts")
            self.assertEqual(r["sessions"], 1)
            await wait_async(lambda: ("subscribed", "ops.alerts") in got)
            await loop.run_in_executor(None, self.pub.unsubscribe, "erin", "ops.alerts")
            await wait_async(lambda: ("unsubscribed", "ops.alerts") in got)
            await loop.run_in_executor(None, lambda: self.pub.disconnect("erin", reason="banned"))
            await asyncio.wait_for(client._runner, 10)  # 4003: it does not come back
            self.assertEqual(client.close_code, 4003)
            self.assertEqual(client.close_reason, "banned")
        asyncio.run(scenario())


async def wait_async(predicate, timeout=10):
    from support import eventually
    await eventually(predicate, timeout)


class Retries(unittest.TestCase):
    def test_a_keyed_publish_waits_out_a_restart_and_a_notify_without_key_does_not(self):
        port = free_port()
        h = Herald(server__listen=f"127.0.0.1:{port}")
        h.start()
        pub = Publisher(f"http://127.0.0.1:{port}", API_KEY, retries=8,
                        backoff=Backoff(initial=0.2, max=1.0, jitter=0))
        try:
            self.assertIn("id", pub.publish("before", user="ann"))
            h.stop()
            with self.assertRaises(TransportError):
                pub.notify("nowhere", "ops", text="not repeated")  # not safe to repeat: at once
            again = threading.Timer(0.5, h.start)
            again.start()
            answer = pub.publish("during", {"n": 1}, user="ann", idempotency_key="restart-1")
            again.join()
            self.assertIn("id", answer)
            self.assertEqual(pub.publish("during", {"n": 1}, user="ann", idempotency_key="restart-1"),
                             answer)
        finally:
            pub.close()
            h.stop()


class AsyncPublisherTest(unittest.TestCase):
    def test_the_same_api_as_coroutines_over_kept_connections(self):
        # http_idle_timeout 1s: kept connections the server closes are met again.
        with Herald(channels=[{"match": "feed.*", "history_size": 10}],
                    server__http_idle_timeout="1s") as h:
            async def scenario():
                async with AsyncPublisher(base_url(h), API_KEY, max_connections=4, backoff=FAST) as pub:
                    answers = await asyncio.gather(*(pub.publish("n", {"i": i}, channel="feed.a")
                                                     for i in range(40)))
                    self.assertEqual(sorted(a["offset"] for a in answers), list(range(1, 41)))
                    self.assertLessEqual(len(pub._idle), 4)
                    await asyncio.sleep(1.5)  # every kept connection is closed by the server now
                    self.assertIn("id", await pub.publish("after-idle", user="ann"))
                    page = await pub.history("feed.a", since=38)
                    self.assertEqual([e["data"]["i"] for e in page["events"]].__len__(), 2)
                    with self.assertRaises(BadRequest):
                        await pub.publish("", user="ann")
                    with self.assertRaises(NotFound):
                        await pub.receipt("e-nothing")
                    results = await pub.publish_batch([{"user": "ann", "event": "x"}] * 3)
                    self.assertEqual(len(results), 3)
                    self.assertEqual((await pub.health())["status"], "ok")
                async with AsyncPublisher(f"http://127.0.0.1:{free_port()}", API_KEY, retries=1,
                                          backoff=FAST) as nobody:
                    with self.assertRaises(TransportError):
                        await nobody.publish("x", user="ann")
            asyncio.run(scenario())


if __name__ == "__main__":
    unittest.main()
