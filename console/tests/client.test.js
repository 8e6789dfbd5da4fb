// herald-client.js against a real Herald (node --test).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const WebSocket = require("ws");
const HeraldClient = require("../herald-client.js");
const { Herald, freePort, token } = require("./herald.js");

const until = (check, ms = 5000) =>
  new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      if (check()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error("condition not met in time"));
      setTimeout(poll, 10);
    };
    poll();
  });

// Timers that count what is armed, so a test can see how many pings are ticking.
function countingTimers() {
  const live = new Set();
  return {
    live,
    setInterval: (f, ms) => {
      const id = setInterval(f, ms);
      live.add(id);
      return id;
    },
    clearInterval: (id) => {
      live.delete(id);
      clearInterval(id);
    },
    setTimeout: (f, ms) => setTimeout(f, ms),
    clearTimeout: (id) => clearTimeout(id),
  };
}

test("a 1001 close reason's reconnect hint is read, anything else is not", () => {
  assert.strictEqual(HeraldClient.hintedDelay('{"reconnect":true,"delay_ms":1234}'), 1234);
  assert.strictEqual(HeraldClient.hintedDelay('{"reconnect":true,"delay_ms":999999}'), 60000);
  for (const bad of ["", "server shutting down", '{"reconnect":false,"delay_ms":5}', '{"delay_ms":5}',
    '{"reconnect":true,"delay_ms":-1}', '{"reconnect":true,"delay_ms":"5"}', undefined])
    assert.strictEqual(HeraldClient.hintedDelay(bad), null, String(bad));
});

test("reconnect delays grow exponentially within the jitter bounds", () => {
  const backoff = { initial: 500, max: 30000, factor: 2, jitter: 0.5 };
  for (let attempt = 0; attempt < 12; ++attempt) {
    const step = Math.min(30000, 500 * 2 ** attempt);
    const lo = HeraldClient.backoffDelay(attempt, backoff, 1);
    const hi = HeraldClient.backoffDelay(attempt, backoff, 0);
    assert.strictEqual(hi, step);
    assert.strictEqual(lo, Math.round(step / 2));
    for (let i = 0; i < 20; ++i) {
      const d = HeraldClient.backoffDelay(attempt, backoff, Math.random());
      assert.ok(d >= lo && d <= hi, `attempt ${attempt}: ${d} outside [${lo}, ${hi}]`);
    }
  }
});

test("a client reconnects after the server goes away: first after the hinted delay, then with backoff", async () => {
  const port = await freePort();
  const spread = 'reconnect_spread = "300ms"\n';
  let h = await new Herald(port, "", undefined, spread).start();
  const delays = [];
  const welcomes = [];
  const client = new HeraldClient({ url: h.url(), token: token("rick"), WebSocket,
    backoff: { initial: 200, max: 1000, factor: 2, jitter: 0.5 } });
  client.on("reconnecting", (r) => delays.push(r.delay));
  client.on("welcome", (w) => welcomes.push(w));
  client.connect();
  await until(() => welcomes.length === 1);
  await h.stop();
  await until(() => delays.length >= 1);
  // The close frame's {"reconnect":true,"delay_ms":N}, N within server.reconnect_spread.
  assert.ok(delays[0] >= 0 && delays[0] <= 300, "first delay " + delays[0]);
  h = await new Herald(port, "", undefined, spread).start();
  await until(() => welcomes.length === 2, 10000);
  // The server was away meanwhile: failed attempts back off, jittered.
  assert.ok(delays.slice(1).every((d, i) => d >= Math.min(1000, 200 * 2 ** i) / 2 - 1 &&
    d <= Math.min(1000, 200 * 2 ** i)), JSON.stringify(delays));
  client.close();
  await h.stop();
});

test("a dropped connection resumes with the missed events and no gap", async () => {
  const port = await freePort();
  const h = await new Herald(port).start();
  const seqs = [];
  const welcomes = [];
  const client = new HeraldClient({ url: h.url(), token: token("rosa"), WebSocket,
    backoff: { initial: 100, max: 200, factor: 2, jitter: 0.5 } });
  client.on("welcome", (w) => welcomes.push(w));
  client.on("event", (e) => seqs.push(e.seq));
  client.connect();
  await until(() => welcomes.length === 1);
  for (let i = 0; i < 3; ++i) await h.publish({ user: "rosa", event: "before", data: { i } });
  await until(() => seqs.length === 3);
  // The network goes: no close frame, the server keeps the session for resume.
  client.socket._socket.destroy();
  await until(() => client.state === "waiting" || client.state === "connecting");
  for (let i = 0; i < 2; ++i) await h.publish({ user: "rosa", event: "missed", data: { i } });
  await until(() => welcomes.length === 2);
  assert.strictEqual(welcomes[1].resumed, true);
  assert.strictEqual(welcomes[1].session_id, welcomes[0].session_id);
  await h.publish({ user: "rosa", event: "live" });
  await until(() => seqs.length === 6);
  assert.deepStrictEqual(seqs, [1, 2, 3, 4, 5, 6]);
  client.close();
  await h.stop();
});

test("exactly one ping timer, through reconnects, and none after close", async () => {
  const port = await freePort();
  let h = await new Herald(port).start();
  const timers = countingTimers();
  const welcomes = [];
  const client = new HeraldClient({ url: h.url(), token: token("pat"), WebSocket, timers, pingInterval: 50,
    backoff: { initial: 50, max: 100, factor: 2, jitter: 0.5 } });
  client.on("welcome", (w) => welcomes.push(w));
  client.connect();
  await until(() => welcomes.length === 1);
  assert.strictEqual(timers.live.size, 1);
  for (let round = 0; round < 3; ++round) {
    client.socket._socket.destroy();
    await until(() => timers.live.size === 0); // cleared as the socket went
    await until(() => welcomes.length === round + 2);
    assert.strictEqual(timers.live.size, 1);
  }
  const pongs = [];
  client.on("pong", (p) => pongs.push(p));
  await until(() => pongs.length >= 2);
  client.close();
  assert.strictEqual(timers.live.size, 0);
  await new Promise((r) => setTimeout(r, 150));
  assert.strictEqual(timers.live.size, 0);
  await h.stop();
});

test("a token function refreshes ahead of exp, with the token in the first frame, not the URL", async () => {
  const port = await freePort();
  const h = await new Herald(port, "", undefined, "", 'refresh_ahead = "2s"\nleeway = "0s"\n').start();
  let minted = 0;
  const urls = [];
  // Each token lives 3 s: without a refresh the server closes 4001 at its exp.
  const tokenFn = async () => {
    ++minted;
    return token("tara", [], Math.floor(Date.now() / 1000) + 3);
  };
  class RecordingSocket extends WebSocket {
    constructor(url) {
      super(url);
      urls.push(url);
    }
  }
  const seen = { welcomes: 0, refreshed: [], expiring: 0, closes: [] };
  const client = new HeraldClient({ url: h.url(), token: tokenFn, authFrame: true, WebSocket: RecordingSocket });
  client.on("welcome", () => ++seen.welcomes);
  client.on("token_expiring", () => ++seen.expiring);
  client.on("refreshed", (m) => seen.refreshed.push(m.exp));
  client.on("close", (c) => seen.closes.push(c.code));
  client.connect();
  await until(() => seen.welcomes === 1);
  const started = Date.now();
  assert.ok(urls[0].includes("auth=frame") && !urls[0].includes("token="), urls[0]);
  // Past the first token's exp (3 s), refreshed each time.
  await until(() => Date.now() - started > 4500 && seen.refreshed.length >= 3, 10000);
  assert.ok(seen.expiring >= 2);
  assert.ok(minted >= 3);
  assert.strictEqual(seen.welcomes, 1, "one session all along");
  assert.deepStrictEqual(seen.closes, []);
  client.close();
  await h.stop();
});
