"""CONTRACT §11 webpush sinks, against a local push service that verifies
the VAPID JWT and decrypts each push as a browser would (push_service.py)."""
import os
import subprocess
import tempfile
import unittest

from harness import HERALD_BIN, Herald, make_config, wait_for
from push_service import PushService, write_vapid_key

SUBJECT = "mailto:ops@example.com"


def webpush_sink(key_file, **extra):
    sink = {"name": "push", "kind": "webpush", "vapid_private_key_file": key_file,
            "vapid_subject": SUBJECT, "push_ttl": "1h", "rate_per_sec": 100}
    sink.update(extra)
    return sink


class WebPushTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="herald-push-")
        cls.key_file = os.path.join(cls.dir, "vapid.pem")
        vapid_public = write_vapid_key(cls.key_file)
        cls.push = PushService(vapid_public, SUBJECT).__enter__()
        cls.h = Herald(sinks=[webpush_sink(cls.key_file)], queue__poll_interval="100ms",
                       queue__base_delay="100ms").start()

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        cls.push.__exit__()

    def test_a_push_reaches_the_browser_encrypted_and_signed(self):
        browser = self.push.browser("/push/ann")
        status, body = self.h.notify(sink="push", to=browser.subscription(), text="your meal is logged",
                                     data={"meal": 7}, priority="high")
        self.assertEqual(status, 202, body)
        wait_for(lambda: any(p == "/push/ann" for p, _, _ in self.push.received), timeout=10)
        self.assertEqual([r for r in self.push.refused if r[0] == "/push/ann"], [])
        _, payload, headers = next(r for r in self.push.received if r[0] == "/push/ann")
        self.assertEqual(payload, {"job_id": body["job_id"], "text": "your meal is logged", "data": {"meal": 7}})
        self.assertEqual(headers["TTL"], "3600")
        self.assertEqual(headers["Urgency"], "high")

    def test_the_subscription_may_come_as_text(self):
        import json
        browser = self.push.browser("/push/bob")
        status, _ = self.h.notify(sink="push", to=json.dumps(browser.subscription()), text="hi")
        self.assertEqual(status, 202)
        wait_for(lambda: any(p == "/push/bob" for p, _, _ in self.push.received), timeout=10)

    def test_404_and_410_end_the_job_without_retries_or_dlq(self):
        before = self.h.queue_stats()
        for path in ("/push/old/gone", "/push/old/missing"):
            status, _ = self.h.notify(sink="push", to=self.push.browser(path).subscription(), text="x")
            self.assertEqual(status, 202)
        wait_for(lambda: self.h.queue_stats()["subscriptions_gone"] == before["subscriptions_gone"] + 2,
                 timeout=10)
        stats = self.h.queue_stats()
        self.assertEqual(stats["dead"], before["dead"])
        self.assertEqual(stats["waiting"] + stats["delayed"] + stats["active"], 0)
        self.assertEqual(self.push.hits.count("/push/old/gone"), 1)
        self.assertEqual(self.push.hits.count("/push/old/missing"), 1)
        metrics = str(self.h.http("GET", "/metrics")[1])
        self.assertIn("herald_webpush_gone_total", metrics)

    def test_a_bad_subscription_or_payload_is_refused_at_notify(self):
        good = self.push.browser("/push/x").subscription()
        cases = [("not json", "subscription"),
                 ({"endpoint": "ftp://x/y", "keys": good["keys"]}, "endpoint"),
                 ({"endpoint": good["endpoint"], "keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}}, "p256dh"),
                 ({"endpoint": good["endpoint"], "keys": {"p256dh": good["keys"]["p256dh"], "auth": "AA"}}, "auth")]
        for to, word in cases:
            status, body = self.h.notify(sink="push", to=to, text="x")
            self.assertEqual(status, 400, to)
            self.assertIn(word, body["error"])
        status, body = self.h.notify(sink="push", to=good, text="x" * 5000)
        self.assertEqual(status, 400)
        self.assertIn("fit", body["error"])


class WebPushConfigTest(unittest.TestCase):
    def refused(self, sink):
        d = tempfile.mkdtemp(prefix="herald-push-cfg-")
        path = os.path.join(d, "herald.toml")
        with open(path, "w") as f:
            f.write(make_config({"storage.backend": "memory", "server.listen": "127.0.0.1:0"}, [sink]))
        r = subprocess.run([HERALD_BIN, "--config", path], capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        return r.stderr

    def test_a_missing_or_bad_key_and_a_bad_subject_refuse_the_start(self):
        d = tempfile.mkdtemp(prefix="herald-push-key-")
        self.assertIn("sinks[0].vapid_private_key_file", self.refused(webpush_sink(os.path.join(d, "none.pem"))))
        bad = os.path.join(d, "bad.pem")
        with open(bad, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        self.assertIn("P-256", self.refused(webpush_sink(bad)))
        good = os.path.join(d, "good.pem")
        write_vapid_key(good)
        self.assertIn("sinks[0].vapid_subject", self.refused(webpush_sink(good, vapid_subject="ops")))


if __name__ == "__main__":
    unittest.main()
