"""The asyncio WebSocket client, for workers, tests and services that listen
(the protocol: docs/protocol.md). It does what herald-client.js does:

- reconnects with exponential backoff and jitter after anything but close();
  a server going away (1001 {"reconnect":true,"delay_ms":N}) after N ms;
- resumes the session (session_id, resume_token, last_seq): missed events
  come again without a gap;
- recovers on any node: it keeps the newest inbox event it got (a fresh
  session replays the inbox after it) and each history channel's offset and
  epoch (a fresh session rejoins with since.<channel>; "subscribed" says
  recovered true or false);
- sends a ping every 0.8 × the server's heartbeat; acks (by hand or auto_ack);
- asks the token function again on every reconnect and on token_expiring,
  and sends the new token in a refresh frame.

    client = HeraldClient("ws://127.0.0.1:8080/ws", token=get_token, channels=["admin"])
    async for event in client.events():      # connects on first use
        print(event["event"], event["data"])

Close codes after which it does not reconnect: 4002 (resumed elsewhere),
4003 (disconnected by the control API), 4008 (the user's oldest session):
reconnecting would fight the server's decision. The "closed" handler and
`client.close_code` say why it stopped.
"""
import asyncio
import inspect
import json
import logging
import random
from urllib.parse import urlencode

import websockets

from .backoff import Backoff, hinted_delay

log = logging.getLogger("herald_client")

# The server ended the session for good: the next connect starts a new one.
FRESH_AFTER = frozenset({1000, 1002, 1003, 1007, 1008, 1009, 4001})
# The server does not want this client back.
FINAL = frozenset({4002, 4003, 4008})


def _integer(v):
    return isinstance(v, int) and not isinstance(v, bool)


class HeraldClient:
    def __init__(self, url, token=None, *, channels=(), auto_ack=False, auth_frame=False,
                 backoff=Backoff(), ping_interval=None, max_queue=10000, open_timeout=10.0,
                 max_frame_bytes=1 << 20, rand=random.random):
        self.url = url
        self._token = token
        self.auto_ack = auto_ack
        self.auth_frame = auth_frame
        self.backoff = backoff
        self.ping_interval = ping_interval
        self.open_timeout = open_timeout
        self.max_frame_bytes = max_frame_bytes
        self._rand = rand
        self._handlers = {}
        # Events wait here for events(). Until something reads it (handlers
        # only), the oldest go beyond max_queue; once read, a full queue makes
        # the client stop reading the socket instead.
        self._queue = asyncio.Queue(maxsize=max_queue)
        self._reading = False
        self._dropped = 0
        self.channels = list(dict.fromkeys(channels))  # rejoined on every reconnect
        self._asked = set()
        self.positions = {}  # channel → {"offset", "epoch"}
        self.last_event_id = None
        self.session_id = None
        self.resume_token = None
        self.last_seq = 0
        self.attempt = 0
        self.close_code = None
        self.close_reason = None
        self.state = "idle"  # idle, connecting, open, waiting, closed
        self._ws = None
        self._closing = False
        self._runner = None
        self._opened = None
        self._stopping = None

    # --- handlers ---------------------------------------------------------------

    def on(self, name, fn=None):
        """Calls fn(message) (a function or a coroutine function) for each frame of
        type `name` ("event", "welcome", "subscribed", "error", …) and for
        "open", "close", "reconnecting", "closed". Usable as a decorator."""
        if fn is None:
            return lambda f: self.on(name, f)
        self._handlers.setdefault(name, []).append(fn)
        return fn

    async def _emit(self, name, value):
        # A handler that fails is logged; the connection goes on.
        for fn in list(self._handlers.get(name, ())):
            try:
                result = fn(value)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("herald_client: the %r handler failed", name)

    # --- running ----------------------------------------------------------------

    def start(self):
        """Runs the connection in the background (the same loop); returns the task."""
        if self._runner is None or self._runner.done():
            self._closing = False
            self._runner = asyncio.ensure_future(self.run())
        return self._runner

    async def wait_open(self, timeout=None):
        """Waits until a session is open (welcome received)."""
        self.start()
        if self._opened is None:
            self._opened = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(asyncio.shield(self._opened), timeout)

    async def events(self):
        """Every event frame, in order; connects on first use. Ends when the
        client is closed (close(), or a close code it does not come back from).
        Up to max_queue events wait for the reader; beyond, the client stops
        reading the socket until the reader catches up (the server's
        session.outbound_queue_max then decides)."""
        self._reading = True
        self.start()
        while True:
            item = await self._queue.get()
            if item is None:
                return
            yield item

    async def run(self):
        """Connects, and reconnects, until close() or a final close code."""
        loop = asyncio.get_running_loop()
        if self._opened is None:
            self._opened = loop.create_future()
        self._stopping = asyncio.Event()
        try:
            while not self._closing:
                delay = await self._session()
                if self._closing:
                    break
                if delay is None:
                    delay = self.backoff.delay(self.attempt, self._rand)
                    self.attempt += 1
                self.state = "waiting"
                await self._emit("reconnecting", {"attempt": self.attempt, "delay": delay})
                try:  # close() ends the wait at once
                    await asyncio.wait_for(self._stopping.wait(), delay)
                except asyncio.TimeoutError:
                    pass
        finally:
            self.state = "closed"
            try:
                self._queue.put_nowait(None)  # ends events()
            except asyncio.QueueFull:
                if self._reading:
                    asyncio.ensure_future(self._queue.put(None))  # once the reader catches up
            await self._emit("closed", {"code": self.close_code, "reason": self.close_reason})

    async def close(self):
        """Ends the session with 1000; no reconnect."""
        self._closing = True
        if self._stopping is not None:
            self._stopping.set()
        if self._ws is not None:
            await self._ws.close(1000)
        if self._runner is not None and self._runner is not asyncio.current_task():
            try:
                await asyncio.wait_for(self._runner, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._runner.cancel()

    async def _current_token(self):
        token = self._token
        if callable(token):
            token = token()
            if inspect.isawaitable(token):
                token = await token
        return token

    def _connect_url(self, token):
        params = {}
        if token and self.auth_frame:
            params["auth"] = "frame"
        elif token:
            params["token"] = token
        if self.channels:
            params["channels"] = ",".join(self.channels)
        if self.last_event_id:
            params["last_event_id"] = self.last_event_id
        for channel, at in self.positions.items():
            if channel in self.channels:
                params["since." + channel] = f"{at['offset']}:{at['epoch']}"
        if self.session_id:
            params["session_id"] = self.session_id
            if self.resume_token:
                params["resume_token"] = self.resume_token
            params["last_seq"] = str(self.last_seq)
        return self.url + ("&" if "?" in self.url else "?") + urlencode(params)

    async def _session(self):
        """One connection, from connect to close. Returns the wait the server
        asked for before the next one, or None for the next backoff step."""
        self.state = "connecting"
        try:
            token = await self._current_token()
        except Exception as e:  # the app's token function failed: try later
            await self._emit("error", {"type": "error", "code": "token_failed", "message": str(e)})
            return None
        try:
            ws = await asyncio.wait_for(
                websockets.connect(self._connect_url(token), ping_interval=None,
                                   max_size=self.max_frame_bytes, open_timeout=self.open_timeout),
                self.open_timeout + 1)
        except Exception as e:
            status = getattr(e, "status_code", None) or getattr(getattr(e, "response", None), "status_code", None)
            await self._emit("error", {"type": "error", "code": "connect_failed", "status": status,
                                       "message": str(e) or type(e).__name__})
            if status == 401:  # the token: a fresh session next time
                self.session_id = None
            return None
        self._ws = ws
        if self._closing:
            await ws.close(1000)
        self.state = "open"
        await self._emit("open", {})
        pinger = None
        try:
            if token and self.auth_frame:
                await ws.send(json.dumps({"type": "auth", "token": token}))
            async for text in ws:
                if isinstance(text, bytes):
                    continue
                welcome = await self._receive(text)
                if welcome is not None:
                    if pinger is not None:
                        pinger.cancel()
                    pinger = asyncio.ensure_future(self._ping(ws, welcome.get("heartbeat_ms")))
        except websockets.ConnectionClosed:
            pass
        finally:
            if pinger is not None:
                pinger.cancel()
            self._ws = None
        code, reason = ws.close_code, ws.close_reason
        self.close_code, self.close_reason = code, reason
        await self._emit("close", {"code": code, "reason": reason})
        if code in FRESH_AFTER:
            self.session_id = None
            self.last_seq = 0
        if code in FINAL:
            self._closing = True
            return None
        return hinted_delay(reason) if code == 1001 else None

    async def _ping(self, ws, heartbeat_ms):
        every = self.ping_interval or max(1.0, (heartbeat_ms or 30000) * 0.8 / 1000.0)
        while True:
            await asyncio.sleep(every)
            await ws.send('{"type":"ping"}')

    async def _receive(self, text):
        """Handles one frame; returns the welcome frame when it is one."""
        try:
            msg = json.loads(text)
        except ValueError:
            await self._emit("error", {"type": "error", "code": "bad_frame", "message": text[:200]})
            return None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            await self._emit("error", {"type": "error", "code": "bad_frame", "message": text[:200]})
            return None
        kind = msg.get("type")
        if kind == "welcome":
            if not msg.get("resumed"):
                self.last_seq = 0
            self.session_id = msg.get("session_id")
            self.resume_token = msg.get("resume_token")
            self.attempt = 0
            if self._opened is not None and not self._opened.done():
                self._opened.set_result(True)
            await self._emit("welcome", msg)
            return msg
        if kind == "event":
            seq = msg.get("seq")
            offset = msg.get("offset")
            if not _integer(seq) or (offset is not None and not _integer(offset)):
                await self._emit("error", {"type": "error", "code": "bad_frame", "message": text[:200]})
                return None
            if seq <= self.last_seq:
                return None
            self.last_seq = seq
            if offset is not None and not self._advance(msg.get("channel"), offset, msg.get("epoch")):
                return None
            if str(msg.get("channel", "")).startswith("user:"):
                self.last_event_id = msg.get("id")
            await self._enqueue(msg)
            await self._emit("event", msg)
            if self.auto_ack:
                await self.ack(msg.get("id"))
            return None
        if kind == "subscribed":
            channel = msg.get("channel")
            if channel in self._asked:
                self._asked.discard(channel)
                if channel not in self.channels:
                    self.channels.append(channel)
            if "epoch" in msg and _integer(msg.get("offset")) and msg.get("recovered") is not True:
                self.positions[channel] = {"offset": msg.get("offset"), "epoch": msg.get("epoch")}
        elif kind == "unsubscribed":
            channel = msg.get("channel")
            if channel in self.channels:
                self.channels.remove(channel)
            self.positions.pop(channel, None)
        elif kind == "token_expiring":
            asyncio.ensure_future(self.refresh())
        await self._emit(kind, msg)
        return None

    async def _enqueue(self, msg):
        if self._reading:
            await self._queue.put(msg)
            return
        if self._queue.full():
            self._queue.get_nowait()
            self._dropped += 1
            if self._dropped == 1:
                log.warning("herald_client: events() is not read; older events are dropped from its queue")
        self._queue.put_nowait(msg)

    def _advance(self, channel, offset, epoch):
        at = self.positions.get(channel)
        if at and at["epoch"] == epoch and offset <= at["offset"]:
            return False
        self.positions[channel] = {"offset": offset, "epoch": epoch}
        return True

    # --- what the app sends -----------------------------------------------------------

    async def send(self, frame):
        """Sends a frame now; False when no connection is open."""
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(frame))
            return True
        except websockets.ConnectionClosed:
            return False

    async def ack(self, event_id):
        return await self.send({"type": "ack", "id": event_id})

    async def subscribe(self, channel):
        """Joins a channel now and, once the server said subscribed, on every
        reconnect; from a known position the server replays what was missed."""
        self._asked.add(channel)
        at = self.positions.get(channel)
        frame = {"type": "subscribe", "channel": channel}
        if at:
            frame["since"] = at
        return await self.send(frame)

    async def unsubscribe(self, channel):
        if channel in self.channels:
            self.channels.remove(channel)
        self.positions.pop(channel, None)
        return await self.send({"type": "unsubscribe", "channel": channel})

    async def refresh(self):
        """Asks the token function for a new token and sends it (refresh frame);
        the server answers refreshed, or error bad_token."""
        if not callable(self._token):
            return False
        try:
            token = await self._current_token()
        except Exception as e:
            await self._emit("error", {"type": "error", "code": "token_failed", "message": str(e)})
            return False
        return bool(token) and await self.send({"type": "refresh", "token": token})

    def position(self, channel):
        """Where this client is in a history channel ({"offset", "epoch"}), or None."""
        return self.positions.get(channel)
