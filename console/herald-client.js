// Herald's JavaScript client, for the console and for apps.
//
//   const client = new HeraldClient({ url: "wss://host/ws", token: () => fetchToken(), channels: ["admin"] });
//   client.on("event", (e) => console.log(e.event, e.data));
//   client.connect();
//
// - Reconnects with exponential backoff and jitter after anything but our own close().
// - Resumes the session (session_id + resume_token + last_seq) so missed events are replayed without gaps.
// - Recovers on any node: it keeps the last event of the user's inbox it got (last_event_id: a
//   fresh session replays the inbox after it, even what reached a socket that died before the
//   app saw it), every history channel's offset and epoch (and every channel it
//   subscribed to) and, when the session cannot be resumed (the node restarted or died), a fresh
//   session rejoins those channels with since.<channel>: the server replays what was missed and says
//   `recovered` (the "subscribed" event). recovered:false means: refetch the channel's state.
// - A server going away with close 1001 {"reconnect":true,"delay_ms":N} is reconnected to after N ms.
// - Keeps exactly one ping timer, cleared on close and on page unload.
// - `token` may be a string or a function returning a string or a promise (asked again on every reconnect,
//   and when the server says token_expiring: the new token goes in a refresh frame, so the session
//   lives on past the old token's exp); `url` a string or a function (asked on every reconnect).
// - `authFrame: true` sends the token as the first frame ({"type":"auth"}) instead of in the URL,
//   where access logs would keep it.
// - Channels the server joins the session to (POST /api/v1/subscribe) are not rejoined on a
//   reconnect: only those this client asked for.
// In Node, pass the `ws` package as `WebSocket`; timers can be passed in too (tests count them).
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.HeraldClient = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const DEFAULTS = {
    channels: [],
    backoff: { initial: 500, max: 30000, factor: 2, jitter: 0.5 },
    pingInterval: null, // null: the server's heartbeat_ms, a bit less
    autoAck: false,
    authFrame: false,
  };

  // Delay before reconnect number `attempt` (0-based): the exponential step,
  // less up to `jitter` of it at random, so clients that lost the same server
  // do not all come back at once.
  function backoffDelay(attempt, backoff, random) {
    const step = Math.min(backoff.max, backoff.initial * Math.pow(backoff.factor, attempt));
    return Math.round(step * (1 - backoff.jitter * random));
  }

  // The wait a server going away asks for: close 1001 with the reason
  // {"reconnect":true,"delay_ms":N}; null when it gives none.
  function hintedDelay(reason) {
    try {
      const hint = JSON.parse(typeof reason === "string" ? reason : String(reason || ""));
      if (hint && hint.reconnect === true && Number.isFinite(hint.delay_ms) && hint.delay_ms >= 0)
        return Math.min(hint.delay_ms, 60000);
    } catch (e) {
      /* no hint */
    }
    return null;
  }

  class HeraldClient {
    constructor(options) {
      this.options = Object.assign({}, DEFAULTS, options);
      this.options.backoff = Object.assign({}, DEFAULTS.backoff, options && options.backoff);
      this.WebSocket = this.options.WebSocket || (typeof WebSocket !== "undefined" ? WebSocket : null);
      if (!this.WebSocket) throw new Error("no WebSocket implementation: pass options.WebSocket");
      const t = this.options.timers || {};
      this.timers = {
        setTimeout: t.setTimeout || ((f, ms) => setTimeout(f, ms)),
        clearTimeout: t.clearTimeout || ((id) => clearTimeout(id)),
        setInterval: t.setInterval || ((f, ms) => setInterval(f, ms)),
        clearInterval: t.clearInterval || ((id) => clearInterval(id)),
      };
      this.random = this.options.random || Math.random;
      this.handlers = {};
      this.sessionId = null;
      this.lastSeq = 0;
      this.channels = new Set(this.options.channels);
      this.asked = new Set(); // subscribes sent and not yet answered
      this.positions = {}; // channel → { offset, epoch }: the newest event of its history seen
      this.lastEventId = null; // the newest event of the user's inbox seen
      this.attempt = 0;
      this.socket = null;
      this.pingTimer = null;
      this.reconnectTimer = null;
      this.closedByUs = false;
      this.state = "idle"; // idle, connecting, open, waiting, closed
      this.onUnload = () => this.close();
      if (typeof window !== "undefined" && window.addEventListener) {
        window.addEventListener("pagehide", this.onUnload);
        window.addEventListener("beforeunload", this.onUnload);
      }
    }

    on(name, fn) {
      (this.handlers[name] = this.handlers[name] || []).push(fn);
      return this;
    }

    emit(name, value) {
      for (const fn of this.handlers[name] || []) {
        try {
          fn(value);
        } catch (e) {
          if (typeof console !== "undefined") console.error("herald-client handler failed", e);
        }
      }
    }

    async connect() {
      this.closedByUs = false;
      this.state = "connecting";
      let token = this.options.token;
      try {
        if (typeof token === "function") token = await token();
      } catch (e) {
        this.emit("error", e);
        return this.scheduleReconnect();
      }
      if (this.closedByUs) return;
      const params = new URLSearchParams();
      if (token && this.options.authFrame) params.set("auth", "frame");
      else if (token) params.set("token", token);
      if (this.channels.size) params.set("channels", [...this.channels].join(","));
      if (this.lastEventId) params.set("last_event_id", this.lastEventId);
      for (const [channel, at] of Object.entries(this.positions))
        if (this.channels.has(channel)) params.set("since." + channel, at.offset + ":" + at.epoch);
      if (this.sessionId) {
        params.set("session_id", this.sessionId);
        if (this.resumeToken) params.set("resume_token", this.resumeToken);
        params.set("last_seq", String(this.lastSeq));
      }
      const url = typeof this.options.url === "function" ? this.options.url() : this.options.url;
      const sep = url.includes("?") ? "&" : "?";
      const socket = new this.WebSocket(url + sep + params.toString());
      this.socket = socket;
      socket.onopen = () => {
        if (token && this.options.authFrame) socket.send(JSON.stringify({ type: "auth", token }));
        this.state = "open";
        this.emit("open");
      };
      socket.onmessage = (m) => this.receive(typeof m.data === "string" ? m.data : String(m.data));
      socket.onerror = (e) => this.emit("error", e);
      socket.onclose = (e) => this.closed(socket, e);
    }

    receive(text) {
      let msg;
      try {
        msg = JSON.parse(text);
      } catch (e) {
        return this.emit("error", e);
      }
      switch (msg.type) {
        case "welcome":
          if (!msg.resumed) this.lastSeq = 0; // a fresh session counts from 1 again
          this.sessionId = msg.session_id;
          this.resumeToken = msg.resume_token;
          this.attempt = 0;
          this.startPing(msg.heartbeat_ms);
          this.emit("welcome", msg);
          break;
        case "event":
          if (msg.seq <= this.lastSeq) return; // already seen (never expected; cheap to guard)
          this.lastSeq = msg.seq;
          if (msg.offset !== undefined && !this.advance(msg.channel, msg.offset, msg.epoch)) return;
          if (typeof msg.channel === "string" && msg.channel.startsWith("user:")) this.lastEventId = msg.id;
          this.emit("event", msg);
          if (this.options.autoAck) this.ack(msg.id);
          break;
        case "subscribed":
          // Rejoined on every reconnect from now on (a refused subscribe never gets here);
          // a channel the server joined us to is not this client's to rejoin.
          if (this.asked.delete(msg.channel)) this.channels.add(msg.channel);
          // Without a proven recovery the server's position is where this client now stands.
          if (msg.epoch !== undefined && msg.recovered !== true)
            this.positions[msg.channel] = { offset: msg.offset, epoch: msg.epoch };
          this.emit("subscribed", msg);
          break;
        case "unsubscribed":
          // Left by us, by the server, or because a refreshed token no longer allows it.
          this.channels.delete(msg.channel);
          delete this.positions[msg.channel];
          this.emit("unsubscribed", msg);
          break;
        case "token_expiring":
          this.emit("token_expiring", msg);
          this.refresh();
          break;
        default:
          this.emit(msg.type, msg);
      }
    }

    // Asks the token function for a new token and sends it in a refresh
    // frame; the server answers refreshed (or error bad_token).
    async refresh() {
      if (typeof this.options.token !== "function") return;
      try {
        const token = await this.options.token();
        if (token) this.send({ type: "refresh", token });
      } catch (e) {
        this.emit("error", e);
      }
    }

    // Moves a channel's position to an event's; false for one already seen.
    advance(channel, offset, epoch) {
      const at = this.positions[channel];
      if (at && at.epoch === epoch && offset <= at.offset) return false;
      this.positions[channel] = { offset, epoch };
      return true;
    }

    // Where this client is in a history channel ({offset, epoch}), or undefined.
    position(channel) {
      return this.positions[channel];
    }

    send(obj) {
      if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(obj));
    }

    ack(id) {
      this.send({ type: "ack", id });
    }

    // Joins a channel now and, once the server said subscribed, on every
    // reconnect; from a known position the server replays what was missed.
    subscribe(channel) {
      this.asked.add(channel);
      const at = this.positions[channel];
      this.send(at ? { type: "subscribe", channel, since: at } : { type: "subscribe", channel });
    }

    unsubscribe(channel) {
      this.channels.delete(channel);
      delete this.positions[channel];
      this.send({ type: "unsubscribe", channel });
    }

    // Exactly one timer: any earlier one is cleared first.
    startPing(heartbeatMs) {
      this.stopPing();
      const every = this.options.pingInterval || Math.max(1000, Math.floor((heartbeatMs || 30000) * 0.8));
      this.pingTimer = this.timers.setInterval(() => this.send({ type: "ping" }), every);
    }

    stopPing() {
      if (this.pingTimer !== null) {
        this.timers.clearInterval(this.pingTimer);
        this.pingTimer = null;
      }
    }

    closed(socket, e) {
      if (socket !== this.socket) return;
      this.stopPing();
      this.socket = null;
      this.emit("close", { code: e && e.code, reason: e && e.reason });
      if (this.closedByUs) {
        this.state = "closed";
        return;
      }
      // The server ended the session for good: the next connect starts fresh.
      if (e && [1000, 1002, 1003, 1007, 1008, 1009, 4001].includes(e.code)) {
        this.sessionId = null;
        this.lastSeq = 0;
      }
      this.scheduleReconnect(e && e.code === 1001 ? hintedDelay(e.reason) : null);
    }

    // `delay` null: the next backoff step.
    scheduleReconnect(delay = null) {
      if (this.closedByUs || this.reconnectTimer !== null) return;
      if (delay === null) delay = backoffDelay(this.attempt++, this.options.backoff, this.random());
      this.state = "waiting";
      this.emit("reconnecting", { attempt: this.attempt, delay });
      this.reconnectTimer = this.timers.setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, delay);
    }

    // Ends the session (close 1000): no reconnect, no timer left.
    close() {
      this.closedByUs = true;
      this.stopPing();
      if (this.reconnectTimer !== null) {
        this.timers.clearTimeout(this.reconnectTimer);
        this.reconnectTimer = null;
      }
      if (this.socket) {
        try {
          this.socket.close(1000);
        } catch (e) {
          /* already closing */
        }
      }
      this.state = "closed";
      if (typeof window !== "undefined" && window.removeEventListener) {
        window.removeEventListener("pagehide", this.onUnload);
        window.removeEventListener("beforeunload", this.onUnload);
      }
    }
  }

  HeraldClient.backoffDelay = backoffDelay;
  HeraldClient.hintedDelay = hintedDelay;
  return HeraldClient;
});
