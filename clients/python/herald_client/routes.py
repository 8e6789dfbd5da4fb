"""Herald's HTTP API (docs/http-api.md), written once for the blocking and
the asyncio publisher: each method describes its call and hands it to the
transport's `_call`, which returns the answer (blocking) or an awaitable of
it (asyncio). A call is retried only when repeating it cannot do anything
twice: reads, PUT/DELETE, the control routes, and publishes and notifies
that carry an idempotency or dedupe key."""
import uuid
from urllib.parse import quote, urlencode


def _seg(value):
    return quote(str(value), safe="")


def _query(**params):
    given = {k: v for k, v in params.items() if v is not None}
    return "?" + urlencode(given) if given else ""


def _target(user, channel, broadcast):
    if sum((user is not None, channel is not None, bool(broadcast))) != 1:
        raise ValueError("give exactly one of user=, channel= or broadcast=True")
    if user is not None:
        return {"user": user}
    if channel is not None:
        return {"channel": channel}
    return {"broadcast": True}


def _drop_none(d):
    return {k: v for k, v in d.items() if v is not None}


class Routes:
    """The API. Subclasses provide `_call(method, path, body, retry, pick)`;
    `pick` takes the parsed answer apart (None: the whole answer)."""

    # A publish without an idempotency_key gets a fresh one, so a retry after
    # a lost answer cannot publish twice. False: publishes are never retried.
    auto_idempotency = True

    def _key(self, given):
        if given is not None:
            return given
        return uuid.uuid4().hex if self.auto_idempotency else None

    # --- publishing -----------------------------------------------------------

    def publish(self, event, data=None, *, user=None, channel=None, broadcast=False,
                idempotency_key=None, escalate=None):
        """One event to a user, a channel or everyone → {"id", "delivered", "stored", …}."""
        body = {**_target(user, channel, broadcast), "event": event, "data": data}
        key = self._key(idempotency_key)
        if key is not None:
            body["idempotency_key"] = key
        if escalate is not None:
            body["escalate"] = escalate
        return self._call("POST", "/api/v1/publish", body, retry=key is not None)

    def publish_batch(self, items):
        """Many publishes in one request (dicts as for /publish, without
        idempotency keys: the server takes those on single publishes only) →
        one result per item, in order: the publish's answer, or {"error": …}
        for a bad item. Not retried: a lost answer could mean it was published."""
        return self._call("POST", "/api/v1/publish/batch", {"items": list(items)}, retry=False,
                          pick=lambda a: a["results"])

    # --- outbound notifications -------------------------------------------------

    def notify(self, sink, to, *, text=None, data=None, delay=None, send_at=None, priority=None,
               dedupe_key=None, expires_at=None):
        """A job for a sink (webhook, telegram, webpush) → {"job_id", …}. Retried
        only with a dedupe_key (the server then keeps one job for it)."""
        body = _drop_none({"sink": sink, "to": to, "text": text, "data": data, "delay": delay,
                           "send_at": send_at, "priority": priority, "dedupe_key": dedupe_key,
                           "expires_at": expires_at})
        return self._call("POST", "/api/v1/notify", body, retry=dedupe_key is not None)

    def notify_batch(self, items):
        """Many notify bodies → one result per item: {"job_id"} or {"error", "status"}."""
        items = list(items)
        retry = all("dedupe_key" in i for i in items)
        return self._call("POST", "/api/v1/notify/batch", {"items": items}, retry=retry,
                          pick=lambda a: a["results"])

    def queue_stats(self):
        return self._call("GET", "/api/v1/queue/stats")

    def dlq(self, limit=None, offset=None):
        """Dead jobs, newest first: at most `limit` (1–1000) after skipping `offset`."""
        return self._call("GET", "/api/v1/dlq" + _query(limit=limit, offset=offset),
                          pick=lambda a: a["jobs"])

    def dlq_retry(self, job_id):
        return self._call("POST", f"/api/v1/dlq/{_seg(job_id)}/retry", retry=True)

    def dlq_delete(self, job_id):
        return self._call("DELETE", f"/api/v1/dlq/{_seg(job_id)}", retry=True)

    def opt_in(self, sink, to):
        return self._call("PUT", f"/api/v1/optin/{_seg(sink)}/{_seg(to)}", retry=True)

    def opt_out(self, sink, to):
        return self._call("DELETE", f"/api/v1/optin/{_seg(sink)}/{_seg(to)}", retry=True)

    # --- presence, channels, history, inbox -------------------------------------

    def presence(self, user):
        """{"user", "connected", "sessions", "last_seen"} over every node."""
        return self._call("GET", f"/api/v1/presence/{_seg(user)}")

    def presence_many(self, users):
        """{user: {"connected", "sessions", "last_seen"}} for many users at once."""
        return self._call("POST", "/api/v1/presence", {"users": list(users)}, retry=True,
                          pick=lambda a: a["users"])

    def channel_presence(self, channel):
        return self._call("GET", f"/api/v1/channels/{_seg(channel)}/presence")

    def channels(self, prefix=None, after=None, limit=None):
        """This node's channels: {"channels": [{"channel", "sessions"}], "total", "next"}."""
        return self._call("GET", "/api/v1/channels" + _query(prefix=prefix, after=after, limit=limit))

    def history(self, channel, since=None, limit=None):
        """{"channel", "epoch", "offset", "events"}: kept events after offset `since`."""
        return self._call("GET", f"/api/v1/history/{_seg(channel)}" + _query(since=since, limit=limit))

    def inbox(self, user, after=None, limit=None):
        """{"user", "unread", "cursor", "events"}: the user's kept events."""
        return self._call("GET", f"/api/v1/users/{_seg(user)}/inbox" + _query(after=after, limit=limit))

    def mark_read(self, user, up_to):
        """Moves the user's read cursor to event `up_to` (never back)."""
        return self._call("POST", f"/api/v1/users/{_seg(user)}/inbox/read", {"up_to": up_to},
                          retry=True)

    def receipt(self, event_id):
        """A user event's receipt: stored, delivered to which sessions, acked, escalation."""
        return self._call("GET", f"/api/v1/events/{_seg(event_id)}")

    # --- control ----------------------------------------------------------------

    def disconnect(self, user, code=None, reason=None):
        """Closes every session of `user` (default code 4003), not resumable."""
        body = _drop_none({"user": user, "code": code, "reason": reason})
        return self._call("POST", "/api/v1/disconnect", body, retry=True)

    def subscribe(self, user, channel):
        """Joins every live session of `user` to `channel` → {"sessions": N}."""
        return self._call("POST", "/api/v1/subscribe", {"user": user, "channel": channel}, retry=True)

    def unsubscribe(self, user, channel):
        return self._call("POST", "/api/v1/unsubscribe", {"user": user, "channel": channel},
                          retry=True)

    # --- the node ---------------------------------------------------------------

    def health(self):
        """{"status": "ok", …}; a degraded node raises Unavailable."""
        return self._call("GET", "/api/v1/websocket/health")

    def stats(self):
        return self._call("GET", "/api/v1/websocket/stats")
