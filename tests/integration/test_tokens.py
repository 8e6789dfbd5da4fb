"""docs/security.md and docs/protocol.md: keys (PEM, JWKS), first-frame auth, expiry and refresh.

Keys are made by the `openssl` command line; the JWKS is served by a real
local HTTP server; tokens are signed by PyJWT (with python3-cryptography).
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest

import jwt
from cryptography.hazmat.primitives import serialization

from harness import Herald, token, wait_for
from rawws import RawWS, UpgradeRefused, Closed


def openssl_key(directory, name, algorithm, option):
    """A private key by `openssl genpkey` and its public PEM; returns (private, public) PEM text."""
    private = os.path.join(directory, name + ".key")
    public = os.path.join(directory, name + ".pub")
    subprocess.run(["openssl", "genpkey", "-algorithm", algorithm, "-pkeyopt", option,
                    "-out", private], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public],
                   check=True, capture_output=True)
    with open(private) as f, open(public) as g:
        return f.read(), g.read()


def rsa_key(directory, name):
    return openssl_key(directory, name, "RSA", "rsa_keygen_bits:2048")


def ec_key(directory, name):
    return openssl_key(directory, name, "EC", "ec_paramgen_curve:P-256")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(public_pem, kid):
    key = serialization.load_pem_public_key(public_pem.encode())
    numbers = key.public_numbers()
    if hasattr(numbers, "n"):
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": b64url(n), "e": b64url(numbers.e.to_bytes(3, "big"))}
    return {"kty": "EC", "kid": kid, "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}


def signed(private_pem, alg, sub="u1", kid=None, **claims):
    claims["sub"] = sub
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, private_pem, algorithm=alg, headers=headers)


def hs256_with_key(secret_text, sub):
    """An HS256 token whose MAC key is `secret_text` (PyJWT refuses PEM text as an HMAC key)."""
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": sub}).encode())
    mac = hmac.new(secret_text.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def status_of(port, query):
    try:
        ws = RawWS(port, query)
    except UpgradeRefused as e:
        return e.status
    first = ws.recv()
    ws.close()
    return 101 if first["type"] == "welcome" else first


class JwksServer:
    """A real HTTP server on loopback serving a JWKS document that tests may change."""

    def __init__(self, keys):
        self.document = {"keys": keys}
        self.fetches = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"

    def stop(self):
        self.httpd.shutdown()


class PemKeyTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="herald-keys-")
        cls.rsa_private, rsa_public = rsa_key(cls.dir, "rsa")
        cls.rsa_public = rsa_public
        cls.ec_private, _ = ec_key(cls.dir, "ec")
        cls.h = Herald(auth__public_key_file=os.path.join(cls.dir, "rsa.pub")).start()

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()

    def test_rs256_and_rs512_from_the_pem_key(self):
        self.assertEqual(status_of(self.h.port, "token=" + signed(self.rsa_private, "RS256")), 101)
        self.assertEqual(status_of(self.h.port, "token=" + signed(self.rsa_private, "RS512")), 101)
        # The HS256 secret still works next to the PEM key.
        self.assertEqual(status_of(self.h.port, "token=" + token("u2")), 101)
        self.assertEqual(status_of(self.h.port, "token=" + token("u2", alg="HS512")), 101)

    def test_alg_confusion_an_hs256_token_keyed_with_the_public_key_is_refused(self):
        forged = hs256_with_key(self.rsa_public, "admin")
        self.assertEqual(status_of(self.h.port, "token=" + forged), 401)

    def test_another_keys_signature_and_an_unconfigured_algorithm_are_refused(self):
        other_private, _ = rsa_key(self.dir, "other")
        self.assertEqual(status_of(self.h.port, "token=" + signed(other_private, "RS256")), 401)
        self.assertEqual(status_of(self.h.port, "token=" + signed(self.ec_private, "ES256")), 401)


class EcPemKeyTest(unittest.TestCase):

    def test_es256_from_a_pem_key_with_no_secret_at_all(self):
        d = tempfile.mkdtemp(prefix="herald-keys-")
        private, _ = ec_key(d, "ec")
        with Herald(auth__jwt_secret="", auth__public_key_file=os.path.join(d, "ec.pub")) as h:
            self.assertEqual(status_of(h.port, "token=" + signed(private, "ES256")), 101)
            self.assertEqual(status_of(h.port, "token=" + token("u1")), 401)  # no HS secret

    def test_a_pem_file_without_a_key_stops_the_start_naming_the_key(self):
        d = tempfile.mkdtemp(prefix="herald-keys-")
        path = os.path.join(d, "junk.pem")
        with open(path, "w") as f:
            f.write("not a key\n")
        h = Herald(auth__public_key_file=path)
        with self.assertRaises(RuntimeError) as ctx:
            h.start()
        self.assertIn("auth.public_key_file", str(ctx.exception))


class JwksTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="herald-keys-")
        cls.k1_private, cls.k1_public = rsa_key(cls.dir, "k1")
        cls.e1_private, cls.e1_public = ec_key(cls.dir, "e1")
        cls.k2_private, cls.k2_public = rsa_key(cls.dir, "k2")
        cls.jwks = JwksServer([jwk(cls.k1_public, "k1"), jwk(cls.e1_public, "e1")])
        cls.h = Herald(auth__jwt_secret="", auth__jwks_url=cls.jwks.url,
                       auth__jwks_refresh="1h").start()

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()
        cls.jwks.stop()

    def test_keys_by_kid_rotation_while_connected_and_unknown_kids(self):
        self.assertGreaterEqual(self.jwks.fetches, 1)  # fetched at start
        rs = signed(self.k1_private, "RS256", kid="k1", exp=int(time.time()) + 3600)
        es = signed(self.e1_private, "ES256", sub="u3", kid="e1")
        self.assertEqual(status_of(self.h.port, "token=" + es), 101)
        connected = RawWS(self.h.port, "token=" + rs)
        self.assertEqual(connected.recv()["type"], "welcome")
        # The right kid, another key's signature.
        self.assertEqual(status_of(self.h.port, "token=" + signed(self.k2_private, "RS256", kid="k1")), 401)

        # Rotation: the provider now publishes k2 and drops k1. A token with
        # k2 makes one early refetch and is accepted; the client of k1 stays.
        self.jwks.document = {"keys": [jwk(self.k2_public, "k2"), jwk(self.e1_public, "e1")]}
        before = self.jwks.fetches
        k2 = signed(self.k2_private, "RS256", kid="k2", exp=int(time.time()) + 7200)
        self.assertEqual(status_of(self.h.port, "token=" + k2), 101)
        self.assertEqual(self.jwks.fetches, before + 1)
        connected.send_json({"type": "ping"})
        self.assertEqual(connected.recv()["type"], "pong")
        # The connected client refreshes with a token of the new key.
        connected.send_json({"type": "refresh", "token": k2})
        self.assertEqual(connected.recv()["type"], "refreshed")

        # A kid nobody publishes: refused; within the refetch gap no second fetch.
        before = self.jwks.fetches
        ghost = signed(self.k2_private, "RS256", kid="ghost")
        self.assertEqual(status_of(self.h.port, "token=" + ghost), 401)
        self.assertEqual(status_of(self.h.port, "token=" + ghost), 401)
        self.assertLessEqual(self.jwks.fetches, before + 1)
        # Dropped keys no longer work.
        self.assertEqual(status_of(self.h.port, "token=" + signed(self.k1_private, "RS256", kid="k1")), 401)
        connected.close()


class JwksRefreshTest(unittest.TestCase):

    def test_the_jwks_is_fetched_again_every_jwks_refresh_and_an_outage_keeps_the_keys(self):
        d = tempfile.mkdtemp(prefix="herald-keys-")
        private, public = rsa_key(d, "k1")
        jwks = JwksServer([jwk(public, "k1")])
        try:
            with Herald(auth__jwt_secret="", auth__jwks_url=jwks.url, auth__jwks_refresh="300ms") as h:
                wait_for(lambda: jwks.fetches >= 4)
                # The provider answers garbage for a while: the keys held still check tokens.
                jwks.document = {"not": "a jwks"}
                start = jwks.fetches
                wait_for(lambda: jwks.fetches >= start + 2)
                self.assertEqual(status_of(h.port, "token=" + signed(private, "RS256", kid="k1")), 101)
                self.assertIn("JWKS at auth.jwks_url is unusable", h.log_text())
        finally:
            jwks.stop()


class FirstFrameAuthTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.h = Herald(auth__first_frame_timeout="1s").start()

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()

    def test_auth_frame_then_welcome_and_frames_sent_early_are_kept(self):
        ws = RawWS(self.h.port, "auth=frame&view=admin")
        ws.send_json({"type": "auth", "token": token("u1", channels=["admin"])})
        ws.send_json({"type": "ping"})  # before welcome: answered after it
        w = ws.recv()
        self.assertEqual(w["type"], "welcome")
        self.assertEqual(w["user"], "u1")
        self.assertIn("admin", w["channels"])
        self.assertEqual(ws.recv()["type"], "pong")
        self.h.publish(channel="admin", event="e", data={})
        self.assertEqual(ws.events(1)[0]["channel"], "admin")
        ws.close()

    def test_a_bad_token_or_another_frame_first_closes_4001_without_welcome(self):
        for first in ({"type": "auth", "token": token("u1", secret="wrong")},
                      {"type": "ping"}, {"type": "auth"}):
            ws = RawWS(self.h.port, "auth=frame")
            ws.send_json(first)
            with self.assertRaises(Closed) as ctx:
                ws.recv()
            self.assertEqual(ctx.exception.code, 4001, first)

    def test_a_forbidden_channel_closes_4001(self):
        ws = RawWS(self.h.port, "auth=frame&view=secret")
        ws.send_json({"type": "auth", "token": token("u1")})
        with self.assertRaises(Closed) as ctx:
            ws.recv()
        self.assertEqual(ctx.exception.code, 4001)
        self.assertIn("channel not allowed", ctx.exception.reason)

    def test_no_frame_in_time_closes_4001(self):
        ws = RawWS(self.h.port, "auth=frame")
        start = time.time()
        with self.assertRaises(Closed) as ctx:
            ws.recv(timeout=5)
        self.assertEqual(ctx.exception.code, 4001)
        self.assertLess(time.time() - start, 4)

    def test_neither_token_nor_auth_frame_is_still_401(self):
        with self.assertRaises(UpgradeRefused) as ctx:
            RawWS(self.h.port, "view=admin")
        self.assertEqual(ctx.exception.status, 401)
        with self.assertRaises(UpgradeRefused) as ctx:
            RawWS(self.h.port, "auth=cookie")
        self.assertEqual(ctx.exception.status, 400)


class ExpiryTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.h = Herald(auth__refresh_ahead="2s", auth__leeway="0s").start()

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()

    def test_without_refresh_token_expiring_then_4001(self):
        exp = int(time.time()) + 3
        ws = RawWS(self.h.port, "token=" + token("u1", exp=exp))
        self.assertEqual(ws.recv()["type"], "welcome")
        warning = ws.recv(timeout=5)
        self.assertEqual(warning["type"], "token_expiring")
        self.assertLessEqual(warning["in_ms"], 2000)
        with self.assertRaises(Closed) as ctx:
            ws.recv(timeout=5)
        self.assertEqual(ctx.exception.code, 4001)
        self.assertEqual(ctx.exception.reason, "token expired")
        self.assertGreaterEqual(time.time(), exp)

    def test_refresh_moves_exp_and_leaves_channels_no_longer_allowed(self):
        exp = int(time.time()) + 3
        ws = RawWS(self.h.port, "token=" + token("u2", channels=["a", "b"], exp=exp) + "&channels=a,b")
        self.assertEqual(ws.recv()["type"], "welcome")
        self.assertEqual(ws.recv(timeout=5)["type"], "token_expiring")
        new_exp = int(time.time()) + 3600
        ws.send_json({"type": "refresh", "token": token("u2", channels=["a"], exp=new_exp)})
        self.assertEqual(ws.recv(), {"type": "refreshed", "exp": new_exp})
        self.assertEqual(ws.recv(), {"type": "unsubscribed", "channel": "b"})
        # Past the old exp the session goes on.
        time.sleep(max(0, exp - time.time()) + 1)
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv()["type"], "pong")
        # Another user's token or a bad one: an error frame, nothing closes.
        ws.send_json({"type": "refresh", "token": token("u3", exp=new_exp)})
        self.assertEqual(ws.recv()["code"], "bad_token")
        ws.send_json({"type": "refresh", "token": "junk"})
        self.assertEqual(ws.recv()["code"], "bad_token")
        ws.close()


if __name__ == "__main__":
    unittest.main()
