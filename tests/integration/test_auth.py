"""docs/protocol.md: who may connect and join what; checked before the upgrade."""
import asyncio
import time
import unittest

import websockets

from harness import Herald, token, ServerTestCase
from rawws import RawWS, UpgradeRefused


class AuthTest(ServerTestCase):

    def refused(self, query="", headers=None):
        with self.assertRaises(UpgradeRefused) as ctx:
            RawWS(self.h.port, query, headers)
        self.assertIsInstance(ctx.exception.body, dict)
        self.assertIn("error", ctx.exception.body)
        return ctx.exception.status

    def test_missing_bad_expired_and_unsigned_tokens_get_401(self):
        self.assertEqual(self.refused(), 401)
        self.assertEqual(self.refused("token=not.a.jwt"), 401)
        self.assertEqual(self.refused("token=" + token("u1", secret="wrong")), 401)
        self.assertEqual(self.refused("token=" + token("u1", exp=int(time.time()) - 120)), 401)
        self.assertEqual(self.refused("token=" + token("u1", alg="none")), 401)
        self.assertEqual(self.refused("token=" + token("u1", alg="HS512", secret="wrong")), 401)
        self.assertEqual(self.refused(headers={"Authorization": "Bearer junk"}), 401)

    def test_leeway_nbf_and_reserved_subjects(self):
        # docs/security.md: exp and nbf with auth.leeway (60 s) of skew; anon:/console: are the server's.
        now = int(time.time())
        ws = RawWS(self.h.port, "token=" + token("u1", exp=now - 10))
        self.assertEqual(ws.recv()["type"], "welcome")
        ws.close()
        self.assertEqual(self.refused("token=" + token("u1", nbf=now + 3600)), 401)
        ws = RawWS(self.h.port, "token=" + token("u1", nbf=now + 10))
        self.assertEqual(ws.recv()["type"], "welcome")
        ws.close()
        self.assertEqual(self.refused("token=" + token("anon:s-0011223344556677")), 401)
        self.assertEqual(self.refused("token=" + token("console:x", channels=["herald.monitor"])), 401)

    def test_server_channels_need_an_exact_grant(self):
        # herald.monitor carries the console's feed: a wildcard does not reach it.
        self.assertEqual(self.refused("token=" + token("u1", channels=["*"]) + "&view=herald.monitor"), 403)
        self.assertEqual(self.refused("token=" + token("u1", channels=["herald.*"]) + "&view=herald.monitor"), 403)

    def test_channel_names_must_be_utf8(self):
        self.assertEqual(self.refused("token=" + token("u1", channels=["team-*"]) + "&view=team-%ff"), 400)

    def test_channels_not_in_the_token_get_403(self):
        t = token("u1", channels=["admin", "team-*"])
        self.assertEqual(self.refused(f"token={t}&view=candidate"), 403)
        self.assertEqual(self.refused(f"token={t}&channels=admin,secret"), 403)
        self.assertEqual(self.refused(f"token={t}&view=user:u2"), 403)
        self.assertEqual(self.refused("token=" + token("u1") + "&view=admin"), 403)

    def test_good_token_in_query_or_header_with_view_and_channels(self):
        t = token("u1", channels=["admin", "team-*"], exp=int(time.time()) + 3600)
        ws = RawWS(self.h.port, f"token={t}&channels=team-a,team-b&view=admin")
        w = ws.recv()
        self.assertEqual(w["type"], "welcome")
        self.assertEqual(w["user"], "u1")
        self.assertEqual(sorted(w["channels"]), ["admin", "team-a", "team-b", "user:u1"])
        self.assertFalse(w["resumed"])
        ws.close()
        ws2 = RawWS(self.h.port, "", {"Authorization": "Bearer " + token("u9")})
        self.assertEqual(ws2.recv()["channels"], ["user:u9"])
        ws2.close()

    def test_subscribe_follows_the_same_rule(self):
        async def go():
            t = token("u1", channels=["team-*"])
            async with websockets.connect(self.h.ws_url("token=" + t)) as ws:
                await ws.recv()
                await ws.send('{"type":"subscribe","channel":"team-x"}')
                self.assertEqual(await ws.recv(), '{"channel":"team-x","type":"subscribed"}')
                await ws.send('{"type":"subscribe","channel":"admin"}')
                err = await ws.recv()
                self.assertIn('"forbidden_channel"', err)
        asyncio.run(go())


class AnonymousTest(unittest.TestCase):
    def test_anonymous_clients_when_auth_is_optional(self):
        with Herald(auth__required=False) as h:
            ws = RawWS(h.port)
            w = ws.recv()
            self.assertEqual(w["user"], "anon:" + w["session_id"])
            ws.close()
            with self.assertRaises(UpgradeRefused) as ctx:
                RawWS(h.port, "token=bad")
            self.assertEqual(ctx.exception.status, 401)


if __name__ == "__main__":
    unittest.main()
