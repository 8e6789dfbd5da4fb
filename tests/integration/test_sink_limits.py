"""CONTRACT §11: a sink's rate_per_sec and circuit breaker hold for the whole
deployment: across a kill -9 and restart (SQLite: the new process starts with
an empty bucket and the breaker it had) and across nodes (Redis: one window
and one breaker for every node). Counted where it matters: at a real local
sink, by arrival time."""
import signal
import time
import unittest

from harness import Herald, RedisServer, wait_for
from sinks import SinkServer
from test_queue import fast_queue, healthy, hook, job, most_in_one_second


def kill_9(h):
    h.proc.send_signal(signal.SIGKILL)
    h.proc.wait()
    h.log.close()


def arrivals(sink, path):
    return [t for t, _ in sink.hits(path)]


class RateAcrossRestartsTest(unittest.TestCase):
    def kill_and_restart_within_the_rate(self, **backend):
        with SinkServer() as sink:
            sinks = [hook("limited", sink.url("/l"), rate_per_sec=10)]
            h = Herald(sinks=sinks, **fast_queue(queue__visibility_timeout="3s", **backend))
            with h:
                healthy(h)
                for _ in range(60):
                    job(h, "limited")
                wait_for(lambda: len(sink.hits("/l")) >= 15, timeout=10)
                kill_9(h)
                killed_at = time.time()
                h.start()
                healthy(h)
                wait_for(lambda: len({b["job_id"] for _, b in sink.hits("/l")}) >= 60, timeout=40)
            times = arrivals(sink, "/l")
            self.assertTrue(any(t > killed_at for t in times))
            self.assertLessEqual(most_in_one_second(times), 10, times)

    def test_sqlite_kill_9_and_restart_never_exceed_the_rate(self):
        self.kill_and_restart_within_the_rate()

    def test_redis_kill_9_and_restart_never_exceed_the_rate(self):
        with RedisServer() as redis:
            self.kill_and_restart_within_the_rate(storage__backend="redis", redis__url=redis.url)


class SharedLimitsTest(unittest.TestCase):
    def test_two_nodes_together_never_exceed_the_rate(self):
        with SinkServer() as sink, RedisServer() as redis:
            sinks = [hook("limited", sink.url("/l"), rate_per_sec=10)]
            settings = fast_queue(storage__backend="redis", redis__url=redis.url)
            with Herald(sinks=sinks, **settings) as a, Herald(sinks=sinks, **settings) as b:
                healthy(a)
                healthy(b)
                for i in range(40):
                    job(a if i % 2 else b, "limited")
                wait_for(lambda: a.queue_stats()["completed"] + b.queue_stats()["completed"] == 40,
                         timeout=20)
                self.assertGreater(a.queue_stats()["completed"], 0)
                self.assertGreater(b.queue_stats()["completed"], 0)
            times = arrivals(sink, "/l")
            self.assertEqual(len(times), 40)
            self.assertLessEqual(most_in_one_second(times), 10, times)
            self.assertGreater(times[-1] - times[0], 3.0)

    def test_a_breaker_opened_on_one_node_holds_on_another(self):
        with SinkServer() as sink, RedisServer() as redis:
            sink.always_fail.add("/down")
            sinks = [hook("down", sink.url("/down"), breaker_failures=3, breaker_cooldown="30s")]
            settings = fast_queue(storage__backend="redis", redis__url=redis.url,
                                  queue__max_attempts=10)
            with Herald(sinks=sinks, **settings) as a, Herald(sinks=sinks, **settings) as b:
                healthy(a)
                healthy(b)
                for _ in range(3):
                    job(a, "down")
                wait_for(lambda: a.queue_stats()["sinks"][0]["breaker"] == "open")
                self.assertEqual(len(sink.hits("/down")), 3)
                self.assertEqual(redis.command("HGET", "herald:breaker:down", "phase"), "1")
                held = job(b, "down")
                wait_for(lambda: b.queue_stats()["sinks"][0]["breaker"] == "open")
                time.sleep(1.0)
                self.assertEqual(len(sink.hits("/down")), 3)  # B sent nothing
                # Its job waits in the queue with no attempt spent.
                self.assertEqual(redis.command("HGET", "herald:job:" + held, "attempts"), "0")
                self.assertEqual(redis.command("HGET", "herald:job:" + held, "state"), "1")

    def test_a_dedupe_key_holds_across_nodes(self):
        with SinkServer() as sink, RedisServer() as redis:
            sink.slow["/d"] = 1.5  # the first job is still out when the second node is asked
            sinks = [hook("dedupe", sink.url("/d"))]
            settings = fast_queue(storage__backend="redis", redis__url=redis.url)
            with Herald(sinks=sinks, **settings) as a, Herald(sinks=sinks, **settings) as b:
                healthy(a)
                healthy(b)
                body = {"sink": "dedupe", "to": "ops", "text": "t", "dedupe_key": "order-7"}
                status, first = a.http("POST", "/api/v1/notify", body)
                self.assertEqual(status, 202)
                status, second = b.http("POST", "/api/v1/notify", body)
                self.assertEqual((status, second), (202, {"job_id": first["job_id"], "deduplicated": True}))
                wait_for(lambda: a.queue_stats()["completed"] + b.queue_stats()["completed"] == 1)
                # Finished: the key is free again, on either node.
                status, third = b.http("POST", "/api/v1/notify", body)
                self.assertEqual(status, 202)
                self.assertNotEqual(third["job_id"], first["job_id"])
                self.assertNotIn("deduplicated", third)

    def test_sqlite_keeps_an_open_breaker_across_a_restart(self):
        with SinkServer() as sink:
            sink.always_fail.add("/down")
            sinks = [hook("down", sink.url("/down"), breaker_failures=2, breaker_cooldown="30s")]
            h = Herald(sinks=sinks, **fast_queue(queue__max_attempts=10))
            with h:
                for _ in range(2):
                    job(h, "down")
                wait_for(lambda: h.queue_stats()["sinks"][0]["breaker"] == "open")
                kill_9(h)
                h.start()
                job(h, "down")
                wait_for(lambda: h.queue_stats()["sinks"][0]["breaker"] == "open")
                time.sleep(1.5)
                self.assertEqual(len(sink.hits("/down")), 2)  # nothing sent after the restart
                self.assertGreaterEqual(h.queue_stats()["delayed"], 1)


if __name__ == "__main__":
    unittest.main()
