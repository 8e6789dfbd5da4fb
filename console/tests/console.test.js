// The console in a real headless Chromium (Debian's, driven by playwright-core)
// against a real Herald: what is above the fold at 1280×800 and 390×844, the
// tree with sessions summed up, the sessions and actor pages, DLQ actions;
// screenshots in tests/output (HERALD_TEST_OUTPUT); no 404 and no page error.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const WebSocket = require("ws");
const { chromium } = require("playwright-core");
const { Herald, freePort, token, API_KEY } = require("./herald.js");

const OUTPUT = process.env.HERALD_TEST_OUTPUT || path.join(__dirname, "output");
const CLIENTS = Number(process.env.HERALD_CONSOLE_CLIENTS || 30);

// A webhook sink that fails until told otherwise.
function sink() {
  const s = { failing: true, hits: [] };
  s.server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      s.hits.push(JSON.parse(body));
      res.writeHead(s.failing ? 500 : 200, { "Content-Type": "application/json" });
      res.end(s.failing ? '{"error":"down"}' : '{"ok":true}');
    });
  });
  return new Promise((resolve) => s.server.listen(0, "127.0.0.1", () => resolve(s)));
}

function notify(h, body, route = "/api/v1/notify") {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: "127.0.0.1", port: h.port, path: route, method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + API_KEY, "Content-Length": data.length } },
      (res) => {
        let out = "";
        res.on("data", (d) => (out += d));
        res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(out) }));
      });
    req.on("error", reject);
    req.end(data);
  });
}

// `join`: channels joined at once (in the URL), granted by the token too.
function openClient(h, user, channels, join = []) {
  return new Promise((resolve, reject) => {
    const joined = join.length ? "&channels=" + encodeURIComponent(join.join(",")) : "";
    const ws = new WebSocket(h.url() + "?token=" + token(user, [...(channels || []), ...join]) + joined);
    ws.on("message", () => resolve(ws));
    ws.on("error", reject);
  });
}

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

// Every answer of 400 or more and every error the page logs, so a test can
// assert there were none.
function watchProblems(page) {
  const problems = [];
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/api/v1/console/token")) problems.push(r.status() + " " + r.url());
  });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  // The console first asks for a token with the key it has (none at first):
  // that 401 is how it learns to ask for a key, and Chromium logs it.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push("console error: " + m.text());
  });
  return problems;
}

// The element's box lies inside the viewport (what is visible without scrolling).
async function aboveTheFold(page, selector) {
  const box = await page.locator(selector).first().boundingBox();
  const view = page.viewportSize();
  return box !== null && box.y >= 0 && box.x >= 0 && box.y + box.height <= view.height && box.x + box.width <= view.width;
}

async function login(page, port) {
  await page.goto(`http://127.0.0.1:${port}/console`);
  await page.waitForSelector("#key-form:not([hidden])");
  assert.strictEqual(await page.isVisible("#main"), false);
  await page.fill("#key-input", API_KEY);
  await page.click("#key-form button");
  await page.waitForSelector("#live.on");
}

function apiGet(port, route) {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: route, headers: { Authorization: "Bearer " + API_KEY } }, (res) => {
      let out = "";
      res.on("data", (d) => (out += d));
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(out) }));
    }).on("error", reject);
  });
}

// A client that stops reading: what is published to it piles up in its
// session's outbound queue once the socket buffers are full.
async function stalledClient(h, user) {
  const ws = await openClient(h, user);
  ws._socket.pause();
  const items = [];
  for (let i = 0; i < 100; ++i) items.push({ user, event: "bulk", data: { pad: "x".repeat(8000), i } });
  for (let round = 0; round < 20; ++round) {
    const r = await notify(h, { items }, "/api/v1/publish/batch");
    assert.strictEqual(r.status, 200);
  }
  return ws;
}

test("the console: overview above the fold, tree, sessions, actor page and DLQ actions", { timeout: 120000 }, async () => {
  const hook = await sink();
  const port = await freePort();
  // outbound_queue_max: room for the stalled client's 2,000 frames ([session]).
  const h = await new Herald(port,
    `outbound_queue_max = 100000\n[queue]\nmax_attempts = 1\nbase_delay = "100ms"\npoll_interval = "50ms"\n` +
    `[[sinks]]\nname = "ops-webhook"\nkind = "webhook"\nurl = "http://127.0.0.1:${hook.server.address().port}/hook"\n` +
    `[[channels]]\nmatch = "orders.*"\nhistory_size = 50\n`,
    '[storage]\nbackend = "memory"\n', "", "").start();
  const clients = [];
  for (let i = 0; i < CLIENTS; ++i) clients.push(await openClient(h, "user-" + (i % 10), [], i % 3 === 0 ? ["room.a"] : []));
  const stalled = await stalledClient(h, "slowpoke");
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = watchProblems(page);
    // The server keeps its series from the start: the charts begin full.
    await new Promise((r) => setTimeout(r, 2500));
    await login(page, port);
    // The console's own socket counts too.
    const sockets = CLIENTS + 2;
    await page.waitForFunction((n) => document.getElementById("connections").textContent === String(n), sockets);

    // Overview: every card is on screen at 1280×800, each chart spans the
    // last five minutes ending at the newest point, seeded before the feed.
    for (const card of ["connections", "deliveries", "latency", "queue", "dlq", "sinks", "storage", "history"])
      assert.ok(await aboveTheFold(page, "#card-" + card), card + " card above the fold");
    const span = await page.$eval("#chart-connections", (el) => ({ from: +el.dataset.from, to: +el.dataset.to, points: +el.dataset.points }));
    assert.strictEqual(span.to - span.from, 300);
    assert.ok(Math.abs(span.to - Date.now() / 1000) < 10, "the window ends now");
    assert.ok(span.points >= 3, "seeded from the series: " + span.points);
    assert.ok(await page.$("#chart-latency canvas"), "uPlot drew the latency chart");
    assert.match(await page.textContent('#sink-list li[data-sink="ops-webhook"]'), /closed/);
    assert.strictEqual(await page.textContent("#storage-state"), "ok");
    assert.strictEqual(await page.isHidden("#banner"), true);
    // Publish-to-write latency shows once events are written.
    for (let n = 0; n < 20; ++n) await h.publish({ user: "user-1", event: "tick", data: { n } });
    await page.waitForFunction(() => /^[0-9.]+$/.test(document.getElementById("p99").textContent));
    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "console-overview-1280x800.png") });

    // Actors: the sessions summed up under the registry, the busiest 20 listed,
    // the stalled client first; the other actors all there.
    await page.click('#nav a[data-page="actors"]');
    await page.waitForSelector('section[data-page="actors"]:not([hidden])');
    for (const kind of ["registry", "inbox", "history", "queue", "notifier", "dlq"])
      assert.ok(await page.isVisible(`#tree tr[data-kind="${kind}"]`), kind + " in the tree");
    await page.waitForFunction((n) => document.getElementById("sessions-summary").textContent.startsWith(n + " sessions"), CLIENTS + 2);
    assert.strictEqual(await page.locator('#tree tr[data-kind="session"]').count(), 0);
    assert.strictEqual(await page.locator('#busiest tr[data-kind="session"]').count(), 20);
    await page.waitForFunction(() => {
      const first = document.querySelector('#busiest tr[data-kind="session"]');
      return first && first.textContent.includes("(slowpoke)");
    });
    assert.ok(await aboveTheFold(page, '#tree tr[data-kind="dlq"]'), "the DLQ row is on screen, above the sessions");
    assert.ok(await aboveTheFold(page, '#busiest tr[data-kind="session"]'), "the busiest session too");
    await page.screenshot({ path: path.join(OUTPUT, "console-actors-1280x800.png") });

    // An actor's page: its numbers and a chart.
    await page.click('#busiest tr[data-kind="session"] >> nth=0');
    await page.waitForSelector('section[data-page="actor"]:not([hidden])');
    assert.match(await page.textContent("#actor-name"), /^session /);
    await page.waitForFunction(() => Number(document.querySelector('#actor-fields dd[data-field="outbound"]').textContent) > 0);
    assert.strictEqual(await page.textContent('#actor-fields dd[data-field="user"]'), "slowpoke");
    await page.goto(`http://127.0.0.1:${port}/console#actor/queue`);
    await page.waitForSelector("#live.on");
    await page.waitForFunction(() => document.querySelector('#actor-fields dd[data-field="restarts"]') !== null);
    assert.strictEqual(await page.isHidden("#actor-missing"), true);

    // A client goes; the overview follows.
    clients.pop().terminate();
    await page.goto(`http://127.0.0.1:${port}/console#overview`);
    await page.waitForFunction((n) => document.getElementById("connections").textContent === String(n), sockets - 1);

    // Sessions: by user, by channel, sorted by queued frames.
    await page.click('#nav a[data-page="sessions"]');
    await page.fill("#search-input", "user-3");
    await page.click("#search-form button");
    const user3 = Math.floor((CLIENTS - 4) / 10) + 1; // clients are user-0 … user-9 in turn
    await page.waitForFunction((n) => document.querySelectorAll("#search-results tbody tr").length === n, user3);
    await page.fill("#search-input", "");
    await page.fill("#channel-input", "room.a");
    await page.click("#search-form button");
    const inRoom = clients.filter((_, i) => i % 3 === 0).length;
    await page.waitForFunction((n) => document.querySelectorAll("#search-results tbody tr").length === n, inRoom);
    await page.fill("#channel-input", "");
    await page.selectOption("#sort-select", "outbound");
    await page.waitForFunction(() => {
      const first = document.querySelector("#search-results tbody tr td:nth-child(2)");
      return first && first.textContent === "slowpoke";
    });
    // Every session on one page (a client gone stays as a resumable session).
    assert.match(await page.textContent("#sessions-range"), /^1–(\d+) of \1$/);
    assert.strictEqual(await page.isDisabled("#sessions-next"), true);
    // Pages of the same query through the API.
    const page2 = await apiGet(port, "/api/v1/actors?sort=user&limit=10&offset=10");
    assert.strictEqual(page2.body.actors.filter((a) => a.kind === "session").length, 10);
    assert.strictEqual(page2.body.total_sessions, sockets);

    // Channel history: events kept per channel, and recoveries true and false.
    await page.click('#nav a[data-page="overview"]');
    for (let n = 0; n < 7; ++n) await h.publish({ channel: "orders.1", event: "tick", data: { n } });
    const history = (await apiGet(port, "/api/v1/history/orders.1")).body;
    const recovering = await openClient(h, "user-r", ["orders.*"]);
    recovering.send(JSON.stringify({ type: "subscribe", channel: "orders.1", since: { offset: 3, epoch: history.epoch } }));
    recovering.send(JSON.stringify({ type: "subscribe", channel: "orders.2", since: { offset: 3, epoch: "gone" } }));
    await page.waitForFunction(() => [...document.querySelectorAll("#history-table td")]
      .some((td) => td.textContent === "orders.1" && td.nextSibling.textContent === "7"));
    await page.waitForFunction(() => document.getElementById("recovered-rate").textContent !== "0.0" &&
      document.getElementById("not-recovered-rate").textContent !== "0.0");
    recovering.terminate();

    // DLQ: three jobs die; one is retried from its row, two together; one more is deleted.
    const dead = [];
    for (const n of [7, 8, 9, 10]) {
      const r = await notify(h, { sink: "ops-webhook", to: "ops", text: "complaint #" + n, data: { id: n } });
      assert.strictEqual(r.status, 202);
      dead.push(r.body.job_id);
    }
    await page.waitForFunction((n) => document.getElementById("dead-count").textContent === String(n), dead.length);
    assert.strictEqual(await page.textContent("#nav-dead"), String(dead.length));
    await page.click('#nav a[data-page="dlq"]');
    const row = (id) => `#dlq-table tr[data-job-id="${id}"]`;
    for (const id of dead) await page.waitForSelector(row(id));
    await page.waitForFunction(() => document.getElementById("dlq-range").textContent === "1–4 of 4");
    assert.strictEqual(await page.isDisabled("#dlq-next"), true);
    await page.screenshot({ path: path.join(OUTPUT, "console-dlq-1280x800.png") });
    hook.failing = false;
    await page.click(`${row(dead[0])} button.retry`);
    await page.waitForSelector(row(dead[0]), { state: "detached" });
    await page.check(`${row(dead[1])} input[type=checkbox]`);
    await page.check(`${row(dead[2])} input[type=checkbox]`);
    await page.click("#dlq-retry-selected");
    await page.waitForSelector(row(dead[1]), { state: "detached" });
    await page.waitForSelector(row(dead[2]), { state: "detached" });
    assert.match(await page.textContent("#dlq-status"), /^Retried 2$/);
    page.once("dialog", (d) => d.accept());
    await page.check(`${row(dead[3])} input[type=checkbox]`);
    await page.click("#dlq-delete-selected");
    await page.waitForSelector(row(dead[3]), { state: "detached" });
    const until = Date.now() + 5000;
    while (hook.hits.length < 7 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    assert.strictEqual(hook.hits.length, 7); // four failed first tries, three retries
    assert.deepStrictEqual(hook.hits.slice(4).map((x) => x.job_id).sort(), dead.slice(0, 3).sort());
    assert.strictEqual((await apiGet(port, "/api/v1/dlq")).body.jobs.length, 0);

    // A job scheduled for later is counted as delayed.
    await page.click('#nav a[data-page="overview"]');
    const later = await notify(h, { sink: "ops-webhook", to: "ops", text: "tomorrow", delay: "1h" });
    assert.strictEqual(later.status, 202);
    await page.waitForFunction(() => document.getElementById("delayed-count").textContent === "1");
    assert.strictEqual(await page.textContent("#expired-count"), "0");

    // An alert nobody acks is escalated to the sink, and the page counts it.
    const alert = await notify(h, { user: "oncall", event: "alert", data: { n: 1 },
      escalate: { after: "300ms", sink: "ops-webhook", to: "ops", text: "nobody acked" } }, "/api/v1/publish");
    assert.strictEqual(alert.status, 200);
    await page.waitForFunction(() => document.getElementById("escalated-count").textContent === "1");
    assert.strictEqual(await page.textContent("#escalation-cancelled-count"), "0");
    assert.deepStrictEqual(problems, []);
  } finally {
    await browser.close();
    for (const c of clients) c.terminate();
    stalled.terminate();
    await h.stop();
    hook.server.close();
  }
});

test("on a phone (390×844) the overview starts with the connections card, without sideways scrolling", { timeout: 60000 }, async () => {
  const port = await freePort();
  const h = await new Herald(port).start();
  const clients = [];
  for (let i = 0; i < 5; ++i) clients.push(await openClient(h, "phone-" + i));
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const problems = watchProblems(page);
    await login(page, port);
    await page.waitForFunction(() => document.getElementById("connections").textContent === "6");
    assert.ok(await aboveTheFold(page, "header nav"), "the navigation on screen");
    assert.ok(await aboveTheFold(page, "#card-connections"), "the connections card on screen");
    assert.ok(await aboveTheFold(page, "#card-deliveries h2"), "the next card starts on screen");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), "no sideways scrolling");
    const chartWidth = await page.$eval("#chart-connections canvas", (c) => c.getBoundingClientRect().width);
    assert.ok(chartWidth <= 370 && chartWidth > 200, "the chart fits the card: " + chartWidth);
    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "console-overview-390x844.png") });
    await page.click('#nav a[data-page="dlq"]');
    await page.waitForSelector('section[data-page="dlq"]:not([hidden])');
    assert.match(await page.textContent("#dlq-note"), /empty/);
    assert.deepStrictEqual(problems, []);
  } finally {
    await browser.close();
    for (const c of clients) c.terminate();
    await h.stop();
  }
});

test("/api/v1/actors sorts among at most console.scan_sessions sessions, and says so", { timeout: 30000 }, async () => {
  const port = await freePort();
  const h = await new Herald(port, "[console]\nscan_sessions = 4\n").start();
  const clients = [];
  try {
    for (let i = 0; i < 9; ++i) clients.push(await openClient(h, "scan-" + i));
    const sorted = await apiGet(port, "/api/v1/actors?sort=user&order=desc");
    assert.strictEqual(sorted.body.total_sessions, 9);
    assert.strictEqual(sorted.body.scanned, 4);
    assert.strictEqual(sorted.body.actors.filter((a) => a.kind === "session").length, 4);
    const byId = await apiGet(port, "/api/v1/actors?limit=6");
    assert.strictEqual(byId.body.scanned, 9); // paging by id needs no numbers: no cut
    assert.strictEqual(byId.body.actors.filter((a) => a.kind === "session").length, 6);
    const bad = await apiGet(port, "/api/v1/actors?sort=mood");
    assert.strictEqual(bad.status, 400);
    assert.match(bad.body.error, /sort must be one of/);
  } finally {
    for (const c of clients) c.terminate();
    await h.stop();
  }
});

test("the console shows a banner while the node is degraded", { timeout: 60000 }, async () => {
  const port = await freePort();
  const nobody = await freePort(); // no Redis listens there
  const h = await new Herald(port, "", `[storage]\nbackend = "redis"\n[redis]\nurl = "redis://127.0.0.1:${nobody}/0"\n`).start();
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/console`);
    await page.fill("#key-input", API_KEY);
    await page.click("#key-form button");
    await page.waitForSelector("#banner:not([hidden])");
    assert.match(await page.textContent("#banner"), /degraded.*redis down/);
    assert.strictEqual(await page.textContent("#redis-state"), "down");
    assert.ok(await page.$("#card-storage.alert"), "the storage card is marked");
    assert.ok(await page.$('#tree tr[data-kind="redis"].bad'), "redis shown as down in the tree");
  } finally {
    await browser.close();
    await h.stop();
  }
});
