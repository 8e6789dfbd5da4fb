"""The blocking publisher: Herald's HTTP API over one kept-alive connection
(http.client), safe to share between threads."""
import http.client
import threading
import time

from .errors import ApiError, TransportError
from .http_wire import Settings, decode, encode, headers, retry_wait
from .routes import Routes


class Publisher(Settings, Routes):
    """publisher = Publisher("http://127.0.0.1:8080", api_key="…")
    publisher.publish("order.paid", {"id": 7}, user="ann")

    `retries`: how often a call that is safe to repeat is asked again after a
    lost connection or a 409/502/503/504, waiting `backoff` between tries."""

    def __init__(self, base_url, api_key=None, **settings):
        Settings.__init__(self, base_url, api_key, **settings)
        self._lock = threading.Lock()
        self._conn = None

    def close(self):
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._endpoint.tls else http.client.HTTPConnection
            self._conn = cls(self._endpoint.host, self._endpoint.port, timeout=self._timeout)
        return self._conn

    def _once(self, method, path, body_bytes):
        with self._lock:
            try:
                return self._exchange(method, path, body_bytes)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # A kept connection the server closed while idle: nothing was
                # read, so the request goes again once on a new one.
                if not getattr(e, "reused", False):
                    raise TransportError(f"{method} {path}: {e or type(e).__name__}") from e
            try:
                return self._exchange(method, path, body_bytes)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                raise TransportError(f"{method} {path}: {e or type(e).__name__}") from e

    def _exchange(self, method, path, body_bytes):
        reused = self._conn is not None and self._conn.sock is not None
        conn = self._connection()
        try:
            conn.request(method, self._endpoint.prefix + path, body=body_bytes,
                         headers=headers(self._endpoint, self._api_key, body_bytes))
            resp = conn.getresponse()
            raw = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                self._conn = None
            return resp.status, raw
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
            conn.close()
            self._conn = None
            e.reused = reused
            raise
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self._conn = None
            raise TransportError(f"{method} {path}: {e or type(e).__name__}") from e

    def _call(self, method, path, body=None, retry=None, pick=None):
        if retry is None:
            retry = method == "GET"
        body_bytes = encode(body)
        attempt = 0
        while True:
            try:
                status, raw = self._once(method, path, body_bytes)
                return decode(status, raw, pick)
            except (TransportError, ApiError) as e:
                wait = retry_wait(e, retry, attempt, self._retries, self._backoff)
                if wait is None:
                    raise
            time.sleep(wait)
            attempt += 1
