"""docs/operations.md and the Redis half of §5: several nodes on one real
redis-server (started here on a free port) act as one; a Redis outage
degrades a node without stopping it, and the node recovers by itself."""
import signal
import time
import unittest

from harness import Herald, RedisServer, token, wait_for
from rawws import RawWS
import test_inbox
from test_inbox import no_event


def connect(h, user, query=""):
    """A client of `user`, allowed into any channel."""
    return test_inbox.connect(h, user, query, channels=["*"])


def node(redis, connected=True, **overrides):
    settings = dict(storage__backend="redis", redis__url=redis.url, redis__node_ttl="2s",
                    redis__health_interval="200ms", redis__connect_timeout="500ms",
                    redis__command_timeout="1s")
    settings.update(overrides)
    h = Herald(**settings).start()
    if connected:  # it connects in the background
        wait_for(lambda: health(h)[0] == 200)
    return h


def health(h):
    return h.http("GET", "/api/v1/websocket/health", key=None)


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.a = node(cls.redis)
        cls.b = node(cls.redis)
        wait_for(lambda: health(cls.a)[0] == 200 and health(cls.b)[0] == 200)

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.b.stop()
        cls.redis.stop()

    def test_a_publish_on_one_node_reaches_sessions_on_every_node(self):
        a, b = self.a, self.b
        on_a, _ = connect(a, "uma", "view=admin")
        on_b, _ = connect(b, "uma", "view=admin")
        other_b, _ = connect(b, "vic", "view=admin")
        r = a.publish(user="uma", event="meal_log.completed", data={"meal": 1})
        self.assertEqual((r["delivered"], r["stored"], r["nodes"]), (1, True, 1))
        self.assertEqual(on_a.events(1)[0]["id"], r["id"])
        got = on_b.events(1)[0]
        self.assertEqual((got["id"], got["channel"], got["data"]), (r["id"], "user:uma", {"meal": 1}))
        self.assertTrue(no_event(other_b, 0.3))

        c = b.publish(channel="admin", event="complaint.created")
        self.assertEqual((c["delivered"], c["nodes"]), (2, 1))
        for ws in (on_a, on_b, other_b):
            self.assertEqual(ws.events(1)[0]["id"], c["id"])
        for ws in (on_a, on_b, other_b):
            ws.close()

    def test_per_channel_order_holds_across_nodes(self):
        a, b = self.a, self.b
        far, _ = connect(b, "ord", "view=orders")
        ids = [a.publish(channel="orders", event="e", data={"n": i})["id"] for i in range(30)]
        self.assertEqual([e["id"] for e in far.events(30)], ids)
        far.close()

    def test_presence_answers_for_sessions_on_any_node(self):
        a, b = self.a, self.b
        # Another node's sessions show up once its presence write is in
        # Redis: a moment after the welcome.
        ws, _ = connect(b, "pia")
        wait_for(lambda: a.presence("pia")["sessions"] == 1)
        self.assertTrue(a.presence("pia")["connected"])
        ws2, _ = connect(a, "pia")
        wait_for(lambda: b.presence("pia")["sessions"] == 2)
        ws.close()
        ws2.close()
        wait_for(lambda: not a.presence("pia")["connected"] and not b.presence("pia")["connected"])
        p = b.presence("pia")
        self.assertEqual((p["connected"], p["sessions"]), (False, 0))
        self.assertIsNotNone(p["last_seen"])
        self.assertEqual(a.presence("never-seen")["last_seen"], None)

    def test_the_inbox_is_shared_by_every_node(self):
        a, b = self.a, self.b
        sent = [a.publish(user="ines", event="e", data={"n": i})["id"] for i in range(3)]
        ws, _ = connect(b, "ines")
        self.assertEqual([e["id"] for e in ws.events(3)], sent)
        ws.close()
        wait_for(lambda: not b.presence("ines")["connected"])
        time.sleep(0.2)
        again, _ = connect(a, "ines")
        self.assertTrue(no_event(again))
        again.close()

    def test_stats_show_the_cluster_total(self):
        a, b = self.a, self.b
        ws, _ = connect(a, "stan")
        ws2, _ = connect(b, "stan")
        # Each node reports every node_ttl/3.
        wait_for(lambda: (a.stats().get("cluster") or {}).get("active_connections", 0) >= 2, timeout=5)
        st = a.stats()
        self.assertEqual(st["cluster"]["nodes"], 2)
        self.assertTrue(st["node_id"])
        ws.close()
        ws2.close()

    def test_health_reports_redis(self):
        status, body = health(self.a)
        self.assertEqual((status, body["status"], body["redis"], body["storage"]), (200, "ok", "ok", "ok"))


class DeadNodeTest(unittest.TestCase):
    def test_a_killed_nodes_sessions_leave_presence_within_its_ttl(self):
        with RedisServer() as redis:
            a, b = node(redis), node(redis)
            try:
                ws, _ = connect(b, "dora")
                wait_for(lambda: a.presence("dora")["sessions"] == 1)
                b.proc.send_signal(signal.SIGKILL)
                b.proc.wait()
                t0 = time.time()
                wait_for(lambda: a.presence("dora")["sessions"] == 0, timeout=5)
                self.assertLess(time.time() - t0, 3.5)  # node_ttl 2s plus the last report's age
            finally:
                a.stop()
                b.stop()


class RedisOutageTest(unittest.TestCase):
    def test_redis_down_degrades_the_node_and_it_recovers_by_itself(self):
        with RedisServer() as redis:
            a, b = node(redis), node(redis)
            try:
                wait_for(lambda: health(a)[0] == 200 and health(b)[0] == 200)
                on_a, _ = connect(a, "oz", "view=ops")
                on_b, _ = connect(b, "oz", "view=ops")
                redis.stop()
                wait_for(lambda: health(a)[0] == 503, timeout=5)
                status, body = health(a)
                self.assertEqual((body["status"], body["redis"]), ("degraded", "down"))
                # Local delivery goes on; nothing is claimed stored; no hang.
                t0 = time.time()
                r = a.publish(user="oz", event="during")
                self.assertLess(time.time() - t0, 3)
                self.assertEqual((r["delivered"], r["stored"], r["nodes"]), (1, False, 0))
                self.assertEqual(on_a.events(1)[0]["id"], r["id"])
                c = a.publish(channel="ops", event="during")
                self.assertEqual(on_a.events(1)[0]["id"], c["id"])

                redis.start()
                wait_for(lambda: health(a)[0] == 200 and health(b)[0] == 200, timeout=10)
                # Subscriptions are back: delivery crosses nodes again.
                r = a.publish(channel="ops", event="after")
                self.assertEqual(r["nodes"], 1)
                # on_b never got the outage's events (pub/sub is live only).
                self.assertEqual(on_b.events(1)[0]["id"], r["id"])
                on_a.close()
                on_b.close()
            finally:
                a.stop()
                b.stop()

    def test_an_unreachable_redis_at_start_is_a_degraded_node_not_a_crash(self):
        redis = RedisServer()  # not started
        a = node(redis, connected=False)
        try:
            self.assertEqual(health(a)[0], 503)
            ws, _ = connect(a, "early")
            r = a.publish(user="early", event="e")
            self.assertEqual((r["delivered"], r["stored"]), (1, False))
            redis.start()
            wait_for(lambda: health(a)[0] == 200, timeout=10)
            self.assertTrue(a.publish(user="early", event="e")["stored"])
            self.assertIn("storage redis 127.0.0.1:%d/0" % redis.port, a.log_text())
            # The session that came while Redis was away is known to the cluster now.
            b = node(redis)
            try:
                wait_for(lambda: b.presence("early")["sessions"] == 1)
            finally:
                b.stop()
            ws.close()
        finally:
            a.stop()
            redis.stop()

    def test_a_node_on_redis_stops_cleanly_without_waiting_out_the_grace(self):
        # The Redis threads outlive the actor system: a strong registry handle
        # held there kept the process waiting until shutdown_grace's watchdog.
        with RedisServer() as redis:
            a = node(redis, server__shutdown_grace="30s")
            ws, _ = connect(a, "leaving", "view=admin")
            a.publish(channel="admin", event="e")
            self.assertEqual(a.stop(), 0)
            log = a.log_text()
            self.assertIn("[main] stopped", log)
            self.assertNotIn("shutdown_grace exceeded", log)


if __name__ == "__main__":
    unittest.main()
