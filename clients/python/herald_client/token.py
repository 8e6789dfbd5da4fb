"""Client tokens signed with the server's auth.jwt_secret (HS256), made with
the standard library: what a backend hands its clients."""
import base64
import hashlib
import hmac
import json
import time


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(secret, user, channels=(), ttl=3600, now=None):
    """A token for `user`, allowed to join `channels` (exact names or prefixes
    ending in *), valid `ttl` seconds."""
    if not secret:
        raise ValueError("no secret: the server's auth.jwt_secret")
    if not user:
        raise ValueError("no user")
    issued = int(time.time() if now is None else now)
    claims = {"sub": str(user), "iat": issued, "exp": issued + int(ttl)}
    if channels:
        claims["channels"] = list(channels)
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    key = secret.encode() if isinstance(secret, str) else secret
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"
