"""docs/configuration.md [queue]/[[sinks]], §4 /notify, /queue/stats, /dlq, and the job
guarantee of §5, against real local HTTP sinks (sinks.py)."""
import signal
import time
import unittest

from harness import Herald, RedisServer, token, wait_for
from rawws import RawWS
from sinks import SinkServer


def hook(name, url, **extra):
    sink = {"name": name, "kind": "webhook", "url": url, "rate_per_sec": 100, "timeout": "2s",
            "breaker_failures": 5, "breaker_cooldown": "30s"}
    sink.update(extra)
    return sink


def fast_queue(**extra):
    settings = dict(queue__base_delay="100ms", queue__max_delay="1s", queue__max_attempts=3,
                    queue__poll_interval="50ms")
    settings.update(extra)
    return settings


def most_in_one_second(times):
    """The most requests that arrived within any one second."""
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times)), default=0)


def healthy(h):
    """A node on Redis starts degraded and connects in the background: wait for it."""
    wait_for(lambda: h.http("GET", "/api/v1/websocket/health", key=None)[0] == 200)
    return h


def job(h, sink, to="ops", text="complaint #7", data=None):
    status, body = h.notify(sink=sink, to=to, text=text, data=data or {"complaint": 7})
    assert status == 202, (status, body)
    return body["job_id"]


class QueueTest(unittest.TestCase):
    def test_a_failing_sink_succeeds_on_attempt_3(self):
        with SinkServer() as sink:
            sink.fail_first["/flaky"] = 2
            with Herald(sinks=[hook("flaky", sink.url("/flaky"))], **fast_queue()) as h:
                jid = job(h, "flaky", data={"meal": 3})
                wait_for(lambda: h.queue_stats()["completed"] == 1)
                hits = sink.hits("/flaky")
                self.assertEqual([b["attempt"] for _, b in hits], [1, 2, 3])
                self.assertEqual(hits[2][1], {"job_id": jid, "sink": "flaky", "to": "ops",
                                              "text": "complaint #7", "data": {"meal": 3}, "attempt": 3})
                st = h.queue_stats()
                self.assertEqual((st["failed"], st["waiting"], st["delayed"], st["active"], st["dead"]),
                                 (2, 0, 0, 0, 0))
                # Backoff: the second retry waited about twice the first.
                gap1, gap2 = hits[1][0] - hits[0][0], hits[2][0] - hits[1][0]
                self.assertGreater(gap2, gap1)

    def test_dead_jobs_go_to_the_dlq_raise_an_alert_and_can_be_retried_or_deleted(self):
        with SinkServer() as sink:
            sink.always_fail.add("/down")
            with Herald(sinks=[hook("down", sink.url("/down"))], **fast_queue(queue__max_attempts=2)) as h:
                admin = RawWS(h.port, "token=" + token("ops-admin", channels=["admin"]) + "&view=admin")
                admin.recv()
                jid = job(h, "down")
                alert = admin.recv()
                self.assertEqual((alert["type"], alert["event"], alert["channel"]), ("event", "dlq.job_dead", "admin"))
                self.assertEqual((alert["data"]["job_id"], alert["data"]["attempts"]), (jid, 2))
                status, dlq = h.http("GET", "/api/v1/dlq")
                self.assertEqual(status, 200)
                (dead,) = dlq["jobs"]
                self.assertEqual((dead["job_id"], dead["sink"], dead["attempts"]), (jid, "down", 2))
                self.assertIn("HTTP 500", dead["last_error"])
                self.assertTrue(dead["failed_at"].endswith("Z"))
                self.assertEqual(dead["payload"], {"to": "ops", "text": "complaint #7", "data": {"complaint": 7}})
                self.assertEqual(h.queue_stats()["dead"], 1)

                # Retry: attempts start again from 1.
                sink.always_fail.discard("/down")
                self.assertEqual(h.http("POST", f"/api/v1/dlq/{jid}/retry")[0], 200)
                wait_for(lambda: h.queue_stats()["completed"] == 1)
                self.assertEqual(sink.hits("/down")[-1][1]["attempt"], 1)
                self.assertEqual(h.http("GET", "/api/v1/dlq")[1]["jobs"], [])
                self.assertEqual(h.http("POST", f"/api/v1/dlq/{jid}/retry")[0], 404)

                sink.always_fail.add("/down")
                other = job(h, "down")
                wait_for(lambda: h.queue_stats()["dead"] == 1)
                self.assertEqual(h.http("DELETE", f"/api/v1/dlq/{other}")[0], 200)
                self.assertEqual(h.http("DELETE", f"/api/v1/dlq/{other}")[0], 404)
                self.assertEqual(h.queue_stats()["dead"], 0)
                admin.close()

    def test_the_dlq_comes_a_page_at_a_time_newest_first(self):
        with SinkServer() as sink:
            sink.always_fail.add("/down")
            with Herald(sinks=[hook("down", sink.url("/down"), breaker_failures=100)],
                        **fast_queue(queue__max_attempts=1)) as h:
                three = [job(h, "down") for _ in range(3)]
                wait_for(lambda: h.queue_stats()["dead"] == 3)
                newest_first = [j["job_id"] for j in h.http("GET", "/api/v1/dlq")[1]["jobs"]]
                self.assertEqual(sorted(newest_first), sorted(three))
                status, page = h.http("GET", "/api/v1/dlq?limit=2&offset=1")
                self.assertEqual(status, 200)
                self.assertEqual((page["limit"], page["offset"]), (2, 1))
                self.assertEqual([j["job_id"] for j in page["jobs"]], newest_first[1:])
                self.assertEqual(h.http("GET", "/api/v1/dlq?offset=3")[1]["jobs"], [])
                for bad in ("offset=-1", "offset=x", "limit=0", "limit=1001"):
                    status, err = h.http("GET", "/api/v1/dlq?" + bad)
                    self.assertEqual(status, 400, bad)
                    self.assertIn("error", err)

    def test_an_open_breaker_spares_the_sink_and_keeps_the_jobs_attempts(self):
        with SinkServer() as sink:
            sink.always_fail.add("/brk")
            sinks = [hook("brk", sink.url("/brk"), breaker_failures=3, breaker_cooldown="1s")]
            with Herald(sinks=sinks, **fast_queue(queue__max_attempts=5, queue__max_delay="200ms")) as h:
                first = job(h, "brk")
                wait_for(lambda: len(sink.hits("/brk")) >= 1)
                rest = [job(h, "brk") for _ in range(4)]
                wait_for(lambda: len(sink.hits("/brk")) >= 3)
                wait_for(lambda: h.queue_stats()["sinks"][0]["breaker"] == "open")
                time.sleep(0.7)  # inside the cooldown: the open breaker lets nothing through
                opened_at = sink.hits("/brk")[2][0]
                during = [t for t, _ in sink.hits("/brk") if opened_at < t < opened_at + 0.95]
                self.assertEqual(during, [])
                # After the cooldown one probe goes; it succeeds and the breaker closes.
                sink.always_fail.discard("/brk")
                wait_for(lambda: h.queue_stats()["completed"] == 5, timeout=15)
                self.assertEqual(h.queue_stats()["dead"], 0)  # held jobs kept their attempts
                self.assertEqual(h.queue_stats()["sinks"][0]["breaker"], "closed")
                ids = {b["job_id"] for _, b in sink.hits("/brk")}
                self.assertEqual(ids, {first, *rest})

    def test_rate_per_sec_spaces_the_requests(self):
        with SinkServer() as sink:
            with Herald(sinks=[hook("slowrate", sink.url("/r"), rate_per_sec=5)], **fast_queue()) as h:
                for _ in range(10):
                    job(h, "slowrate")
                wait_for(lambda: h.queue_stats()["completed"] == 10)
                times = [t for t, _ in sink.hits("/r")]
                # At most 5 in any second: 10 jobs take more than one.
                self.assertGreater(times[-1] - times[0], 1.0)
                self.assertLessEqual(most_in_one_second(times), 5)

    def test_telegram_429_retry_after_is_honoured_without_spending_attempts(self):
        with SinkServer() as sink:
            sink.telegram_429 = 1
            tg = {"name": "tg", "kind": "telegram", "base_url": sink.url(""), "token": "123:abc", "rate_per_sec": 30}
            with Herald(sinks=[tg], **fast_queue(queue__max_attempts=1)) as h:
                job(h, "tg", to="-100200300", text="new complaint")
                wait_for(lambda: h.queue_stats()["completed"] == 1, timeout=10)
                hits = sink.hits("/bot123:abc/sendMessage")
                self.assertEqual(len(hits), 2)
                self.assertEqual(hits[1][1], {"chat_id": "-100200300", "text": "new complaint"})
                self.assertGreaterEqual(hits[1][0] - hits[0][0], 0.9)
                self.assertEqual(h.queue_stats()["dead"], 0)

    def test_opt_in_is_required_where_the_sink_says_so(self):
        with SinkServer() as sink:
            sinks = [hook("sms", sink.url("/sms"), require_opt_in=True)]
            with Herald(sinks=sinks, **fast_queue()) as h:
                status, body = h.notify(sink="sms", to="+4915", text="hi")
                self.assertEqual(status, 403)
                self.assertIn("opted in", body["error"])
                self.assertEqual(h.http("PUT", "/api/v1/optin/sms/%2B4915")[0], 200)
                self.assertEqual(h.notify(sink="sms", to="+4915", text="hi")[0], 202)
                wait_for(lambda: len(sink.hits("/sms")) == 1)
                self.assertEqual(h.http("DELETE", "/api/v1/optin/sms/%2B4915")[1]["opted_in"], False)
                self.assertEqual(h.notify(sink="sms", to="+4915", text="hi")[0], 403)
                self.assertEqual(h.http("PUT", "/api/v1/optin/nosuch/x")[0], 404)

    def test_a_full_dlq_refuses_a_death_counts_it_and_keeps_the_job(self):
        with SinkServer() as sink:
            sink.always_fail.add("/down")
            settings = fast_queue(queue__max_attempts=1, queue__dlq_max=1, queue__max_delay="30s")
            with Herald(sinks=[hook("down", sink.url("/down"))], **settings) as h:
                job(h, "down")
                wait_for(lambda: h.queue_stats()["dead"] == 1)
                job(h, "down")
                wait_for(lambda: h.queue_stats()["dlq_refused"] == 1)
                st = h.queue_stats()
                self.assertEqual((st["dead"], st["delayed"]), (1, 1))  # kept, to be tried again
                self.assertIn("DLQ full", h.log_text())

    def test_a_hanging_sink_does_not_slow_another(self):
        with SinkServer() as sink:
            sink.slow["/hang"] = 3
            sinks = [hook("hang", sink.url("/hang"), timeout="5s"), hook("quick", sink.url("/quick"))]
            with Herald(sinks=sinks, **fast_queue()) as h:
                for _ in range(3):
                    job(h, "hang")
                wait_for(lambda: len(sink.hits("/hang")) >= 1)
                for _ in range(20):
                    job(h, "quick")
                # All 20 done while the hanging ones are still out (they answer after 3 s).
                wait_for(lambda: h.queue_stats()["completed"] == 20, timeout=2.5)

    def test_bad_notify_bodies_get_a_clear_400(self):
        with SinkServer() as sink:
            with Herald(sinks=[hook("h", sink.url("/h"))]) as h:
                cases = [({"sink": "nope", "to": "a", "text": "t"}, "unknown sink"),
                         ({"to": "a", "text": "t"}, "sink"),
                         ({"sink": "h", "text": "t"}, "to"),
                         ({"sink": "h", "to": "a"}, "text"),
                         ({"sink": "h", "to": "a", "text": "t", "data": [1]}, "data")]
                for body, word in cases:
                    status, answer = h.notify(**body)
                    self.assertEqual(status, 400, body)
                    self.assertIn(word, answer["error"])
                self.assertEqual(h.http("POST", "/api/v1/notify", raw_body="{")[0], 400)
                self.assertEqual(h.http("GET", "/api/v1/dlq?limit=0")[0], 400)
                self.assertEqual(h.http("GET", "/api/v1/notify")[0], 405)
                self.assertEqual(h.http("POST", "/api/v1/notify", {"sink": "h"}, key="wrong")[0], 401)


class CrashTest(unittest.TestCase):
    def crash_and_recover(self, **backend):
        """kill -9 with jobs waiting and one in flight; a restart delivers every job."""
        with SinkServer() as sink:
            sink.slow["/slow"] = 1.0
            sinks = [hook("slow", sink.url("/slow"), rate_per_sec=1, timeout="3s")]
            h = healthy(Herald(sinks=sinks, **fast_queue(queue__visibility_timeout="1s"), **backend).start())
            try:
                ids = [job(h, "slow") for _ in range(4)]
                wait_for(lambda: len(sink.hits("/slow")) >= 1)
                h.proc.send_signal(signal.SIGKILL)
                h.proc.wait()
                h.log.close()
                sink.slow.pop("/slow")
                h.start()
                wait_for(lambda: {b["job_id"] for _, b in sink.hits("/slow")} >= set(ids), timeout=20)
                wait_for(lambda: h.queue_stats()["completed"] >= 3, timeout=10)
            finally:
                h.stop()

    def test_kill_9_loses_no_job_with_sqlite(self):
        self.crash_and_recover()

    def test_kill_9_loses_no_job_with_redis(self):
        with RedisServer() as redis:
            self.crash_and_recover(storage__backend="redis", redis__url=redis.url)

    def test_a_job_held_by_a_killed_node_is_finished_by_another(self):
        with RedisServer() as redis, SinkServer() as sink:
            sink.slow["/slow"] = 1.5
            sinks = [hook("slow", sink.url("/slow"), timeout="3s")]
            settings = dict(storage__backend="redis", redis__url=redis.url, **fast_queue(queue__visibility_timeout="1s"))
            a = healthy(Herald(sinks=sinks, **settings).start())
            b = None
            try:
                jid = job(a, "slow")
                wait_for(lambda: len(sink.hits("/slow")) == 1)  # node a holds it, on the wire
                a.proc.send_signal(signal.SIGKILL)
                a.proc.wait()
                sink.slow.pop("/slow")
                b = Herald(sinks=sinks, **settings).start()
                wait_for(lambda: len(sink.hits("/slow")) >= 2, timeout=10)
                self.assertEqual(sink.hits("/slow")[-1][1]["job_id"], jid)
                wait_for(lambda: b.queue_stats()["completed"] == 1)
            finally:
                a.stop()
                if b:
                    b.stop()


if __name__ == "__main__":
    unittest.main()
