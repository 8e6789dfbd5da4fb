"""docs/http-api.md: delayed and scheduled notifications (`delay`, `send_at`)
and POST /api/v1/notify/batch, on SQLite and on a real Redis, with a real
local sink."""
import datetime
import time
import unittest

from harness import wait_for
from sinks import SinkBackendCase


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def sinks_of(sink):
    return [{"name": "hook", "kind": "webhook", "url": sink.url("/hook")},
            {"name": "down", "kind": "webhook", "url": sink.url("/down")},
            {"name": "one", "kind": "webhook", "url": sink.url("/one"), "rate_per_sec": 1}]


class ScheduleCases:
    """Mixed into a TestCase whose setUp starts self.h with sink "hook" at self.sink."""

    def test_delay_and_send_at_wait_counted_as_delayed(self):
        t0 = time.time()
        status, a = self.h.http("POST", "/api/v1/notify", {"sink": "hook", "to": "a", "text": "later", "delay": "1200ms"})
        self.assertEqual(status, 202)
        self.assertIn("run_at", a)
        status, b = self.h.http("POST", "/api/v1/notify",
                                {"sink": "hook", "to": "b", "text": "at", "send_at": rfc3339(t0 + 1.5)})
        self.assertEqual(status, 202)
        self.assertEqual(self.h.queue_stats()["delayed"], 2)
        time.sleep(0.6)
        self.assertEqual(self.sink.hits("/hook"), [])
        wait_for(lambda: len(self.sink.hits("/hook")) == 2, timeout=10)
        arrived = {body["to"]: t for t, body in self.sink.hits("/hook")}
        self.assertGreaterEqual(arrived["a"], t0 + 1.2)
        self.assertGreaterEqual(arrived["b"], t0 + 1.5)
        self.assertEqual(self.h.queue_stats()["delayed"], 0)

    def test_a_send_at_in_the_past_goes_now_and_bad_schedules_are_refused(self):
        status, _ = self.h.http("POST", "/api/v1/notify",
                                {"sink": "hook", "to": "c", "text": "now", "send_at": "2020-01-01T00:00:00+02:00"})
        self.assertEqual(status, 202)
        wait_for(lambda: any(b["to"] == "c" for _, b in self.sink.hits("/hook")))
        for extra in ({"delay": "soon"}, {"delay": 5}, {"delay": "400d"}, {"send_at": "tomorrow"},
                      {"send_at": "2026-02-31T00:00:00Z"}, {"delay": "1s", "send_at": rfc3339(time.time())}):
            body = {"sink": "hook", "to": "d", "text": "x"}
            body.update(extra)
            status, answer = self.h.http("POST", "/api/v1/notify", body)
            self.assertEqual(status, 400, extra)
            self.assertIn("error", answer)

    def test_a_job_not_delivered_by_expires_at_goes_to_the_dlq_unsent(self):
        self.sink.always_fail.add("/down")
        status, a = self.h.http("POST", "/api/v1/notify", {"sink": "down", "to": "otp", "text": "123456",
                                                           "expires_at": rfc3339(time.time() + 0.5)})
        self.assertEqual(status, 202)
        dead = wait_for(lambda: [j for j in self.h.http("GET", "/api/v1/dlq")[1]["jobs"] if j["job_id"] == a["job_id"]])
        self.assertEqual(dead[0]["last_error"], "expired")
        self.assertEqual(len(self.sink.hits("/down")), 1)  # the first attempt only; the retry came too late
        self.assertEqual(self.h.queue_stats()["expired"], 1)
        for bad in ("soon", rfc3339(time.time() - 10)):
            status, _ = self.h.http("POST", "/api/v1/notify", {"sink": "hook", "to": "x", "text": "t", "expires_at": bad})
            self.assertEqual(status, 400)
        status, _ = self.h.http("POST", "/api/v1/notify", {"sink": "hook", "to": "x", "text": "t", "delay": "10s",
                                                           "expires_at": rfc3339(time.time() + 5)})
        self.assertEqual(status, 400)

    def test_a_dedupe_key_gives_the_first_job_until_it_is_finished(self):
        self.sink.always_fail.add("/down")
        body = {"sink": "down", "to": "u", "text": "alert", "dedupe_key": "incident-7"}
        status, first = self.h.http("POST", "/api/v1/notify", body)
        self.assertEqual(status, 202)
        status, again = self.h.http("POST", "/api/v1/notify", body)
        self.assertEqual((status, again), (202, {"job_id": first["job_id"], "deduplicated": True}))
        # The same key on another sink is another job.
        status, other = self.h.http("POST", "/api/v1/notify", dict(body, sink="hook"))
        self.assertNotEqual(other["job_id"], first["job_id"])
        self.assertNotIn("deduplicated", other)
        # Once that one is delivered, the key is free again.
        wait_for(lambda: any(b["job_id"] == other["job_id"] for _, b in self.sink.hits("/hook")))
        fresh = wait_for(lambda: (lambda r: r[1] if r[1]["job_id"] != other["job_id"] else None)(
            self.h.http("POST", "/api/v1/notify", dict(body, sink="hook"))))
        self.assertNotIn("deduplicated", fresh)
        for bad in ("", "k" * 201, 3):
            self.assertEqual(self.h.http("POST", "/api/v1/notify", dict(body, dedupe_key=bad))[0], 400)

    def test_due_jobs_go_high_priority_first(self):
        due = rfc3339(time.time() + 1.0)
        for p in ("low", "normal", "high", None):
            item = {"sink": "one", "to": p or "default", "text": "t", "send_at": due}
            if p:
                item["priority"] = p
            self.assertEqual(self.h.http("POST", "/api/v1/notify", item)[0], 202)
        status, body = self.h.http("POST", "/api/v1/notify", {"sink": "one", "to": "x", "text": "t", "priority": "urgent"})
        self.assertEqual(status, 400)
        self.assertIn("priority", body["error"])
        # One at a time (rate_per_sec = 1): the order they are claimed in is the order they arrive.
        wait_for(lambda: len(self.sink.hits("/one")) == 4, timeout=15)
        order = [b["to"] for _, b in self.sink.hits("/one")]
        self.assertEqual((order[0], set(order[1:3]), order[3]), ("high", {"normal", "default"}, "low"))

    def test_a_batch_answers_each_item_in_order(self):
        items = [{"sink": "hook", "to": "e1", "text": "1"},
                 {"sink": "nowhere", "to": "e2", "text": "2"},
                 {"sink": "hook", "to": "e3", "text": "3", "delay": "200ms"}]
        status, body = self.h.http("POST", "/api/v1/notify/batch", {"items": items})
        self.assertEqual(status, 200)
        results = body["results"]
        self.assertTrue(results[0]["job_id"].startswith("j-"))
        self.assertEqual(results[1]["status"], 400)
        self.assertIn("unknown sink", results[1]["error"])
        self.assertTrue(results[2]["job_id"].startswith("j-"))
        wait_for(lambda: {"e1", "e3"} <= {b["to"] for _, b in self.sink.hits("/hook")})
        status, _ = self.h.http("POST", "/api/v1/notify/batch", {"items": [items[0]] * 1001})
        self.assertEqual(status, 400)


class SqliteScheduleTest(ScheduleCases, SinkBackendCase, unittest.TestCase):
    def sinks_of(self, sink):
        return sinks_of(sink)


class RedisScheduleTest(ScheduleCases, SinkBackendCase, unittest.TestCase):
    backend = "redis"

    def sinks_of(self, sink):
        return sinks_of(sink)


if __name__ == "__main__":
    unittest.main()
