"""docs/operations.md: webhook sinks with `secret` (Standard Webhooks) and
`headers`; the receiver checks the signature with its own code."""
import base64
import hashlib
import hmac
import time
import unittest

from harness import Herald, wait_for
from sinks import SinkServer

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef01234567").decode()


def verify(secret, headers, body):
    """What a receiver does: recompute the HMAC of id.timestamp.body and compare in constant time."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest("v1," + expected, s) for s in headers["webhook-signature"].split())


class WebhookSigningTest(unittest.TestCase):

    def test_signed_posts_with_headers_verify_and_a_tampered_body_does_not(self):
        with SinkServer() as sink:
            sink.fail_first["/hook"] = 1  # the retry is signed again, with the same id
            sinks = [{"name": "hook", "kind": "webhook", "url": sink.url("/hook"), "secret": SECRET,
                      "headers": {"X-Team": "ops", "Authorization": "Bearer sink-token"}}]
            with Herald(sinks=sinks, queue__base_delay="100ms") as h:
                status, answer = h.http("POST", "/api/v1/notify", {"sink": "hook", "to": "x", "text": "hi"})
                self.assertEqual(status, 202)
                wait_for(lambda: len(sink.received) == 2)
                ids = set()
                for path, headers, body in sink.received:
                    headers = {k.lower(): v for k, v in headers.items()}
                    self.assertTrue(verify(SECRET, headers, body))
                    self.assertFalse(verify(SECRET, headers, body + b" "))
                    self.assertLess(abs(int(headers["webhook-timestamp"]) - time.time()), 30)
                    self.assertEqual(headers["x-team"], "ops")
                    self.assertEqual(headers["authorization"], "Bearer sink-token")
                    ids.add(headers["webhook-id"])
                self.assertEqual(ids, {answer["job_id"]})
                # The config view hides the secret and the header values.
                self.assertNotIn("sink-token", h.log_text())

    def test_bad_secrets_and_headers_stop_the_start_naming_the_key(self):
        for extra, key in (({"secret": "plain"}, "sinks[0].secret"),
                           ({"secret": "whsec_c2hvcnQ="}, "sinks[0].secret"),
                           ({"headers": {"Bad Header": "x"}}, "sinks[0].headers"),
                           ({"headers": {"webhook-id": "x"}}, "sinks[0].headers")):
            sink = {"name": "hook", "kind": "webhook", "url": "http://127.0.0.1:9/x"}
            sink.update(extra)
            h = Herald(sinks=[sink])
            with self.assertRaises(RuntimeError) as ctx:
                h.start()
            self.assertIn(key, str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
