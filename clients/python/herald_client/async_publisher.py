"""The asyncio publisher: the same API as Publisher (every method is a
coroutine), over kept-alive HTTP/1.1 connections made with asyncio streams
(only the standard library)."""
import asyncio
import ssl as _ssl

from .errors import ApiError, TransportError
from .http_wire import Settings, decode, encode, headers, retry_wait
from .routes import Routes

MAX_ANSWER_BYTES = 64 << 20  # an answer larger than this is not Herald's


class _Stale(Exception):
    """A kept connection the server had closed: nothing was read."""


async def _read_answer(reader):
    line = await reader.readuntil(b"\r\n")
    parts = line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise TransportError(f"not an HTTP answer: {line[:80]!r}")
    status = int(parts[1])
    fields = {}
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()
    if fields.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            if len(body) + size > MAX_ANSWER_BYTES:
                raise TransportError("the answer is too large")
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return status, fields, bytes(body)
    length = int(fields.get("content-length", "0") or 0)
    if length > MAX_ANSWER_BYTES:
        raise TransportError("the answer is too large")
    return status, fields, await reader.readexactly(length)


class AsyncPublisher(Settings, Routes):
    """async with AsyncPublisher("http://127.0.0.1:8080", api_key="…") as herald:
        await herald.publish("order.paid", {"id": 7}, user="ann")

    At most `max_connections` requests run at once; `retries` and `backoff`
    as for Publisher."""

    def __init__(self, base_url, api_key=None, *, max_connections=8, **settings):
        Settings.__init__(self, base_url, api_key, **settings)
        self._max = max_connections
        self._idle = []
        self._slots = None  # made on first use, inside the running loop

    async def close(self):
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def _open(self):
        ctx = _ssl.create_default_context() if self._endpoint.tls else None
        return await asyncio.open_connection(self._endpoint.host, self._endpoint.port, ssl=ctx)

    async def _exchange(self, conn, method, path, body_bytes, reused):
        reader, writer = conn
        head = f"{method} {self._endpoint.prefix}{path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers(self._endpoint, self._api_key, body_bytes).items())
        writer.write(head.encode("latin-1") + b"\r\n" + (body_bytes or b""))
        try:
            await writer.drain()
            return await _read_answer(reader)
        except asyncio.IncompleteReadError as e:
            if reused and not e.partial:
                raise _Stale() from e
            raise TransportError(f"{method} {path}: the connection closed mid-answer") from e
        except (ConnectionResetError, BrokenPipeError) as e:
            if reused:
                raise _Stale() from e
            raise

    async def _once(self, method, path, body_bytes):
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max)
        async with self._slots:
            for _ in range(2):
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else None
                try:
                    if conn is None:
                        conn = await asyncio.wait_for(self._open(), self._timeout)
                    status, fields, raw = await asyncio.wait_for(
                        self._exchange(conn, method, path, body_bytes, reused), self._timeout)
                except _Stale:
                    conn[1].close()
                    continue  # once more, on a new connection
                except (OSError, asyncio.TimeoutError, asyncio.LimitOverrunError, ValueError) as e:
                    if conn is not None:
                        conn[1].close()
                    raise TransportError(f"{method} {path}: {e or type(e).__name__}") from e
                except BaseException:
                    if conn is not None:
                        conn[1].close()
                    raise
                if fields.get("connection", "").lower() != "close" and len(self._idle) < self._max:
                    self._idle.append(conn)
                else:
                    conn[1].close()
                return status, raw
            raise TransportError(f"{method} {path}: the server closed the connection")

    async def _call(self, method, path, body=None, retry=None, pick=None):
        if retry is None:
            retry = method == "GET"
        body_bytes = encode(body)
        attempt = 0
        while True:
            try:
                status, raw = await self._once(method, path, body_bytes)
                return decode(status, raw, pick)
            except (TransportError, ApiError) as e:
                wait = retry_wait(e, retry, attempt, self._retries, self._backoff)
                if wait is None:
                    raise
            await asyncio.sleep(wait)
            attempt += 1
