// Recovery on any node (docs/history.md), with herald-client.js against real
// Herald processes: a rolling restart on SQLite, and a node killed with
// kill -9 while its clients move to another node over a real Redis.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");
const WebSocket = require("ws");
const HeraldClient = require("../herald-client.js");
const { Herald, freePort, token, API_KEY } = require("./herald.js");

const CHANNELS = (size) =>
  `[[channels]]\nmatch = "orders.*"\nhistory_size = ${size}\nhistory_ttl = "10m"\n`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const until = async (check, ms, what) => {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error("timed out waiting for " + what);
    await sleep(10);
  }
};

// One HTTP request; resolves {status, body} or rejects with the socket error
// and whether the request may have reached the server.
function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : "";
    const req = http.request({ host: "127.0.0.1", port, path, method, agent: false,
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + API_KEY,
        "Content-Length": Buffer.byteLength(data) } }, (res) => {
      let out = "";
      res.on("data", (d) => (out += d));
      res.on("end", () => resolve({ status: res.statusCode, body: out ? JSON.parse(out) : null }));
    });
    let sent = false;
    req.on("finish", () => (sent = true));
    req.on("error", (e) => reject(Object.assign(e, { maybeSent: sent && e.code !== "ECONNREFUSED" })));
    req.end(data);
  });
}

// Publishes n = 1..count to `channel` at `perSecond`, each accepted once:
// refused or failed publishes are sent again; one whose answer was lost is
// looked up in the channel's history first, so none is kept twice.
async function publishAll({ ports, channel, count, perSecond, stats }) {
  const every = 1000 / perSecond;
  const t0 = Date.now();
  let turn = 0;
  const port = () => ports[turn % ports.length];
  for (let n = 1; n <= count; ++n) {
    const due = t0 + (n - 1) * every;
    if (Date.now() < due) await sleep(due - Date.now());
    for (;;) {
      try {
        const r = await request(port(), "POST", "/api/v1/publish", { channel, event: "tick", data: { n } });
        if (r.status === 200) break;
        stats.refused++;
      } catch (e) {
        stats.failed++;
        if (e.maybeSent && (await keptAlready(port(), channel, n))) break;
      }
      turn++;
      await sleep(20);
    }
  }
}

async function keptAlready(port, channel, n) {
  for (;;) {
    try {
      const r = await request(port, "GET", `/api/v1/history/${channel}?since=0&limit=1000`);
      if (r.status === 200) return r.body.events.some((e) => e.data.n === n);
    } catch (e) {
      /* not up yet */
    }
    await sleep(50);
  }
}

// A client on `url()`, recording every event's n and every subscribed frame.
function recordingClient(url, channel, user) {
  const seen = { ns: [], subscribed: [], closes: [], welcomes: 0 };
  const client = new HeraldClient({ url, token: token(user, ["orders.*"]), WebSocket, channels: [channel],
    backoff: { initial: 100, max: 500, factor: 2, jitter: 0.5 } });
  client.on("event", (e) => seen.ns.push(e.data.n));
  client.on("subscribed", (m) => seen.subscribed.push(m));
  client.on("close", (c) => seen.closes.push(c));
  client.on("welcome", () => seen.welcomes++);
  client.connect();
  return { client, seen };
}

function assertAllOnceInOrder(ns, count) {
  assert.strictEqual(ns.length, count, `got ${ns.length} events`);
  ns.forEach((n, i) => assert.strictEqual(n, i + 1, `event ${i} is n=${n}`));
}

test("a rolling restart on SQLite: the client ends with all 1,000 events, in order, once each", async () => {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-rr-"));
  const storage = `[storage]\nbackend = "sqlite"\npath = "${dir}/herald.db"\n`;
  // reconnect_spread short, so the test does not wait 5 s.
  const h = new Herald(port, CHANNELS(2000), storage, 'reconnect_spread = "1s"\n');
  await h.start();
  const { client, seen } = recordingClient(() => `ws://127.0.0.1:${port}/ws`, "orders.rr", "rita");
  await until(() => seen.subscribed.length === 1, 5000, "the first subscribed");
  const stats = { refused: 0, failed: 0 };
  const publishing = publishAll({ ports: [port], channel: "orders.rr", count: 1000, perSecond: 200, stats });
  await until(() => seen.ns.length >= 300, 10000, "300 events before the restart");
  await h.stop(); // SIGTERM: every client gets 1001 with a reconnect hint
  await h.start();
  await publishing;
  await until(() => seen.ns.length >= 1000, 20000, "every event");
  await sleep(300); // a duplicate would come now
  client.close();
  await h.stop();
  assertAllOnceInOrder(seen.ns, 1000);
  const hint = seen.closes.find((c) => c.code === 1001);
  assert.ok(hint, "the shutdown closed with 1001");
  const delay = JSON.parse(hint.reason).delay_ms;
  assert.ok(delay >= 0 && delay <= 1000, "delay_ms within server.reconnect_spread: " + delay);
  const after = seen.subscribed.slice(1);
  assert.ok(after.length >= 1, "subscribed again after the restart");
  assert.ok(after.every((m) => m.recovered === true), JSON.stringify(after));
  assert.ok(stats.refused + stats.failed > 0, "some publishes met the restart");
});

// A real redis-server on a free port, nothing saved.
async function startRedis() {
  const port = await freePort();
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "",
    "--appendonly", "no", "--protected-mode", "no"], { stdio: "ignore" });
  for (let i = 0; i < 100; ++i) {
    const ok = await new Promise((resolve) => {
      const s = require("node:net").connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) break;
    await sleep(50);
  }
  return { port, stop: () => proc.kill("SIGKILL") };
}

async function redisNode(redisPort, size) {
  const port = await freePort();
  const storage = `[storage]\nbackend = "redis"\n[redis]\nurl = "redis://127.0.0.1:${redisPort}/0"\n` +
    `node_ttl = "2s"\nhealth_interval = "200ms"\n`;
  const h = new Herald(port, CHANNELS(size), storage);
  await h.start();
  return h;
}

test("two nodes over Redis: kill -9 of a client's node, it moves to the other and misses nothing", async () => {
  const redis = await startRedis();
  const a = await redisNode(redis.port, 2000);
  const b = await redisNode(redis.port, 2000);
  try {
    let target = a;
    const { client, seen } = recordingClient(() => target.url(), "orders.kn", "kai");
    await until(() => seen.subscribed.length === 1, 5000, "subscribed on A");
    const stats = { refused: 0, failed: 0 };
    // Publishes go to B (and to A while it lives: turn moves on after a failure).
    const publishing = publishAll({ ports: [b.port], channel: "orders.kn", count: 600, perSecond: 200, stats });
    await until(() => seen.ns.length >= 200, 10000, "200 events on A");
    target = b; // the load balancer now sends reconnects to B
    a.proc.kill("SIGKILL");
    await publishing;
    await until(() => seen.ns.length >= 600, 20000, "every event");
    await sleep(300);
    assertAllOnceInOrder(seen.ns, 600);
    const after = seen.subscribed.slice(1);
    assert.ok(after.length >= 1 && after.every((m) => m.recovered === true), JSON.stringify(after));

    // Away for longer than history_size covers: recovered:false.
    const small = await redisNode(redis.port, 10);
    const away = recordingClient(() => small.url(), "orders.trim", "kai");
    await until(() => away.seen.subscribed.length === 1, 5000, "subscribed");
    await small.publish({ channel: "orders.trim", event: "tick", data: { n: 1 } });
    await until(() => away.seen.ns.length === 1, 5000, "one event");
    away.client.close();
    for (let n = 2; n <= 300; ++n) await small.publish({ channel: "orders.trim", event: "tick", data: { n } });
    const back = new HeraldClient({ url: small.url(), token: token("kai", ["orders.*"]), WebSocket,
      channels: ["orders.trim"] });
    back.positions = Object.assign({}, away.client.positions);
    const again = [];
    back.on("subscribed", (m) => again.push(m));
    back.connect();
    await until(() => again.length === 1, 5000, "subscribed again");
    assert.strictEqual(again[0].recovered, false);
    back.close();
    client.close();
    await small.stop();
  } finally {
    await b.stop();
    await a.stop();
    redis.stop();
  }
});

test("channels subscribed after connecting are rejoined with since; a refused one is not", async () => {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-sub-"));
  const storage = `[storage]\nbackend = "sqlite"\npath = "${dir}/herald.db"\n`;
  const h = new Herald(port, CHANNELS(100), storage, 'reconnect_spread = "200ms"\n');
  await h.start();
  const seen = { ns: [], subscribed: [], errors: [], welcomes: 0 };
  const client = new HeraldClient({ url: h.url(), token: token("sam", ["orders.*"]), WebSocket,
    backoff: { initial: 100, max: 500, factor: 2, jitter: 0.5 } });
  client.on("welcome", () => {
    if (seen.welcomes++ === 0) {
      client.subscribe("orders.s");
      client.subscribe("secret"); // not granted by the token: an error frame, not rejoined
    }
  });
  client.on("event", (e) => seen.ns.push(e.data.n));
  client.on("subscribed", (m) => seen.subscribed.push(m));
  client.on("error", (e) => seen.errors.push(e));
  client.connect();
  try {
    await until(() => seen.subscribed.length === 1, 5000, "subscribed");
    await h.publish({ channel: "orders.s", event: "tick", data: { n: 1 } });
    await until(() => seen.ns.length === 1, 5000, "event 1");
    await h.stop();
    await h.start();
    await h.publish({ channel: "orders.s", event: "tick", data: { n: 2 } }); // while the client is away
    await until(() => seen.welcomes === 2 && seen.ns.length === 2, 10000, "back with event 2");
    assert.deepStrictEqual(seen.ns, [1, 2]);
    assert.strictEqual(seen.subscribed[1].recovered, true);
    assert.deepStrictEqual([...client.channels], ["orders.s"]);
    assert.strictEqual(seen.errors.some((e) => e.code === "forbidden_channel"), true);
  } finally {
    client.close();
    await h.stop();
  }
});
