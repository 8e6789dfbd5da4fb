// The console in a real headless Chromium (Debian's, driven by playwright-core)
// against a real Herald: live tree and counts, a client leaving, a DLQ retry
// from the page, a screenshot.
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

function openClient(h, user, channels) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(h.url() + "?token=" + token(user, channels));
    ws.on("message", () => resolve(ws));
    ws.on("error", reject);
  });
}

test("the console shows the live tree, follows clients, and retries a DLQ job", { timeout: 90000 }, async () => {
  const hook = await sink();
  const port = await freePort();
  const h = await new Herald(port,
    `[queue]\nmax_attempts = 1\nbase_delay = "100ms"\npoll_interval = "50ms"\n` +
    `[[sinks]]\nname = "ops-webhook"\nkind = "webhook"\nurl = "http://127.0.0.1:${hook.server.address().port}/hook"\n` +
    `[[channels]]\nmatch = "orders.*"\nhistory_size = 50\n`).start();
  const clients = [];
  for (let i = 0; i < CLIENTS; ++i) clients.push(await openClient(h, "user-" + (i % 10)));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(`http://127.0.0.1:${port}/console`);
    // Keys are configured: the console asks for one before it shows anything.
    await page.waitForSelector("#key-form:not([hidden])");
    assert.strictEqual(await page.isVisible("#main"), false);
    await page.fill("#key-input", API_KEY);
    await page.click("#key-form button");
    await page.waitForSelector("#live.on");
    // The console's own socket counts too.
    await page.waitForFunction((n) => document.getElementById("connections").textContent === String(n), CLIENTS + 1);
    await page.waitForFunction((n) => document.querySelectorAll('#tree tr[data-kind="session"]').length >= Math.min(n, 200), CLIENTS);
    for (const kind of ["registry", "inbox", "history", "queue", "notifier", "dlq"])
      assert.ok(await page.$(`#tree tr[data-kind="${kind}"]`), kind + " in the tree");
    assert.strictEqual(await page.isHidden("#banner"), true);

    // A client goes; the page follows.
    clients.pop().terminate();
    await page.waitForFunction((n) => document.getElementById("connections").textContent === String(n), CLIENTS);

    // Search by user.
    await page.fill("#search-input", "user-3");
    await page.click("#search-form button");
    const user3 = Math.floor((CLIENTS - 4) / 10) + 1;  // clients are user-0 … user-9 in turn
    await page.waitForFunction((n) => document.querySelectorAll("#search-results tbody tr").length === n, user3);

    // Channel history: events kept per channel, and recoveries true and false.
    for (let n = 0; n < 7; ++n) await h.publish({ channel: "orders.1", event: "tick", data: { n } });
    const history = await new Promise((resolve) => {
      http.get({ host: "127.0.0.1", port, path: "/api/v1/history/orders.1",
        headers: { Authorization: "Bearer " + API_KEY } }, (res) => {
        let out = "";
        res.on("data", (d) => (out += d));
        res.on("end", () => resolve(JSON.parse(out)));
      });
    });
    const recovering = await openClient(h, "user-r", ["orders.*"]);
    recovering.send(JSON.stringify({ type: "subscribe", channel: "orders.1",
      since: { offset: 3, epoch: history.epoch } }));
    recovering.send(JSON.stringify({ type: "subscribe", channel: "orders.2",
      since: { offset: 3, epoch: "gone" } }));
    await page.waitForFunction(() => [...document.querySelectorAll("#history-table td")]
      .some((td) => td.textContent === "orders.1" && td.nextSibling.textContent === "7"));
    await page.waitForFunction(() => document.getElementById("recovered-rate").textContent !== "0.0" &&
      document.getElementById("not-recovered-rate").textContent !== "0.0");
    recovering.terminate();

    // A job dies; retry it from the page once the sink is back.
    const r = await notify(h, { sink: "ops-webhook", to: "ops", text: "complaint #7", data: { id: 7 } });
    assert.strictEqual(r.status, 202);
    const row = `#dlq-table tr[data-job-id="${r.body.job_id}"]`;
    await page.waitForSelector(row);
    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "console.png"), fullPage: true });
    hook.failing = false;
    await page.click(`${row} button.retry`);
    await page.waitForSelector(row, { state: "detached" });
    const until = Date.now() + 5000;
    while (hook.hits.length < 2 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    assert.strictEqual(hook.hits.length, 2);
    assert.strictEqual(hook.hits[1].job_id, r.body.job_id);
    assert.strictEqual(hook.hits[1].attempt, 1);

    // A job scheduled for later is counted as delayed.
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
  } finally {
    await browser.close();
    for (const c of clients) c.terminate();
    await h.stop();
    hook.server.close();
  }
});

test("the console shows a banner while the node is degraded", { timeout: 60000 }, async () => {
  const port = await freePort();
  const nobody = await freePort(); // no Redis listens there
  const h = await new Herald(port, "", `[storage]\nbackend = "redis"\n[redis]\nurl = "redis://127.0.0.1:${nobody}/0"\n`).start();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/console`);
    await page.fill("#key-input", API_KEY);
    await page.click("#key-form button");
    await page.waitForSelector("#banner:not([hidden])");
    assert.match(await page.textContent("#banner"), /degraded.*redis down/);
    assert.ok(await page.$('#tree tr[data-kind="redis"].bad'), "redis shown as down in the tree");
  } finally {
    await browser.close();
    await h.stop();
  }
});
