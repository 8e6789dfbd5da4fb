"""A local Web Push service for the tests: it checks each request the way a
real push service does (RFC 8292 VAPID: an ES256 JWT for its own origin,
signed by the key in `k`), decrypts the payload as the browser would
(RFC 8291 aes128gcm, with the subscription's private key), and records what
it got. Paths ending in /gone answer 410, /missing 404. Its own code, on the
`cryptography` package, so it shares nothing with Herald's."""
import base64
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sinks import Served


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


def hkdf(salt, ikm, info, length):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


def write_vapid_key(path):
    """A fresh VAPID key as a PEM file; its raw public key."""
    key = ec.generate_private_key(ec.SECP256R1())
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return raw_public(key)


class Browser:
    """One subscription: the keys PushManager.subscribe() would make."""

    def __init__(self, endpoint):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self):
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64u(raw_public(self.key)), "auth": b64u(self.auth)}}

    def decrypt(self, body):
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        as_public = body[21:21 + idlen]
        ciphertext = body[21 + idlen:]
        assert rs >= 18 and len(ciphertext) <= rs, "one record"
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
        shared = self.key.exchange(ec.ECDH(), peer)
        ua_public = raw_public(self.key)
        ikm = hkdf(self.auth, shared, b"WebPush: info\x00" + ua_public + as_public, 32)
        cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
        text = padded.rstrip(b"\x00")
        assert text.endswith(b"\x02"), "the last record's delimiter"
        return text[:-1]


class PushService(Served):
    def __init__(self, vapid_public, subject):
        self.lock = threading.Lock()
        self.browsers = {}   # path → Browser
        self.received = []   # (path, payload dict) that checked out
        self.refused = []    # (path, reason)
        self.hits = []       # every path asked, in order
        self.vapid_public = vapid_public
        self.subject = subject
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = owner.handle(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.start_serving(Handler)
        self.origin = f"http://127.0.0.1:{self.port}"

    def browser(self, path):
        b = Browser(self.origin + path)
        self.browsers[path] = b
        return b

    def check_vapid(self, authorization):
        scheme, _, params = authorization.partition(" ")
        assert scheme == "vapid", authorization
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        assert unb64u(fields["k"]) == self.vapid_public, "k is the sink's public key"
        head, claims, signature = fields["t"].split(".")
        assert json.loads(unb64u(head)) == {"typ": "JWT", "alg": "ES256"}
        sig = unb64u(signature)
        assert len(sig) == 64, "JOSE r||s"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(fields["k"]))
        public.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                      f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        c = json.loads(unb64u(claims))
        assert c["aud"] == self.origin, c
        assert time.time() < c["exp"] <= time.time() + 24 * 3600, c
        assert c["sub"] == self.subject, c

    def handle(self, path, headers, body):
        with self.lock:
            self.hits.append(path)
        if path.endswith("/gone"):
            return 410
        if path.endswith("/missing"):
            return 404
        try:
            self.check_vapid(headers.get("Authorization", ""))
            assert headers.get("Content-Encoding") == "aes128gcm"
            assert int(headers.get("TTL")) >= 0
            payload = json.loads(self.browsers[path].decrypt(body))
        except Exception as e:  # noqa: BLE001 - the reason is what the test reports
            with self.lock:
                self.refused.append((path, repr(e)))
            return 400
        with self.lock:
            self.received.append((path, payload, dict(headers)))
        return 201
